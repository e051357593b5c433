"""A stored e-mail whose raw message an erasure blanked (the person's own letter) stays in the mailbox index
(privacy.MessageAddress) as naming nobody (privacy11): taken out of it, it was read as a message stored before the
index, and every later erasure searched the stored messages' heads the old, slow way for its sake."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadflow.inbox.models import IncomingEmail
from leadflow.inbox.services import take_email
from leadflow.inbox.tests.messages import build
from leadflow.privacy import services
from leadflow.privacy.models import MessageAddress

pytestmark = pytest.mark.django_db


def test_a_blanked_message_stays_indexed_and_the_next_erasure_looks_the_heads_up_in_the_index(admin_user):
    zina = take_email(raw=build(body="Пришлите прайс.", sender=("Зинаида Белоусова", "zina@example.ru")),
                      via="smtp", envelope_to=["sales@example.com"])
    kirill = take_email(raw=build(body="Нужен ламинат, Ольга в копии.", sender=("Кирилл Орлов", "kirill@firm.example"),
                                  headers={"Cc": "Ольга Смирнова <olga@other.example>"}),
                        via="smtp", envelope_to=["sales@example.com"])
    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)
    assert bytes(IncomingEmail.objects.get(pk=zina.pk).raw) == b""
    assert list(MessageAddress.objects.filter(email_id=zina.pk).values_list("mailbox", flat=True)) == [""]

    with CaptureQueriesContext(connection) as queries:
        services.erase_person(person=services.find_person(email="olga@other.example"), by=admin_user)

    # Kirill's letter copying Olga was found by the index and keeps his part; no stored message's head was read.
    kept = IncomingEmail.objects.get(pk=kirill.pk)
    assert b"olga@other.example" not in bytes(kept.raw) and "Нужен ламинат" in kept.text
    heads = [query["sql"] for query in queries.captured_queries
             if "substr" in query["sql"].lower() and "raw" in query["sql"].lower()]
    assert heads == []
