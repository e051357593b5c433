"""The integration's secret is stored encrypted, read back to check webhooks, write-only in the admin, and a
secret no key opens (the key was lost) refuses events cleanly instead of failing."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.admin.widgets import AdminTextInputWidget
from django.db import connection
from django.forms import PasswordInput, modelform_factory
from django.test import Client as HttpClient
from django.test import override_settings

from leadflow.core.encryption import derived_key
from leadflow.telephony.models import CallEvent, Integration, Provider
from leadflow.telephony.tests.conftest import GENERIC_SECRET, form_body, http

LOST_KEY = "the secret key of a data directory that was lost"
INLINES = {"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0",
           "extensions-TOTAL_FORMS": "0", "extensions-INITIAL_FORMS": "0"}


def stored(integration: Integration) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM telephony_integration WHERE id = %s", [integration.pk])
        return cursor.fetchone()[0]


def under_a_lost_key(**fields) -> Integration:
    """An integration saved before the key changed: its token opens with no key configured now."""
    with override_settings(SECRET_KEY=LOST_KEY):
        return Integration.objects.create(**fields)


def bearer(url: str, secret: str):
    body = json.dumps({"event": "missed", "call_id": "c-1", "caller": "+79161230000"}).encode()
    return http(url, data=body, headers={"Content-Type": "application/json", "Authorization": f"Bearer {secret}"})


@pytest.fixture
def admin_client(admin_user) -> HttpClient:
    client = HttpClient()
    client.force_login(admin_user)
    return client


def test_the_column_holds_a_token_and_the_webhook_checks_the_decrypted_secret(stages, generic_pbx, events_url):
    token = stored(generic_pbx)

    answer = bearer(events_url(generic_pbx), GENERIC_SECRET)

    assert GENERIC_SECRET not in token and token.startswith("gAAAAA")
    assert Fernet(derived_key(settings.SECRET_KEY)).decrypt(token.encode()).decode() == GENERIC_SECRET
    assert Integration.objects.get(pk=generic_pbx.pk).secret == GENERIC_SECRET
    assert answer.status == 200 and answer.body["status"] == "accepted"


@pytest.mark.parametrize("provider", [Provider.GENERIC, Provider.ZADARMA])
def test_a_secret_no_key_opens_refuses_events_with_403_and_journals_nothing(stages, sales, events_url, provider,
                                                                           caplog):
    integration = under_a_lost_key(name="PBX", provider=provider, secret="right-secret", team=sales)
    url = events_url(integration)

    if provider == Provider.GENERIC:
        answer = bearer(url, "right-secret")
    else:
        fields = {"event": "NOTIFY_START", "call_start": "2026-11-23 10:00:00", "pbx_call_id": "in_1",
                  "caller_id": "79161234567", "called_did": "74951112233"}
        answer = http(url, data=form_body(fields), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Signature": "anything"})

    assert answer.status == 403 and answer.body["error"]["code"] == "secret_unreadable"
    assert CallEvent.objects.count() == 0
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("The secret of telephony integration “PBX”" in line and "LEADFLOW_ENCRYPTION_KEYS" in line
               and "enter the secret again in the admin" in line for line in logged)


def test_admin_add_form_shows_the_generated_secret_and_the_page_after_saving_shows_it_once(admin_client, sales):
    form = admin_client.get("/admin/telephony/integration/add/")
    generated = re.search(r'name="secret" value="([^"]+)"', form.content.decode()).group(1)

    added = admin_client.post("/admin/telephony/integration/add/", {
        "name": "Office PBX", "provider": "generic", "secret": generated, "team": sales.pk, "time_zone": "",
        "is_active": "on", **INLINES})

    integration = Integration.objects.get(name="Office PBX")
    assert "no-store" in form["Cache-Control"] and len(generated) >= 40
    assert added.status_code == 200 and "no-store" in added["Cache-Control"]
    assert f'<code data-testid="integration-secret">{generated}</code>' in added.content.decode()
    assert f"/api/telephony/{integration.pk}/events" in added.content.decode()
    assert integration.secret == generated and generated not in stored(integration)
    change = admin_client.get(f"/admin/telephony/integration/{integration.pk}/change/")
    listing = admin_client.get("/admin/telephony/integration/")
    assert change.status_code == listing.status_code == 200
    assert generated not in change.content.decode() and generated not in listing.content.decode()
    assert 'type="password" name="secret"' in change.content.decode()


def test_admin_change_keeps_the_secret_when_left_empty_and_takes_a_new_one(admin_client, generic_pbx, sales):
    data = {"name": "Office Asterisk", "provider": "generic", "team": sales.pk, "time_zone": "", "is_active": "on",
            "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0", "extensions-TOTAL_FORMS": "1",
            "extensions-INITIAL_FORMS": "1", "extensions-0-id": generic_pbx.extensions.get().pk,
            "extensions-0-integration": generic_pbx.pk, "extensions-0-extension": "201",
            "extensions-0-user": generic_pbx.extensions.get().user_id}
    url = f"/admin/telephony/integration/{generic_pbx.pk}/change/"

    kept = admin_client.post(url, {**data, "secret": "", "time_zone": "Europe/Moscow"})
    token_after_keeping = stored(generic_pbx)
    replaced = admin_client.post(url, {**data, "secret": "a-new-secret-from-the-pbx"})

    assert kept.status_code == replaced.status_code == 302
    assert Fernet(derived_key(settings.SECRET_KEY)).decrypt(token_after_keeping.encode()).decode() == GENERIC_SECRET
    assert Integration.objects.get(pk=generic_pbx.pk).secret == "a-new-secret-from-the-pbx"


def test_admin_pages_explain_an_unreadable_secret_and_saving_keeps_its_token(admin_client, sales):
    integration = under_a_lost_key(name="Old PBX", provider=Provider.GENERIC, secret="old-secret", team=sales)
    token = stored(integration)
    url = f"/admin/telephony/integration/{integration.pk}/change/"

    listing = admin_client.get("/admin/telephony/integration/")
    change = admin_client.get(url)
    saved = admin_client.post(url, {"name": "Old PBX (off)", "provider": "generic", "secret": "", "team": sales.pk,
                                    "time_zone": "", **INLINES})

    assert listing.status_code == change.status_code == 200
    assert "cannot be decrypted: enter it again" in listing.content.decode()
    assert "cannot be decrypted with the configured keys" in change.content.decode()
    assert saved.status_code == 302 and stored(integration) == token  # nothing lost: the old key still opens it
    reloaded = Integration.objects.get(pk=integration.pk)
    assert (reloaded.name, reloaded.is_active) == ("Old PBX (off)", False)
    with override_settings(SECRET_KEY=LOST_KEY):
        assert Integration.objects.get(pk=integration.pk).secret == "old-secret"


def test_any_model_form_keeps_the_secret_write_only(generic_pbx):
    field = Integration._meta.get_field("secret").formfield(widget=AdminTextInputWidget())
    form = modelform_factory(Integration, fields=["name", "secret"])(instance=generic_pbx)

    assert isinstance(field.widget, PasswordInput) and not field.required
    assert GENERIC_SECRET not in form.as_p() and "leave empty to keep the current value" in form.as_p()


def test_a_signed_event_still_checks_against_the_decrypted_key(stages, generic_pbx, events_url):
    body = json.dumps({"event": "missed", "call_id": "c-2", "caller": "+79161230000"}).encode()
    signature = "sha256=" + hmac.new(GENERIC_SECRET.encode(), body, hashlib.sha256).hexdigest()

    answer = http(events_url(generic_pbx), data=body,
                  headers={"Content-Type": "application/json", "X-Leadflow-Signature": signature})

    assert answer.status == 200 and CallEvent.objects.count() == 1
