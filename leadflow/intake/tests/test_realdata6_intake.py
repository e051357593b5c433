"""Real contact data as people type it, round six.

A remark typed next to a phone or an address with no separator ("8 912 345 67 89 после 18", "89123456789 Иван",
"ivan@mail.ru (рабочий)"): the number is read and the remark kept as given with a warning, as after a separator.
A name, company, comment or city longer than its field, on a channel nobody waits on: the lead is kept, the field
has the text's beginning and the whole text is kept as given; the API keeps its per-field 422."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.clients.models import Client
from leadflow.imports import services as imports
from leadflow.imports.models import ImportJob, ImportKind
from leadflow.intake import pipeline, webform_rules
from leadflow.intake.models import Form, Submission
from leadflow.intake.tests.realdata import card, post
from leadflow.leads.models import Lead, Request

pytestmark = pytest.mark.django_db


def import_rows(tmp_path: Path, by: User, data: str, kind: str = ImportKind.LEADS) -> ImportJob:
    path = tmp_path / "expo.csv"
    path.write_bytes(data.encode("utf-8"))
    job = imports.create_job(upload=path, by=by, kind=kind)
    job = imports.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=by)
    imports.run_import(job)
    return ImportJob.objects.get(pk=job.pk)


# --- a remark next to a phone, no separator -------------------------------------------------------------------


@pytest.mark.parametrize(("phone", "number", "extension", "remark"), [
    ("8 912 345 67 89 после 18", "+79123456789", "", "после 18"),
    ("+7 912 345-67-89 звонить вечером", "+79123456789", "", "звонить вечером"),
    ("89123456789 Иван", "+79123456789", "", "Иван"),
    ("тел 89123456789 (рабочий)", "+79123456789", "", "(рабочий)"),
    ("Иван 8 912 345 67 89", "+79123456789", "", "Иван"),
    ("8 912 345 67 89 звонить 2 раза", "+79123456789", "", "звонить 2 раза"),  # refused before: too many digits
    ("+7 495 123 45 67 доб 12 после 18", "+74951234567", "12", "после 18"),  # the extension stays the number's
    ("8 (495) 123-45-67 x 12 Петров", "+74951234567", "12", "Петров"),
    ("+8 912 345 67 89 WhatsApp", "+79123456789", "", "WhatsApp"),  # the trunk 8 after a plus, as before
    ("８９１２３４５６７８９ Иван", "+79123456789", "", "Иван"),  # full-width digits of an East Asian layout
    ("+7 912 345 67 89 - после обеда", "+79123456789", "", "после обеда"),  # the dash between is no remark
])
def test_a_remark_without_a_separator_is_kept_as_given_next_to_the_number(partner, alice, phone, number, extension,
                                                                             remark):
    status, answer = post({"name": "Иванов Иван", "phone": phone}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.phone, lead.phone_ext) == (number, extension)
    [warning] = answer["warnings"]
    assert (warning["field"], warning["code"], warning["value"]) == ("phone", "unreadable", remark)
    assert remark in warning["message"]
    [kept] = Request.objects.get().facts["unreadable"]
    assert kept["value"] == remark and kept["read"].split(" ext. ")[0] == number
    page = card(lead, alice)
    assert 'data-testid="unreadable-contact"' in page and f"«{remark}»" in page


@pytest.mark.parametrize(("phone", "number", "extension"), [
    ("8 912 345 67 89 доб 123", "+79123456789", "123"),
    ("8 (495) 123-45-67 x 12", "+74951234567", "12"),
    ("8 495 123 45 67 #12", "+74951234567", "12"),
    ("+7 495 123-45-67 ext 12", "+74951234567", "12"),
    ("+7 495 123-45-67, доб. 12", "+74951234567", "12"),
    ("моб. 8-912-345-67-89", "+79123456789", ""),  # a word naming the field is no remark
    ("тел.: +7 912 345 67 89", "+79123456789", ""),
    ("Phone: +7 912 345 67 89", "+79123456789", ""),
    ("8 912 345 67 89", "+79123456789", ""),
])
def test_an_extension_or_a_label_is_no_remark(partner, phone, number, extension):
    status, answer = post({"name": "Иванов Иван", "phone": phone}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert "warnings" not in answer
    lead = Lead.objects.get()
    assert (lead.phone, lead.phone_ext) == (number, extension)


def test_several_numbers_with_a_remark_are_all_read(partner):
    status, answer = post({"name": "Иванов Иван", "phone": "89123456789 жена, раб. 8 (495) 123-45-67 доб. 12"},
                          {"X-Api-Key": partner[1]})

    assert status == 201, answer
    facts = Request.objects.get().facts
    assert (facts["phone"], facts["other_phones"]) == ("+79123456789", ["+74951234567 ext. 12"])
    [warning] = answer["warnings"]
    assert warning["value"] == "жена"  # "раб." right before its number labels it


@pytest.mark.parametrize("phone", [
    "89123456789 до 123",  # no hour: "до 123" may be "доб. 123" ("до 12" is when to call, round seven)
    "8 912 345 67 89 8 495 123 45 67",  # two numbers run together: where one ends nobody can tell
    "8 912 345 67 899",  # a digit too many is not a remark
])
def test_what_may_be_part_of_the_number_is_still_refused(partner, phone):
    status, answer = post({"name": "Иванов Иван", "phone": phone}, {"X-Api-Key": partner[1]})
    assert status == 422 and set(answer["error"]["fields"]) == {"phone"}
    assert not Lead.objects.exists()


@pytest.mark.parametrize(("email", "remark"), [
    ("ivan@mail.ru рабочий", "рабочий"),
    ("ivan@mail.ru (рабочий)", "(рабочий)"),  # read past before: the brackets were dropped
    ("для счетов ivan@mail.ru", "для счетов"),
])
def test_a_remark_next_to_an_address_is_kept_as_given(partner, alice, email, remark):
    status, answer = post({"name": "Иванов Иван", "email": email}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert lead.email == "ivan@mail.ru"
    [warning] = answer["warnings"]
    assert (warning["field"], warning["value"]) == ("email", remark)
    assert f"«{remark}»" in card(lead, alice)


@pytest.mark.parametrize("email", ["e-mail: ivan@mail.ru", "mailto:ivan@mail.ru", "ivan@mail.ru.",
                                   "Почта ivan@mail.ru"])
def test_an_address_with_a_label_or_a_trailing_dot_is_read_without_a_warning(partner, email):
    status, answer = post({"name": "Иванов Иван", "email": email}, {"X-Api-Key": partner[1]})
    assert status == 201 and "warnings" not in answer
    assert Lead.objects.get().email == "ivan@mail.ru"


@pytest.fixture
def phone_form(sales) -> Form:
    return Form.objects.create(name="Call me", slug="call-me", team=sales, allowed_origins="https://shop.example\n",
                               fields=[{"name": "name", "required": True}, {"name": "phone", "required": True},
                                       {"name": "message"}])


def test_the_hosted_form_takes_a_phone_with_a_remark_and_says_what_it_kept(phone_form):
    token = webform_rules.issue_token(phone_form, now=time.time() - 30)
    response = HttpClient().post("/f/call-me", {"_ts": token, "name": "Иванов Иван",
                                                "phone": "8 912 345 67 89 после 18"})

    assert response.status_code == 200
    assert Lead.objects.get().phone == "+79123456789"
    assert "We could not read “после 18” next to +79123456789." in response.content.decode()


def test_an_import_row_keeps_the_remark_of_its_phone(tmp_path, head):
    job = import_rows(tmp_path, head, "ФИО;Телефон\r\nСергеев Пётр;8 912 345 67 89 после 18\r\n")

    assert job.counts["created"] == 1
    assert Lead.objects.get().phone == "+79123456789"
    [row] = job.report
    assert row["warning"].startswith("«Телефон» (phone): “после 18” could not be read (")


def test_a_manager_entering_a_lead_by_hand_keeps_the_remark(alice, api_as):
    response = api_as(alice).post("/api/submissions", {"name": "Иванов Иван", "phone": "89123456789 Иван"},
                                  content_type="application/json")
    assert response.status_code == 201, response.json()
    assert Lead.objects.get().phone == "+79123456789"
    assert [w["value"] for w in response.json()["warnings"]] == ["Иван"]


# --- text longer than its field ---------------------------------------------------------------------------------

LONG_COMPANY = "ООО «Научно-производственное объединение " + "специальных строительных технологий " * 8 + "»"


@pytest.mark.parametrize(("language", "label", "note"), [
    ("en", "Company, as given", "longer than 255 characters: the field has its beginning"),
    ("ru", "Компания, как указана", "длиннее 255 символов: в поле его начало"),
])
def test_an_imported_row_with_a_company_too_long_is_a_lead_with_the_whole_name_kept(tmp_path, head, language, label,
                                                                                      note):
    assert len(LONG_COMPANY) > 255
    job = import_rows(tmp_path, head, f"ФИО;Телефон;Компания\r\nСергеев Пётр;+7 916 100-00-01;{LONG_COMPANY}\r\n")

    assert job.counts["created"] == 1 and job.counts["invalid"] == 0
    lead = Lead.objects.get()
    assert len(lead.company_name) <= 255 and lead.company_name.endswith("…")
    assert lead.company_name.removesuffix("…").split()[-1] in LONG_COMPANY.split()  # cut after a whole word
    [row] = job.report
    assert row["warning"].startswith("«Компания» (company): The text is longer than the 255 characters")
    [kept] = Request.objects.get().facts["unreadable"]
    assert (kept["field"], kept["code"], kept["value"]) == ("company", "too_long", LONG_COMPANY)
    head.language = language
    head.save(update_fields=["language"])
    page = card(lead, head)
    assert label in page and note in page


def test_every_long_text_of_an_email_is_kept(sales):
    comment = "Нужна консультация. " * 600
    outcome = pipeline.receive(pipeline.Inbound(channel="email", payload={
        "name": "Иванов Иван", "email": "ivan@mail.ru", "city": "Москва " * 30, "position": "менеджер " * 30,
        "product_interest": "насосы " * 30, "message": comment}))

    assert outcome.status == "created", outcome.errors
    lead = outcome.lead
    assert (lead.city.endswith("…"), len(lead.city) <= 120, len(lead.position) <= 160) == (True, True, True)
    request = Request.objects.get()
    assert len(request.message) <= 10_000 and request.message.endswith("…")
    assert {item["field"]: item["value"] for item in outcome.warnings} == {
        "city": ("Москва " * 30).strip(), "position": ("менеджер " * 30).strip(),
        "product_interest": ("насосы " * 30).strip(), "message": comment.strip()}


def test_a_name_too_long_on_a_web_form_is_kept(phone_form):
    name = "Иванов Иван Иванович, " + "и ещё немного текста " * 20
    status, answer = post({"name": name, "phone": "+7 916 100-00-01"}, {"X-Form-Key": phone_form.public_key})

    assert status == 200, answer
    lead = Lead.objects.get()
    assert len(lead.full_name) <= 255 and (lead.last_name, lead.first_name) == ("Иванов", "Иван")
    assert [(w["field"], w["code"]) for w in answer["warnings"]] == [("name", "too_long")]


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Too long: 300 characters, at most 255."),
    ("ru", "Слишком длинный текст (символов: 300), допустимо не больше 255."),
])
def test_the_api_refuses_a_text_too_long_naming_the_field_and_its_length(partner, language, message):
    response = HttpClient().post("/api/submissions", {"name": "Иванов Иван", "phone": "+7 916 100-00-01",
                                                      "company": "x" * 300}, content_type="application/json",
                                 headers={"X-Api-Key": partner[1], "Accept-Language": language})

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"company": [message]}
    assert not Lead.objects.exists() and Submission.objects.get().payload["company"] == "x" * 300


def test_a_comment_of_the_hosted_form_too_long_is_cut_and_kept(phone_form):
    token = webform_rules.issue_token(phone_form, now=time.time() - 30)
    comment = "Hello! " + "Order details. " * 700  # (the form's body may have 16 KB: Latin letters, one byte each)
    response = HttpClient().post("/f/call-me", {"_ts": token, "name": "Иванов Иван", "phone": "+7 916 100-00-01",
                                                "message": comment})

    assert response.status_code == 200
    request = Request.objects.get()
    assert request.message.startswith("Hello! Order details.") and len(request.message) <= 10_000
    [kept] = request.facts["unreadable"]
    assert (kept["field"], kept["value"]) == ("message", comment.strip())


@pytest.mark.parametrize(("language", "note"), [
    ("en", "longer than 10000 characters: the field has its beginning, here the rest"),
    ("ru", "длиннее 10000 символов: в поле его начало, здесь продолжение"),
])
def test_a_comment_too_long_is_on_the_card_once_its_kept_entry_the_rest(phone_form, head, language, note):
    token = webform_rules.issue_token(phone_form, now=time.time() - 30)
    comment = "Hello! " + "".join(f"Order line {number}. " for number in range(1, 700))
    response = HttpClient().post("/f/call-me", {"_ts": token, "name": "Иванов Иван", "phone": "+7 916 100-00-01",
                                                "message": comment})
    assert response.status_code == 200
    head.language = language
    head.save(update_fields=["language"])

    page = card(Lead.objects.get(), head)

    # the request's comment has the beginning; each entry kept as given goes on from where it stops
    message = Request.objects.get().message
    assert "Order line 1. " in message and "Order line 699." not in message
    kept = re.findall(r'data-testid="(?:unreadable-contact|request-unreadable)">(.*?)</(?:dd|p)>', page, re.DOTALL)
    assert kept and all("Order line 699." in entry and note in entry for entry in kept)
    assert not any("Order line 1. " in entry or "Hello!" in entry for entry in kept)
    for entry in kept:  # nothing repeated, nothing lost
        assert message.removesuffix("…") + " " + re.search(r"«…(.*?)»", entry).group(1) == comment.strip()


@pytest.mark.parametrize(("name", "remark", "parts"), [
    ("Иван, звонить после 18", "звонить после 18", ("", "Иван", "")),
    ("Мария; менеджер по закупкам", "менеджер по закупкам", ("", "Мария", "")),
    ("Иванов Иван Иванович, директор ООО Ромашка", "директор ООО Ромашка", ("Иванов", "Иван", "Иванович")),
    ("Иванов Иван (менеджер)", "(менеджер)", ("Иванов", "Иван", "")),
])
def test_a_remark_typed_after_the_name_is_kept_as_given_and_not_taken_for_a_name(partner, alice, name, remark,
                                                                                 parts):
    status, answer = post({"name": name, "phone": "+7 916 100-00-01"}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.last_name, lead.first_name, lead.middle_name) == parts
    assert [(w["field"], w["value"]) for w in answer["warnings"]] == [("name", remark)]
    alice.language = "ru"
    alice.save(update_fields=["language"])
    page = card(lead, alice)
    assert f"«{remark}»" in page and "не часть имени" in page


@pytest.mark.parametrize(("name", "parts"), [
    ("Петров, Иван", ("Петров", "Иван", "")),  # surname, comma, name: a list's order, no remark
    ("ИВАНОВ ИВАН ИВАНОВИЧ", ("Иванов", "Иван", "Иванович")),
    ("IVANOV IVAN", ("Ivanov", "Ivan", "")),
    ("Petrov Ivan Sergeevich", ("Petrov", "Ivan", "Sergeevich")),
])
def test_a_name_as_people_type_it_needs_no_warning(partner, name, parts):
    status, answer = post({"name": name, "phone": "+7 916 100-00-01"}, {"X-Api-Key": partner[1]})
    assert status == 201 and "warnings" not in answer, answer
    lead = Lead.objects.get()
    assert (lead.last_name, lead.first_name, lead.middle_name) == parts


def test_a_name_in_capitals_with_the_phone_in_the_name_field(partner):
    status, answer = post({"name": "ИВАНОВ ИВАН 8 912 345 67 89"}, {"X-Api-Key": partner[1]})
    assert status == 201 and "warnings" not in answer, answer
    lead = Lead.objects.get()
    assert (lead.full_name, lead.phone) == ("Иванов Иван", "+79123456789")


def test_a_phone_alone_in_the_name_field_is_the_phone_not_a_name(partner):
    status, answer = post({"name": "+7 912 345 67 89"}, {"X-Api-Key": partner[1]})
    assert status in (201, 202), answer
    assert Submission.objects.get().status == "interest"  # no person's name: an interest, with the number


@pytest.mark.parametrize(("given", "phone", "email"), [
    ({"phone": "ivan@mail.ru"}, "", "ivan@mail.ru"),  # a form's fields or a file's columns swapped
    ({"email": "8 912 345-67-89"}, "+79123456789", ""),
    ({"phone": "89123456789, ivan@mail.ru"}, "+79123456789", "ivan@mail.ru"),
    ({"email": "ivan@mail.ru 89123456789"}, "+79123456789", "ivan@mail.ru"),
])
def test_a_contact_typed_into_the_other_contact_field_goes_to_its_own(partner, given, phone, email):
    status, answer = post({"name": "Иванов Иван", **given}, {"X-Api-Key": partner[1]})

    assert status == 201 and "warnings" not in answer, answer
    lead = Lead.objects.get()
    assert (lead.phone, lead.email) == (phone, email)
    assert {key: Submission.objects.get().payload[key] for key in given} == given  # the journal as sent


def test_a_contact_in_the_other_field_does_not_replace_the_one_there(partner):
    status, answer = post({"name": "Иванов Иван", "phone": "ivan@mail.ru", "email": "petr@mail.ru"},
                          {"X-Api-Key": partner[1]})
    assert status == 201, answer  # the phone that does not read is kept as given, the person found by the e-mail
    assert Lead.objects.get().email == "petr@mail.ru"
    assert [(w["field"], w["value"]) for w in answer["warnings"]] == [("phone", "ivan@mail.ru")]


def test_a_form_that_requires_a_phone_still_asks_for_it_when_an_address_is_typed_there(phone_form):
    token = webform_rules.issue_token(phone_form, now=time.time() - 30)
    response = HttpClient().post("/f/call-me", {"_ts": token, "name": "Иванов Иван", "phone": "ivan@mail.ru"})
    assert response.status_code == 422
    assert not Lead.objects.exists()


def test_a_name_that_fits_its_field_but_not_the_cards_parts_is_cut_there_and_kept(partner, alice):
    # within the field's 255 characters, but a "word" of 200 letters is no surname of 120 (it failed on PostgreSQL)
    name = "Иванов " + "а" * 200
    status, answer = post({"name": name, "phone": "+7 916 100-00-01"}, {"X-Api-Key": partner[1]})

    assert status in (201, 202), answer
    submission = Submission.objects.get()
    assert submission.status in ("created", "interest")
    [warning] = answer["warnings"]
    assert (warning["field"], warning["code"], warning["value"]) == ("name", "too_long", name)
    for lead in Lead.objects.all():
        assert max(map(len, (lead.last_name, lead.first_name, lead.middle_name))) <= 120
        assert len(lead.full_name) <= 255


def test_a_client_row_with_a_company_too_long_keeps_the_whole_name_on_the_client_card(tmp_path, head):
    job = import_rows(tmp_path, head, f"Компания;ИНН;ФИО;Телефон\r\n{LONG_COMPANY};7707083893;Иванов Иван;"
                                      f"+7 916 300-00-01\r\n", kind=ImportKind.CLIENTS)

    assert job.counts["created"] == 1, job.report
    client = Client.objects.get()
    assert len(client.company.name) <= 255 and client.company.name.endswith("…")
    assert client.contact.unreadable_contacts == []  # a contact's kept-as-given list is its phones and e-mails
    http = HttpClient()
    http.force_login(head)
    page = http.get(f"/clients/{client.pk}/").content.decode()
    assert 'data-testid="client-request-unreadable"' in page
    assert "Company, as given" in page and "longer than 255 characters: the field has its beginning" in page
