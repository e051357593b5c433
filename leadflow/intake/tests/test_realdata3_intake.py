"""Messy real contact data, third round, through the whole road in.

E-mail domain slips are suggested wherever a person's address is shown to act on (every address of a field, a lead
typed in by hand, an interest); a surname written first reaches the card the right way round.
"""

import pytest
from django.test import Client as HttpClient

from leadflow.intake import pipeline
from leadflow.intake.models import Submission
from leadflow.leads import services
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db


def receive(partner, **payload) -> pipeline.Outcome:
    row, _ = partner
    return pipeline.receive(pipeline.Inbound(channel="partner", partner=row, payload=payload))


# --- e-mail domain slips, for every address ------------------------------------------------------


def test_every_address_of_a_field_gets_its_suggestion(partner):
    outcome = receive(partner, name="Иванов Иван", email="ivan@mail.ru; i.ivanov@gmial.com, ivan@yandex.ri")
    assert outcome.status == "created" and outcome.lead.email == "ivan@mail.ru"
    assert outcome.warnings == [
        {"field": "email", "code": "email_typo", "suggestion": "i.ivanov@gmail.com"},
        {"field": "email", "code": "email_typo", "suggestion": "ivan@yandex.ru"},
    ]


def test_the_card_suggests_for_the_other_addresses_a_person_gave(partner, alice):
    lead = receive(partner, name="Иванов Иван", email="ivan@mail.ru; i.ivanov@gmial.com").lead
    lead.owner = alice
    lead.save(update_fields=["owner"])
    http = HttpClient()
    http.force_login(alice)
    page = http.get(f"/leads/{lead.pk}/").content.decode()
    assert '<a href="mailto:i.ivanov@gmial.com">i.ivanov@gmial.com</a> <small class="overdue" ' in page
    assert "(Did you mean i.ivanov@gmail.com?)" in page
    assert 'data-testid="email-typo"' not in page  # the card's own address reads right: no offer to change it


def test_a_lead_typed_in_by_a_manager_gets_the_suggestion_and_the_fix(make_lead, alice):
    lead = make_lead(owner=alice, email="petr@mail.ry")
    http = HttpClient()
    http.force_login(alice)
    assert "Did you mean petr@mail.ru?" in http.get(f"/leads/{lead.pk}/").content.decode()
    http.post(f"/leads/{lead.pk}/accept_email/")
    lead.refresh_from_db()
    assert lead.email == "petr@mail.ru"
    assert list(lead.field_changes.values_list("field", "old_value", "new_value")) == [
        ("email", "petr@mail.ry", "petr@mail.ru")]


def test_an_edited_address_with_a_new_slip_gets_a_new_suggestion(make_lead, alice):
    lead = make_lead(owner=alice, email="petr@mail.ru")
    services.update_lead(lead=lead, changes={"email": "petr@yandex.ri"}, by=alice)
    http = HttpClient()
    http.force_login(alice)
    assert "Did you mean petr@yandex.ru?" in http.get(f"/leads/{lead.pk}/").content.decode()


def test_the_interests_list_gives_the_suggestion_to_promote_with(partner, alice, api_as):
    outcome = receive(partner, name="Отдел продаж", email="zakupki.romashka@gmail.con")
    assert outcome.status == "interest"
    listed = api_as(alice).get("/api/interests").json()
    assert [(item["email"], item["email_suggestion"]) for item in listed] == [
        ("zakupki.romashka@gmail.con", "zakupki.romashka@gmail.com")]
    Interest.objects.update(email="zakupki@romashka.ru")
    assert api_as(alice).get("/api/interests").json()[0]["email_suggestion"] == ""


# --- a surname written first ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        ({"name": "SMITH John", "email": "john.smith@example.com"}, ("Smith", "John", "", "John Smith")),
        ({"name": "Smith, John", "email": "john.smith@example.com"}, ("Smith", "John", "", "John Smith")),
        ({"name": "IVANOV Ivan", "email": "ivanov@example.com"}, ("Ivanov", "Ivan", "", "Ivan Ivanov")),
        ({"name": "Иванов, Иван", "email": "ivanov@example.com"}, ("Иванов", "Иван", "", "Иванов Иван")),
        ({"first_name": "SMITH John", "email": "john.smith@example.com"}, ("Smith", "John", "", "John Smith")),
    ],
)
def test_a_surname_written_first_reaches_the_card_the_right_way_round(partner, payload, name):
    lead = receive(partner, **payload).lead
    assert (lead.last_name, lead.first_name, lead.middle_name, lead.full_name) == name


def test_the_same_person_written_surname_first_is_attached(partner):
    lead = receive(partner, name="John Smith", phone="+44 20 7946 0958 ext. 12").lead
    again = receive(partner, name="SMITH John", phone="+44 20 7946 0958 ext. 12")
    assert (again.status, again.lead) == ("attached", lead)
    assert Lead.objects.count() == 1


