"""The admin's lists read their rows' related objects in the same query, not one query per row.

The submissions, consents, requests, tasks and activities lists showed each row's lead, form, partner or
assignee by a query of its own: 134 queries for the demo's 77 submissions, and a page of 100 rows in a real
base made a few hundred. Each list of every registered model is opened on the demo data (rows enough to show
it) and may take a fixed handful of queries, whatever the number of rows."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadflow.accounts.models import User
from leadflow.demo import build_demo

pytestmark = pytest.mark.django_db

# The session, the user, the unread notifications, the count, the facets and the page of rows, a few lookups of
# the filters: well under one query per row of the demo's longer lists (70-80 rows).
MAX_QUERIES = 25


def test_every_admin_list_reads_its_rows_in_a_fixed_number_of_queries() -> None:
    build_demo()
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    too_many = {}
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        if len(queries) > MAX_QUERIES:
            too_many[url] = (len(queries), model._default_manager.count())
    assert too_many == {}, f"lists taking a query per row (queries, rows): {too_many}"


def test_every_admin_add_form_sent_empty_answers_with_a_page_not_a_server_error() -> None:
    """An "add" form the admin sends as it opened (nothing typed) says what is missing, or is not offered at all: the
    calls' and call events' forms were all read-only fields and saved an empty row (a server error)."""
    build_demo()
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="admin"))
    failed = {}
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        opened = client.get(url)
        if opened.status_code == 403:
            continue  # not offered: the model's rows come from elsewhere
        fields = set(re.findall(r'<(?:input|select|textarea)[^>]* name="([^"]+)"', opened.content.decode()))
        answer = client.post(url, {name: "" for name in fields - {"csrfmiddlewaretoken"}})
        if answer.status_code >= 500:
            failed[url] = answer.status_code
    assert failed == {}
