"""Consents recorded by the channels: one record per purpose, with the exact text, version, time, IP, channel."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client as HttpClient

from leadflow.intake import webform_rules
from leadflow.intake.models import Form, Submission
from leadflow.leads.models import Lead
from leadflow.privacy.models import Consent, Purpose
from leadflow.privacy.services import has_consent

pytestmark = pytest.mark.django_db

SITE = "https://shop.example.com"
PERSON = {"name": "Петров Пётр", "phone": "+7 912 345-67-89", "email": "petr@example.ru"}


@pytest.fixture
def form(sales) -> Form:
    return Form.objects.create(
        name="Contact us", slug="contact", team=sales, allowed_origins=f"{SITE}\n",
        consent_text="I agree to the processing of my personal data.", consent_text_version="pd-2025-09",
        consent_document_url="https://shop.example.com/privacy",
        marketing_consent_text="Send me offers by e-mail.", marketing_consent_text_version="mk-3",
        partners_consent_text="Pass my contacts to dealers.", partners_consent_text_version="pt-1",
        fields=[{"name": "name", "required": True}, {"name": "phone", "required": True},
                {"name": "email", "required": False}],
    )


def token(form: Form) -> str:
    return webform_rules.issue_token(form, now=time.time() - 30)


def post_page(form: Form, data: dict[str, Any], **extra: Any):
    return HttpClient().post(f"/f/{form.slug}", data={"_ts": token(form), **PERSON, **data}, **extra)


def test_the_hosted_page_shows_each_consent_as_its_own_unticked_box(form):
    html = HttpClient().get("/f/contact").content.decode()
    for name, text in (("consent", "I agree to the processing"), ("consent_marketing", "Send me offers"),
                       ("consent_partners", "Pass my contacts")):
        assert f'<input type="checkbox" name="{name}">' in html  # no "checked"
        assert text in html
    assert 'href="https://shop.example.com/privacy"' in html


def test_a_form_submission_records_each_ticked_purpose_with_its_text_version_time_and_ip(form):
    response = post_page(form, {"consent": "on", "consent_marketing": "on"}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    lead = Lead.objects.get()
    rows = {c.purpose: c for c in Consent.objects.filter(lead=lead)}
    assert set(rows) == {Purpose.PROCESSING, Purpose.MARKETING}  # partners was not ticked
    assert rows["processing"].text_version == "pd-2025-09"
    assert rows["processing"].text == "I agree to the processing of my personal data."
    assert rows["marketing"].text_version == "mk-3"
    assert rows["marketing"].text == "Send me offers by e-mail."
    submission = Submission.objects.get()
    for row in rows.values():
        assert row.given is True
        assert row.ip == "203.0.113.7"
        assert row.channel == "form:contact"
        assert row.at == submission.received_at
        assert row.email == "petr@example.ru"
        assert row.phone == "+79123456789"
    assert lead.consent_given and lead.consent_text_version == "pd-2025-09"
    assert has_consent(purpose=Purpose.MARKETING, lead=lead)
    assert not has_consent(purpose=Purpose.PARTNERS, lead=lead)


def test_without_the_processing_box_the_form_is_refused_on_that_box_and_journaled(form):
    response = post_page(form, {"consent_marketing": "on"})
    assert response.status_code == 422
    assert 'id="lf-consent-error"' in response.content.decode()
    submission = Submission.objects.get()
    assert submission.status == "invalid"
    assert list(submission.errors["fields"]) == ["consent"]
    assert submission.payload["email"] == "petr@example.ru"  # nothing lost
    assert not Lead.objects.exists() and not Consent.objects.exists()


def test_the_embed_endpoint_takes_the_boxes_and_its_config_lists_them(form):
    config = HttpClient().get("/f/contact/config", headers={"Origin": SITE}).json()
    assert [(c["name"], c["purpose"], c["version"], c["required"]) for c in config["consents"]] == [
        ("consent", "processing", "pd-2025-09", True), ("consent_marketing", "marketing", "mk-3", False),
        ("consent_partners", "partners", "pt-1", False)]
    body = {"_ts": token(form), **PERSON, "consent": True, "consent_marketing": False, "consent_partners": True}
    response = HttpClient().post("/f/contact/submit", data=json.dumps(body), content_type="application/json",
                                 headers={"Origin": SITE})
    assert response.status_code == 200
    assert sorted(Consent.objects.values_list("purpose", "text_version")) == [
        ("partners", "pt-1"), ("processing", "pd-2025-09")]
    again = {**body, "consent": False, "phone": "+79120000000"}
    refused = HttpClient().post("/f/contact/submit", data=json.dumps(again), content_type="application/json",
                                headers={"Origin": SITE})
    assert refused.status_code == 422
    assert list(refused.json()["error"]["fields"]) == ["consent"]


def api_submit(partner_key: str, body: dict[str, Any]):
    return HttpClient().post("/api/submissions", data=json.dumps(body), content_type="application/json",
                             headers={"X-Api-Key": partner_key}, REMOTE_ADDR="198.51.100.4")


def test_the_api_takes_consent_per_purpose_with_versions(partner):
    _row, key = partner
    response = api_submit(key, {**PERSON, "consents": {"processing": True, "marketing": True, "partners": False},
                                "consent_text_version": "cpa-1", "consent_text_versions": {"marketing": "cpa-m2"}})
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert sorted(Consent.objects.filter(lead=lead).values_list("purpose", "text_version", "channel", "ip")) == [
        ("marketing", "cpa-m2", "partner:CPA Network", "198.51.100.4"),
        ("processing", "cpa-1", "partner:CPA Network", "198.51.100.4")]


def test_the_older_consent_flag_still_means_processing(partner):
    _row, key = partner
    assert api_submit(key, {**PERSON, "consent": True}).status_code == 201
    assert list(Consent.objects.values_list("purpose", flat=True)) == ["processing"]


@pytest.mark.parametrize(("consents", "field", "message"), [
    ("yes", "consents", "Must be an object"),
    ({"procesing": True}, "consents.procesing", "Unknown purpose"),
    ({"marketing": "yes"}, "consents.marketing", "Must be true or false."),
])
def test_bad_consents_are_field_errors_and_journaled(partner, consents, field, message):
    _row, key = partner
    response = api_submit(key, {**PERSON, "consents": consents})
    assert response.status_code == 422
    errors = response.json()["error"]["fields"]
    assert list(errors) == [field] and message in errors[field][0]
    assert Submission.objects.get().status == "invalid"
    assert not Lead.objects.exists() and not Consent.objects.exists()


def test_consent_and_consents_processing_must_agree(partner):
    _row, key = partner
    response = api_submit(key, {**PERSON, "consent": True, "consents": {"processing": False}})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["consents.processing"]


def test_a_repeat_request_records_its_consents_on_the_card_it_joins(partner, make_lead):
    lead = make_lead(phone="+79123456789", email="petr@example.ru", first_name="Пётр", last_name="Петров")
    assert not lead.consent_given
    _row, key = partner
    assert api_submit(key, {**PERSON, "consents": {"processing": True}}).status_code == 200
    lead.refresh_from_db()
    assert lead.consent_given and lead.consent_channel == "partner:CPA Network"
    assert Consent.objects.get().lead == lead


def test_a_repeat_moves_the_cards_summary_to_its_own_consent(partner, make_lead):
    lead = make_lead(phone="+79123456789", email="petr@example.ru", first_name="Пётр", last_name="Петров")
    _row, key = partner
    api_submit(key, {**PERSON, "consents": {"processing": True}, "consent_text_version": "cpa-1"})
    api_submit(key, {**PERSON, "consents": {"processing": True}, "consent_text_version": "cpa-2"})
    lead.refresh_from_db()
    latest = Consent.objects.filter(lead=lead).latest("at", "pk")
    assert (lead.consent_given, lead.consent_at, lead.consent_text_version) == (True, latest.at, "cpa-2")


def test_a_replayed_older_submission_does_not_undo_a_later_withdrawal(partner, make_lead, alice):
    from datetime import timedelta

    from django.utils import timezone

    from leadflow.intake import pipeline
    from leadflow.leads.models import Channel
    from leadflow.privacy.services import record_consent

    lead = make_lead(phone="+79123456789", email="petr@example.ru", first_name="Пётр", last_name="Петров")
    row, _key = partner
    an_hour_ago = timezone.now() - timedelta(hours=1)
    submission, _new = pipeline.journal(pipeline.Inbound(
        channel=Channel.PARTNER, partner=row, received_at=an_hour_ago,
        payload={**PERSON, "consents": {"processing": True}, "consent_text_version": "cpa-1"}))
    record_consent(purpose=Purpose.PROCESSING, given=False, lead=lead, channel="card", by=alice)

    assert pipeline.process(submission).status == "attached"  # the journal's row, processed after the withdrawal
    lead.refresh_from_db()
    assert not lead.consent_given
    assert not has_consent(purpose=Purpose.PROCESSING, lead=lead)
    assert Consent.objects.filter(lead=lead, given=True, at=an_hour_ago).count() == 1  # recorded all the same


def test_the_lead_card_names_a_partner_consent_in_words(partner, make_lead, head):
    """The card's "Consent to be contacted" read "получено ... · partner:ЛидМаркет (CPA)" (the stored code) while the
    consent history below said "партнёр «ЛидМаркет (CPA)»"."""
    lead = make_lead(phone="+79123456789", email="petr@example.ru", first_name="Пётр", last_name="Петров")
    _row, key = partner
    assert api_submit(key, {**PERSON, "consents": {"processing": True}}).status_code == 200
    lead.refresh_from_db()
    assert lead.consent_channel == "partner:CPA Network"
    web = HttpClient()
    web.force_login(head)
    page = web.get(f"/leads/{lead.pk}/", headers={"Accept-Language": "en"}).content.decode()
    assert "partner:CPA Network" not in page
    assert "partner “CPA Network”" in page
