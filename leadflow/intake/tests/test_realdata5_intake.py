"""A readable number next to one that is not, in one field: the number is read, the rest kept as given (realdata5).

"89123456789 / 8912" or "+7 912 345-67-89, звонить после 18": the card gets the number, and the rest stays exactly
as typed (on the request, the card, the client's contact, the import's report) with a warning naming the field and
the problem. Interests show what they keep as given too."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.clients.models import Client
from leadflow.imports import services as imports
from leadflow.imports.models import ImportJob, ImportKind
from leadflow.intake import webform_rules
from leadflow.intake.models import Form, Submission
from leadflow.leads.models import Interest, Lead, Request

pytestmark = pytest.mark.django_db


def post(key: str, body: dict) -> tuple[int, dict]:
    response = HttpClient().post("/api/submissions", body, content_type="application/json",
                                 headers={"X-Api-Key": key})
    return response.status_code, response.json()


@pytest.mark.parametrize(("phone", "number", "rest"), [
    ("89123456789 / 8912", "+79123456789", "8912"),
    ("+7 912 345-67-89, звонить после 18", "+79123456789", "звонить после 18"),
    ("8 912 345 67 89 (жена), 8 495 ЗВОНИТЬ", "+79123456789", "(жена), 8 495 ЗВОНИТЬ"),
    ("8912; 8 (495) 123-45-67 доб. 12", "+74951234567", "8912"),
    ("+7 912 345 67 89, 12 34 56 78", "+79123456789", "12 34 56 78"),
    ("+7 495 123-45-67 доб. 12/13", "+74951234567", "13"),  # the extension 12 read, "13" kept for a person
])
def test_the_readable_number_is_the_phone_and_the_rest_is_kept_as_given(partner, alice, phone, number, rest):
    status, answer = post(partner[1], {"name": "Иванов Иван", "phone": phone})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert lead.phone == number
    [warning] = answer["warnings"]
    assert (warning["field"], warning["code"], warning["value"]) == ("phone", "unreadable", rest)
    assert rest in warning["message"] and warning["problem"]
    [kept] = Request.objects.get().facts["unreadable"]
    assert (kept["value"], kept["problem"], kept["read"].split(" ext. ")[0]) == (rest, warning["problem"], number)
    assert Submission.objects.get().payload["phone"] == phone  # the journal as sent
    lead.owner = alice
    lead.save(update_fields=["owner"])
    http = HttpClient()
    http.force_login(alice)
    page = http.get(f"/leads/{lead.pk}/").content.decode()
    assert 'data-testid="unreadable-contact"' in page and f"«{rest}»" in page


def test_an_extension_after_a_comma_is_still_the_numbers(partner):
    # "..., 12" and "..., доб. 12" are extensions people write: no rest, no warning
    for phone in ("+7 495 123-45-67, 12", "+7 495 123-45-67, доб. 12"):
        status, answer = post(partner[1], {"name": "Иванов Иван", "phone": phone})
        assert status in (200, 201) and not answer.get("warnings")
    assert list(Lead.objects.values_list("phone", "phone_ext")) == [("+74951234567", "12")]


@pytest.mark.parametrize(("email", "rest"), [("ivan@mail.ru, ivan@", "ivan@"), ("ivan@mail.ru, petr", "petr"),
                                            ("ivan@mail.ru звонить вечером", "звонить вечером")])
def test_a_readable_address_next_to_one_that_is_not(partner, email, rest):
    status, answer = post(partner[1], {"name": "Иванов Иван", "email": email})
    assert status == 201, answer
    assert Lead.objects.get().email == "ivan@mail.ru"
    [warning] = answer["warnings"]
    assert (warning["field"], warning["value"]) == ("email", rest)


def test_a_number_no_piece_of_which_reads_is_still_refused_when_nothing_else_identifies(partner):
    status, answer = post(partner[1], {"name": "Иванов Иван", "phone": "8912 / 8913"})
    assert status == 422 and set(answer["error"]["fields"]) == {"phone"}
    assert not Lead.objects.exists()


@pytest.fixture
def phone_form(sales) -> Form:
    return Form.objects.create(name="Call me", slug="call-me", team=sales, allowed_origins="https://shop.example\n",
                               fields=[{"name": "name", "required": True}, {"name": "phone", "required": True}])


@pytest.mark.parametrize(("language", "notice"), [
    ("en", "We could not read “звонить после 18” next to +79123456789."),
    ("ru", "Мы не смогли разобрать «звонить после 18» рядом с +79123456789."),
])
def test_the_hosted_form_takes_a_required_phone_with_a_remark_and_says_what_it_kept(phone_form, language, notice):
    phone_form.language = language
    phone_form.save(update_fields=["language"])
    token = webform_rules.issue_token(phone_form, now=time.time() - 30)
    response = HttpClient().post(
        "/f/call-me", {"_ts": token, "name": "Иванов Иван", "phone": "+7 912 345-67-89, звонить после 18"})

    assert response.status_code == 200
    assert Lead.objects.get().phone == "+79123456789"
    assert notice in response.content.decode()


def test_an_import_keeps_the_rest_of_a_phone_on_the_lead_and_on_a_client_contact(tmp_path: Path, head: User):
    path = tmp_path / "expo.csv"
    path.write_bytes("ФИО;Телефон\r\nСергеев Пётр;89123456789 / 8912\r\n".encode("cp1251"))
    job = imports.create_job(upload=path, by=head)
    job = imports.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=head)
    imports.run_import(job)
    assert Lead.objects.get().phone == "+79123456789"
    [row] = ImportJob.objects.get(pk=job.pk).report
    assert row["warning"].startswith("«Телефон» (phone): “8912” could not be read (")

    path = tmp_path / "clients.csv"
    path.write_bytes("Компания;ИНН;ФИО;Телефон;E-mail\r\nООО Ромашка;7707083893;Иванов Иван;8 916 300-00-01, "
                     "8 (495) 12;ivan@romashka.ru, ivan.romashka.ru\r\n".encode("cp1251"))
    job = imports.create_job(upload=path, by=head, kind=ImportKind.CLIENTS)
    job = imports.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=head)
    imports.run_import(job)
    contact = Client.objects.get().contact
    assert (contact.phone, contact.email) == ("+79163000001", "ivan@romashka.ru")
    assert [(entry["field"], entry["value"]) for entry in contact.unreadable_contacts] == [
        ("phone", "8 (495) 12"), ("email", "ivan.romashka.ru")]


def test_an_interest_shows_the_contacts_it_keeps_as_given_escaped(partner, head, admin_user, api_as):
    # a role mailbox is not a person's address: an interest, with the unreadable phone kept as given
    status, answer = post(partner[1], {"name": "Иванов Иван", "phone": "8-912-<b>ЗВОНИТЬ</b>",
                                       "email": "info@romashka.ru"})
    assert status == 202 or status == 201, answer
    interest = Interest.objects.get()

    [shown] = api_as(head).get("/api/interests").json()

    assert shown["id"] == interest.pk
    [given] = shown["unreadable_contacts"]
    assert (given["field"], given["value"]) == ("phone", "8-912-<b>ЗВОНИТЬ</b>") and given["problem"]
    http = HttpClient()
    http.force_login(admin_user)
    for url in ("/admin/leads/interest/", f"/admin/leads/interest/{interest.pk}/change/"):
        page = http.get(url).content.decode()
        assert "«8-912-&lt;b&gt;ЗВОНИТЬ&lt;/b&gt;»" in page and "<b>ЗВОНИТЬ" not in page


def test_an_interest_shows_the_further_contacts_it_was_given(partner, head, api_as):
    post(partner[1], {"name": "Иванов Иван", "phone": "8 800 555-35-35, 8 495 123-45-67",
                      "company": "ООО Ромашка"})
    [shown] = api_as(head).get("/api/interests").json()
    assert (shown["phone"], shown["other_contacts"]) == ("+78005553535", ["+74951234567"])


def test_a_client_row_naming_no_person_keeps_its_phone_and_comment_on_the_client_card(tmp_path: Path, head: User):
    path = tmp_path / "clients.csv"
    path.write_bytes("Компания;ИНН;ФИО;Телефон;Комментарий\r\nАО Лютик;7736207543;;8 (495) 123-45-67, 8 (495) 12;"
                     "<b>закупают</b> по четвергам\r\n".encode("cp1251"))
    job = imports.create_job(upload=path, by=head, kind=ImportKind.CLIENTS)
    job = imports.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=head)
    imports.run_import(job)

    client = Client.objects.get()
    assert client.contact is None
    [request] = Request.objects.filter(client=client)
    assert request.message == "<b>закупают</b> по четвергам" and request.facts["phone"] == "+74951234567"
    http = HttpClient()
    http.force_login(head)
    page = http.get(f"/clients/{client.pk}/").content.decode()
    assert "&lt;b&gt;закупают&lt;/b&gt; по четвергам" in page and "<b>закупают" not in page
    assert 'data-testid="client-also-gave"' in page and "+74951234567" in page
    assert 'data-testid="client-request-unreadable"' in page and "«8 (495) 12»" in page
