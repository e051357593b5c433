"""Consent history on the cards, withdrawal by the owner or head, the data migration, the command."""

from __future__ import annotations

import importlib
import json
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.clients.models import Client, Contact
from leadflow.leads.models import Lead
from leadflow.privacy.models import Consent, ErasureLog, Purpose
from leadflow.privacy.services import has_consent, record_consent

pytestmark = pytest.mark.django_db


def logged_in(user) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def test_the_owner_sees_the_history_and_a_withdrawal_makes_has_consent_false(make_lead, alice, bob, head):
    lead = make_lead(owner=alice, email="ann@example.com")
    record_consent(purpose=Purpose.PROCESSING, lead=lead, email=lead.email, text_version="pd-7", ip="203.0.113.9",
                   channel="form:contact")
    record_consent(purpose=Purpose.MARKETING, lead=lead, email=lead.email, text_version="mk-2", channel="form:contact")
    lead.refresh_from_db()
    assert lead.consent_given and lead.consent_text_version == "pd-7"

    page = logged_in(alice).get(f"/leads/{lead.pk}/").content.decode()
    assert page.count('data-testid="consent-row"') == 2
    assert "pd-7" in page and "203.0.113.9" in page and "web form “contact”" in page
    assert 'name="purpose" value="marketing"' in page  # a withdraw button per consent in force

    assert logged_in(bob).post("/privacy/withdraw/", {"lead": lead.pk, "purpose": "marketing"}).status_code == 404
    assert has_consent(purpose=Purpose.MARKETING, lead=lead)

    response = logged_in(alice).post("/privacy/withdraw/", {"lead": lead.pk, "purpose": "marketing"})
    assert response.status_code == 302
    assert not has_consent(purpose=Purpose.MARKETING, lead=lead)
    assert not has_consent(purpose=Purpose.MARKETING, email="ANN@example.com")
    withdrawal = Consent.objects.get(given=False)
    assert (withdrawal.recorded_by, withdrawal.channel, withdrawal.lead) == (alice, "card", lead)

    logged_in(head).post("/privacy/withdraw/", {"lead": lead.pk, "purpose": "processing"})
    lead.refresh_from_db()
    assert not lead.consent_given  # the summary follows the records


def test_the_client_card_shows_the_clients_and_its_leads_history(make_lead, alice):
    lead = make_lead(owner=alice)
    record_consent(purpose=Purpose.PROCESSING, lead=lead, text_version="pd-1")
    contact = Contact.objects.create(full_name="Ann Lee", email="ann@example.com")
    client = Client.objects.create(name="Ann Lee", contact=contact, owner=alice, team=alice.team, lead=lead)
    record_consent(purpose=Purpose.MARKETING, client=client, text_version="mk-9")
    page = logged_in(alice).get(f"/clients/{client.pk}/").content.decode()
    assert "pd-1" in page and "mk-9" in page
    response = logged_in(alice).post("/privacy/withdraw/", {"client": client.pk, "purpose": "marketing"})
    assert response.status_code == 302
    assert not has_consent(purpose=Purpose.MARKETING, client=client)


def test_the_api_withdraws_and_lists_for_those_who_may(make_lead, alice, bob, api_as):
    lead = make_lead(owner=alice)
    record_consent(purpose=Purpose.PARTNERS, lead=lead, text_version="pt-1")
    assert api_as(bob).get(f"/api/privacy/consents?lead={lead.pk}").status_code == 404
    bad = api_as(alice).post("/api/privacy/consents/withdraw", data={"lead": lead.pk, "purpose": "spam"},
                             content_type="application/json")
    assert bad.status_code == 422 and list(bad.json()["error"]["fields"]) == ["purpose"]
    done = api_as(alice).post("/api/privacy/consents/withdraw", data={"lead": lead.pk, "purpose": "partners"},
                              content_type="application/json")
    assert done.status_code == 201
    history = api_as(alice).get(f"/api/privacy/consents?lead={lead.pk}").json()
    assert [(c["purpose"], c["given"]) for c in history] == [("partners", False), ("partners", True)]


def test_the_data_migration_starts_the_history_from_the_lead_summary(make_lead):
    given = make_lead(email="Old@Example.com")
    at = timezone.now().replace(microsecond=0)
    Lead.objects.filter(pk=given.pk).update(consent_given=True, consent_text_version="2024-01",
                                            consent_channel="form:old", consent_at=at)
    make_lead()  # no consent: no record
    already = make_lead()
    Lead.objects.filter(pk=already.pk).update(consent_given=True)
    record_consent(purpose=Purpose.PROCESSING, lead=already, text_version="new")
    migration = importlib.import_module("leadflow.privacy.migrations.0003_consents_from_lead_summary")
    migration.forwards(apps, None)
    row = Consent.objects.get(lead=given)
    assert (row.purpose, row.given, row.text_version, row.channel, row.at, row.email) == (
        "processing", True, "2024-01", "form:old", at, "old@example.com")
    assert Consent.objects.filter(lead=already).count() == 1
    assert Consent.objects.count() == 2


def test_the_command_exports_and_erases(make_lead, admin_user, tmp_path):
    lead = make_lead(email="cmd@example.com")
    out = tmp_path / "person.json"
    call_command("privacy", "export", "--email", "CMD@example.com", "--output", str(out), stderr=StringIO())
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["person"]["lead_ids"] == [lead.pk]
    assert document["rooms"]["leads"]["leads"][0]["email"] == "cmd@example.com"
    with pytest.raises(Exception, match="administrator"):
        call_command("privacy", "erase", "--email", "cmd@example.com", "--as", "nobody", "--yes", stderr=StringIO())
    stdout = StringIO()
    call_command("privacy", "erase", "--email", "cmd@example.com", "--as", "admin", "--yes", stdout=stdout,
                 stderr=StringIO())
    assert json.loads(stdout.getvalue())["erasure"] == ErasureLog.objects.get().pk
    lead.refresh_from_db()
    assert lead.email == "" and lead.erased_at is not None
