"""Messy real contact data, third round, through the whole road in.

E-mail domain slips are suggested wherever a person's address is shown to act on (every address of a field, a lead
typed in by hand, an interest); a surname written first reaches the card the right way round.
"""

import pytest
from django.test import Client as HttpClient

from leadflow.intake import pipeline
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
