"""Real contact data as people type it, round seven.

When to call typed next to the number ("89123456789 до 12" is "call before 12" in Russian forms, not a slip for
"доб. 12"): the number is read and the remark kept as given with a warning, as "после 18" is; "д. 12" is an extension.
A letter typed for a digit in a number, spaces around a dot of an address's domain, a form that sends every value as
a list (PHP), UTM tags still URL-encoded.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client as HttpClient

from leadflow.intake import webform_rules
from leadflow.intake.models import Form, Submission
from leadflow.intake.tests.realdata import card, post
from leadflow.leads.models import Lead, Request
from leadflow.marketing.models import Campaign, Source

pytestmark = pytest.mark.django_db


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


# --- a letter for a digit, spaces in an address ------------------------------------------------------------------


@pytest.mark.parametrize(("phone", "number"), [
    ("8 912 345 67 8О", "+79123456780"),  # the Cyrillic О for zero
    ("8 912 345 67 8O", "+79123456780"),  # the Latin O
    ("+7 9OO 123 45 67", "+79001234567"),
    ("8 912 OOO 67 89", "+79120006789"),  # read as a keypad's letters before: 666, another person's number
    ("8 9l2 345 67 89", "+79123456789"),  # a small L for one
    ("8 (9I2) 345-67-89", "+79123456789"),
])
def test_a_letter_typed_for_a_digit_is_read_as_the_digit(partner, phone, number):
    status, answer = post({"name": "Иванов Иван", "phone": phone}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert Lead.objects.get().phone == number
    assert Submission.objects.get().payload["phone"] == phone  # the journal keeps it as typed


@pytest.mark.parametrize("phone", ["8 9l2 345 67 89 Иван", "8 912 345 67 8О после 18"])
def test_a_letter_for_a_digit_next_to_a_remark_is_not_guessed(partner, phone):
    # read, the number would leave the word out of the rest: the field is refused, naming it, as before
    status, answer = post({"name": "Иванов Иван", "phone": phone}, {"X-Api-Key": partner[1]})

    assert status == 422 and set(answer["error"]["fields"]) == {"phone"}


@pytest.mark.parametrize("email", ["ivan @mail .ru", "ivan@mail. ru", "ivan @ mail . ru"])
def test_spaces_around_a_dot_of_the_domain_are_read_past(partner, email):
    status, answer = post({"name": "Иванов Иван", "email": email}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert "warnings" not in answer and Lead.objects.get().email == "ivan@mail.ru"


# --- payloads as systems send them -------------------------------------------------------------------------------


def test_a_php_forms_lists_are_its_values(partner):
    status, answer = post({"name": ["Иванов Иван"], "phone": ["8 912 345 67 89", "+7 495 123-45-67"],
                           "email": ["ivan@mail.ru"], "city": ["Москва"], "message": ["Перезвоните"],
                           "consent": ["on"]}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.full_name, lead.phone, lead.email, lead.city) == ("Иванов Иван", "+79123456789", "ivan@mail.ru",
                                                                   "Москва")
    facts = Request.objects.get().facts
    assert facts["other_phones"] == ["+74951234567"] and Request.objects.get().message == "Перезвоните"
    assert lead.consent_given


def test_a_list_of_lists_is_still_refused_naming_the_field(partner):
    status, answer = post({"name": [["Иванов Иван"]], "phone": "8 912 345 67 89"}, {"X-Api-Key": partner[1]})

    assert status == 422 and answer["error"]["fields"] == {"name": ["Must be text."]}


@pytest.mark.parametrize(("sent", "campaign"), [
    ("%D0%B2%D0%B5%D1%81%D0%BD%D0%B0", "весна"),  # encoded once more than the page decoded
    ("%25D0%25B2%25D0%25B5%25D1%2581%25D0%25BD%25D0%25B0", "весна"),  # twice
    ("spring%20sale", "spring sale"),
    ("50%OFF", "50%OFF"),  # no escape at all: as sent
    ("%FF%FE", "%FF%FE"),  # escapes of no text: as sent
])
def test_a_utm_tag_still_url_encoded_is_read_as_the_campaign_names_it(partner, sent, campaign):
    spring = Campaign.objects.create(name="Весна", utm_campaign=campaign)
    yandex = Source.objects.create(name="Яндекс", utm_source="яндекс")

    status, answer = post({"name": "Иванов Иван", "phone": "8 912 345 67 89", "utm_campaign": sent,
                           "utm_source": "%D1%8F%D0%BD%D0%B4%D0%B5%D0%BA%D1%81"}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.utm_campaign, lead.campaign, lead.utm_source, lead.source) == (campaign, spring, "яндекс", yandex)
    assert Submission.objects.get().payload["utm_campaign"] == sent


def test_the_hosted_forms_utm_tags_are_decoded_too(phone_form):
    token = webform_rules.issue_token(phone_form, now=time.time() - 30)

    response = HttpClient().post("/f/call-me", {"_ts": token, "name": "Иванов Иван", "phone": "89123456789",
                                                "utm_campaign": "%D0%B2%D0%B5%D1%81%D0%BD%D0%B0"})

    assert response.status_code == 200
    assert Lead.objects.get().utm_campaign == "весна"
