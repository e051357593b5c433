"""A contact that cannot be read does not cost the rest of what a person gave (realdata4).

The unreadable phone or e-mail is kept as given, where the manager reads it (the card and its request), with a
warning naming the field and the problem; a submission is refused only when nothing readable identifies the
person, or when the field is one the form or the partner's terms require."""

from __future__ import annotations

import time

import pytest
from django.test import Client as HttpClient

from leadflow.intake import pipeline, webform_rules
from leadflow.intake.models import Form, Submission
from leadflow.leads.models import Lead, Request

pytestmark = pytest.mark.django_db


def post(key: str, body: dict) -> tuple[int, dict]:
    response = HttpClient().post("/api/submissions", body, content_type="application/json",
                                 headers={"X-Api-Key": key})
    return response.status_code, response.json()


@pytest.mark.parametrize("phone", ["8-912-ЗВОНИТЬ ВЕЧЕРОМ", "12", "+7 912 345 67 89 12 34", "тел 8 (912) 345",
                                   "9" * 300])
def test_an_unreadable_phone_next_to_a_good_email_is_a_lead_and_the_phone_is_kept_as_given(partner, phone, alice):
    _row, key = partner
    body = {"name": "Иванов Иван", "phone": phone, "email": "ivan@mail.ru", "message": "Перезвоните после 18"}

    status, answer = post(key, body)

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.full_name, lead.email, lead.phone, lead.message) == (
        "Иванов Иван", "ivan@mail.ru", "", "Перезвоните после 18")
    [warning] = answer["warnings"]
    assert (warning["field"], warning["code"], warning["value"]) == ("phone", "unreadable", phone[:1000])
    assert warning["problem"] and warning["problem"] in warning["message"]
    # kept with the request, as given, with the problem
    [kept] = Request.objects.get().facts["unreadable"]
    assert (kept["field"], kept["value"], kept["problem"]) == ("phone", phone[:1000], warning["problem"])
    assert Submission.objects.get().payload == body  # and the journal as sent
    # the manager reads it on the card
    lead.owner = alice
    lead.save(update_fields=["owner"])
    http = HttpClient()
    http.force_login(alice)
    page = http.get(f"/leads/{lead.pk}/").content.decode()
    assert 'data-testid="unreadable-contact"' in page and f"«{phone[:1000]}»" in page


def test_an_unreadable_email_next_to_a_good_phone_is_kept_with_its_suggestion(partner):
    outcome = pipeline.receive(pipeline.Inbound(channel="partner", partner=partner[0], payload={
        "name": "Петрова Анна", "phone": "+7 916 100-00-03", "email": "anna@gmail"}))
    assert (outcome.status, outcome.lead.phone, outcome.lead.email) == ("created", "+79161000003", "")
    [warning] = outcome.warnings
    assert (warning["field"], warning["value"], warning["suggestion"]) == ("email", "anna@gmail", "anna@gmail.com")
    assert "anna@gmail.com" in pipeline.shown_warnings(outcome.warnings)[0]["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "Иванов Иван", "phone": "8-912-ЗВОНИТЬ"}, "phone"),  # nothing else identifies the person
    ({"name": "Иванов Иван", "phone": "12", "email": "ivan@"}, "phone"),  # neither contact reads
    ({"name": "Иванов Иван", "email": "ivan@"}, "email"),
])
def test_a_submission_no_readable_contact_identifies_is_refused_with_the_field_and_the_problem(partner, body, field):
    status, answer = post(partner[1], body)
    assert status == 422
    assert field in answer["error"]["fields"] and answer["error"]["fields"][field][0]
    assert not Lead.objects.exists() and Submission.objects.get().status == "invalid"


def test_a_phone_the_partners_terms_require_is_still_refused_when_unreadable(partner):
    row, key = partner
    row.required_fields = ["phone"]
    row.save()
    status, answer = post(key, {"name": "Иванов Иван", "phone": "8-912-ЗВОНИТЬ", "email": "ivan@mail.ru"})
    assert status == 422 and set(answer["error"]["fields"]) == {"phone"} and answer["error"]["fields"]["phone"][0]


def test_a_bad_optional_field_other_than_a_contact_is_still_a_per_field_error_on_the_api(partner):
    # the API's contract for the sender's own fields is unchanged: a deal type it cannot read is answered
    status, answer = post(partner[1], {"name": "Иванов Иван", "email": "ivan@mail.ru", "deal_type": "bulk"})
    assert status == 422 and set(answer["error"]["fields"]) == {"deal_type"}


@pytest.fixture
def optional_phone_form(sales) -> Form:
    return Form.objects.create(name="Contact", slug="contact", team=sales, allowed_origins="https://shop.example\n",
                               fields=[{"name": "name", "required": True}, {"name": "phone", "required": False},
                                       {"name": "email", "required": True}])


def test_the_hosted_form_takes_the_request_and_shows_the_unreadable_optional_phone(optional_phone_form):
    token = webform_rules.issue_token(optional_phone_form, now=time.time() - 30)
    response = HttpClient().post("/f/contact", {"_ts": token, "name": "Иванов Иван", "phone": "8 912 ЗВОНИТЬ",
                                                "email": "ivan@mail.ru"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "We could not read the phone number “8 912 ЗВОНИТЬ”" in page
    assert Lead.objects.get().email == "ivan@mail.ru"


def test_the_hosted_form_still_asks_to_fix_a_required_phone(optional_phone_form):
    optional_phone_form.fields[1]["required"] = True
    optional_phone_form.save()
    token = webform_rules.issue_token(optional_phone_form, now=time.time() - 30)
    response = HttpClient().post("/f/contact", {"_ts": token, "name": "Иванов Иван", "phone": "8 912 ЗВОНИТЬ",
                                                "email": "ivan@mail.ru"})
    assert response.status_code == 422 and not Lead.objects.exists()