# --- partner API payloads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "phone", "city"),
    [
        # numbers sent as JSON numbers, nulls and empty strings for what is not known
        ({"name": "Иван Петров", "phone": 79123456789}, "+79123456789", ""),
        ({"name": "Иван Петров", "phone": 79123456789.0}, "+79123456789", ""),
        ({"name": "Иван Петров", "phone": "+79123456789", "email": None, "city": None}, "+79123456789", ""),
        ({"name": "Иван Петров", "phone": "+79123456789", "email": "", "company": ""}, "+79123456789", ""),
        ({"name": None, "first_name": "Иван", "last_name": "Петров", "middle_name": None, "phone": "89123456789"},
         "+79123456789", ""),
        # "region" as a country code says how the phone is written
        ({"name": "Иван Петров", "phone": "8 912 345 67 89", "region": "ru"}, "+79123456789", ""),
        ({"name": "Ivan Petrov", "phone": "8 701 234 56 78", "region": "KZ"}, "+77012345678", ""),
        # "region" as the person's region is where they are: it fills the empty city, the phone reads as usual
        ({"name": "Иван Петров", "phone": "8 912 345 67 89", "region": "77"}, "+79123456789", "77"),
        ({"name": "Иван Петров", "phone": "8 912 345 67 89", "region": 77}, "+79123456789", "77"),
        ({"name": "Иван Петров", "phone": "8 912 345 67 89", "region": "Москва"}, "+79123456789", "Москва"),
        ({"name": "Иван Петров", "phone": "8 912 345 67 89", "region": "мск"}, "+79123456789", "мск"),
        ({"name": "Иван Петров", "phone": "8 912 345 67 89", "region": "г. Москва", "city": "Зеленоград"},
         "+79123456789", "Зеленоград"),
    ],
)
def test_a_partner_payload_reads_as_a_manager_expects(partner, payload, phone, city):
    outcome = receive(partner, **payload)
    assert outcome.status == "created", outcome.errors
    assert (outcome.lead.phone, outcome.lead.city) == (phone, city)


@pytest.mark.parametrize(
    ("consent", "given"),
    [
        (True, True), ("true", True), ("yes", True), ("1", True), (1, True), ("on", True),
        ("да", True), ("Да", True), ("ДА", True), ("+", True), ("✓", True), ("согласен", True), ("1.0", True),
        (False, False), ("false", False), ("нет", False), ("0", False), ("-", False), ("", False), (None, False),
    ],
)
def test_consent_as_partners_and_spreadsheets_write_it(partner, consent, given):
    lead = receive(partner, name="Иван Петров", phone="+79123456789", consent=consent).lead
    assert lead.consent_given is given


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (50, 50), ("50", 50), (50.0, 50), ("1 000", 1000), ("1,000", 1000), ("50 человек", 50),
        # a size bracket: the company has at least its lower bound
        ("50-100", 50), ("50 – 100 чел.", 50), ("1-10", 1), ("100+", 100), ("от 100", 100), ("more than 100", 100),
    ],
)
def test_the_company_size_as_partners_send_it(partner, size, expected):
    lead = receive(partner, name="Иван Петров", phone="+79123456789", company_size=size).lead
    assert lead.company_size == expected


@pytest.mark.parametrize("size", ["12.5", 12.5, "много", "до 50", "-5", True])
def test_a_company_size_that_is_no_number_of_people_is_a_field_error(partner, size):
    outcome = receive(partner, name="Иван Петров", phone="+79123456789", company_size=size)
    assert (outcome.status, outcome.errors) == ("invalid", {"company_size": ["Give the number of employees, e.g. 50."]})


# --- web forms: text pasted from pages and word processors -------------------------------------------


def test_invisible_characters_pasted_into_a_form_do_not_reach_the_card(partner):
    lead = receive(partner, name="Иванов\u200b Иван\u00ad", phone="+7\u200b912 345 67 89",
                   email="\ufeffivan@mail.ru\u200b", company="ООО «Ромашка»\u200e").lead
    assert (lead.full_name, lead.phone, lead.email, lead.company_name) == (
        "Иванов Иван", "+79123456789", "ivan@mail.ru", "Ромашка")


def test_when_to_call_typed_after_the_number_is_read_and_kept(partner):
    outcome = receive(partner, name="Иванов Иван", phone="8-912-345-67-89 (звонить после 18:00)")
    assert outcome.status == "created" and outcome.lead.phone == "+79123456789"
    assert Submission.objects.get().payload["phone"] == "8-912-345-67-89 (звонить после 18:00)"


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        # "name" as the given name next to a separate surname, as many forms and CRMs send it
        ({"name": "Иван", "last_name": "Петров"}, ("Петров", "Иван", "", "Петров Иван")),
        ({"name": "John", "last_name": "Smith"}, ("Smith", "John", "", "John Smith")),
        ({"name": "Петров", "first_name": "Иван"}, ("Петров", "Иван", "", "Петров Иван")),
        # the whole name repeated next to its parts: nothing doubled
        ({"name": "Иван Петров", "last_name": "Петров"}, ("Петров", "Иван", "", "Петров Иван")),
        ({"name": "Petrov", "last_name": "Petrov"}, ("Petrov", "", "", "Petrov")),
        ({"name": "Иванов Иван Иванович", "first_name": "Иван", "last_name": "Иванов"},
         ("Иванов", "Иван", "Иванович", "Иванов Иван Иванович")),
        # another person's name in the name field (a contact person typed over) lends no patronymic
        ({"name": "Сидоров Пётр Петрович", "first_name": "Иван", "last_name": "Иванов"},
         ("Иванов", "Иван", "", "Иванов Иван")),
    ],
)
def test_a_name_field_next_to_name_parts_completes_them(partner, payload, name):
    lead = receive(partner, phone="+79123456789", **payload).lead
    assert (lead.last_name, lead.first_name, lead.middle_name, lead.full_name) == name


def test_an_unreadable_address_is_an_error_with_the_obvious_suggestion(partner):
    _row, key = partner
    response = HttpClient().post("/api/submissions", {"name": "Иван Петров", "email": "ivan@gmail"},
                                 content_type="application/json", headers={"X-Api-Key": key})
    assert response.status_code == 422
    body = response.json()
    assert list(body["error"]["fields"]) == ["email"]
    assert body["warnings"] == [{"field": "email", "code": "email_typo", "suggestion": "ivan@gmail.com",
                                 "message": "Did you mean ivan@gmail.com?"}]
