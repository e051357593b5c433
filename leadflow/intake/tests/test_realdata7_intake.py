"""Real contact data as people type it, round seven.

When to call typed next to the number ("89123456789 до 12" is "call before 12" in Russian forms, not a slip for
"доб. 12"): the number is read and the remark kept as given with a warning, as "после 18" is; "д. 12" is an extension.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.intake import webform_rules
from leadflow.intake.models import Form
from leadflow.leads.models import Lead, Request

pytestmark = pytest.mark.django_db


def post(body: dict, headers: dict) -> tuple[int, dict]:
    response = HttpClient().post("/api/submissions", body, content_type="application/json", headers=headers)
    return response.status_code, response.json()


def card(lead: Lead, user: User) -> str:
    lead.owner = user
    lead.save(update_fields=["owner"])
    http = HttpClient()
    http.force_login(user)
    return http.get(f"/leads/{lead.pk}/").content.decode()


@pytest.fixture
def phone_form(sales) -> Form:
    return Form.objects.create(name="Call me", slug="call-me", team=sales, allowed_origins="https://shop.example\n",
                               fields=[{"name": "name", "required": True}, {"name": "phone", "required": True}])


# --- when to call, next to the number ---------------------------------------------------------------------------


@pytest.mark.parametrize(("phone", "number", "remark"), [
    ("89123456789 до 12", "+79123456789", "до 12"),  # refused before: "may mean доб. 12"
    ("8 495 123-45-67 до 12", "+74951234567", "до 12"),
    ("89123456789, до 12", "+79123456789", "до 12"),
    ("+7 912 345-67-89 (до 12)", "+79123456789", "(до 12)"),
    ("89123456789 до 12:00", "+79123456789", "до 12:00"),
    ("89123456789 до 18.00", "+79123456789", "до 18.00"),
    ("89123456789 с 10 до 18", "+79123456789", "с 10 до 18"),
    ("89123456789 с 10:00 до 18:00", "+79123456789", "с 10:00 до 18:00"),
    ("89123456789 в 10", "+79123456789", "в 10"),  # refused before, as "до 12" was
    ("89123456789 около 12 дня", "+79123456789", "около 12 дня"),
])
def test_when_to_call_is_kept_as_given_next_to_the_number(partner, alice, phone, number, remark):
    status, answer = post({"name": "Иванов Иван", "phone": phone}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.phone, lead.phone_ext) == (number, "")
    [warning] = answer["warnings"]
    assert (warning["field"], warning["code"], warning["value"]) == ("phone", "unreadable", remark)
    assert warning["problem"] == "when to call, not a phone number"
    [kept] = Request.objects.get().facts["unreadable"]
    assert (kept["value"], kept["read"]) == (remark, number)
    assert f"«{remark}»" in card(lead, alice)


def test_the_partner_reads_why_in_its_language(partner):
    status, answer = post({"name": "Иванов Иван", "phone": "89123456789 до 12"},
                          {"X-Api-Key": partner[1], "Accept-Language": "ru"})

    assert status == 201, answer
    [warning] = answer["warnings"]
    assert warning["message"].startswith("«до 12» не удалось разобрать (когда звонить, а не номер телефона);")


@pytest.mark.parametrize("phone", ["89123456789 после обеда", "89123456789 в любое время", "89123456789 вечером",
                                   "89123456789 WhatsApp", "89123456789 Telegram", "89123456789 только смс",
                                   "+7 912 345 67 89 WhatsApp, Telegram"])
def test_a_remark_without_digits_is_kept_as_given(partner, phone):
    status, answer = post({"name": "Иванов Иван", "phone": phone}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert Lead.objects.get().phone == "+79123456789"
    [warning] = answer["warnings"]
    assert warning["value"] == phone.removeprefix("+7 912 345 67 89 ").removeprefix("89123456789 ")


@pytest.mark.parametrize(("phone", "number", "extension"), [
    ("8 495 123-45-67 д. 12", "+74951234567", "12"),
    ("8 495 123-45-67 д.12", "+74951234567", "12"),
    ("8 495 123-45-67 доб 12", "+74951234567", "12"),
    ("8 495 123-45-67 доб. 12 до 18", "+74951234567", "12"),  # the extension, then when to call
])
def test_an_extension_mark_keeps_its_digits_as_the_extension(partner, phone, number, extension):
    status, answer = post({"name": "Иванов Иван", "phone": phone}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.phone, lead.phone_ext) == (number, extension)
    assert [w["value"] for w in answer.get("warnings", [])] == (["до 18"] if "до 18" in phone else [])


@pytest.mark.parametrize("phone", ["89123456789 до 123", "89123456789 до 25"])
def test_digits_that_are_no_hour_after_do_are_still_refused(partner, phone):
    # "до 123" is no time of day: a slip for "доб. 123" may be, and an extension is not dropped or guessed
    status, answer = post({"name": "Иванов Иван", "phone": phone}, {"X-Api-Key": partner[1]})

    assert status == 422 and set(answer["error"]["fields"]) == {"phone"}
    assert not Lead.objects.exists()


@pytest.mark.parametrize(("language", "notice"), [
    ("en", "We could not read “до 12” next to +79123456789."),
    ("ru", "Мы не смогли разобрать «до 12» рядом с +79123456789."),
])
def test_the_hosted_form_takes_a_required_phone_with_when_to_call(phone_form, language, notice):
    phone_form.language = language
    phone_form.save(update_fields=["language"])
    token = webform_rules.issue_token(phone_form, now=time.time() - 30)

    response = HttpClient().post("/f/call-me", {"_ts": token, "name": "Иванов Иван", "phone": "89123456789 до 12"})

    assert response.status_code == 200
    assert Lead.objects.get().phone == "+79123456789"
    assert notice in response.content.decode()
