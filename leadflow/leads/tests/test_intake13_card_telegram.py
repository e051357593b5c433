"""A manager types a person's Telegram account on the card (intake13): the lead card's and the client card's edit
forms and the API's updates take "@name" or a t.me link, read by the normaliser intake uses ("t.me/ivan_petrov"),
refuse anything else by the field, show it on the card as a link, audit the change, find the card by it in the
lists' search, and the person's erasure finds, blanks and tombstones it like the accounts intake kept."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.clients.models import Client, Contact
from leadflow.core.tests import card_forms
from leadflow.intake.models import Form
from leadflow.leads import services
from leadflow.leads.models import FieldChange, Interest, Lead
from leadflow.privacy import services as privacy
from leadflow.privacy.models import Tombstone

pytestmark = pytest.mark.django_db

TYPED = ["@Ivan_Petrov", "ivan_petrov", "https://t.me/ivan_petrov", "t.me/IVAN_PETROV/", "telegram.me/ivan_petrov"]
NOT_ACCOUNTS = ["ivan petrov", "@iv", "+7 912 345-67-89", "ivan@mail.ru", "https://vk.com/ivan_petrov", "@1van_petrov"]


def web(user: User) -> HttpClient:
    return card_forms.web(user)


def patch(api: HttpClient, path: str, body: dict) -> object:
    return api.patch(path, data=json.dumps(body), content_type="application/json")


def edit_lead(user: User, lead: Lead, **typed: str) -> object:
    data = {"last_name": lead.last_name, "first_name": lead.first_name, "phone": lead.phone, "email": lead.email,
            "temperature": lead.temperature, **typed}
    return web(user).post(f"/leads/{lead.pk}/edit/", data)


@pytest.mark.parametrize("typed", TYPED)
def test_a_manager_types_the_account_on_the_lead_card_in_any_way_people_write_it(alice, make_lead, typed):
    lead = make_lead(owner=alice)

    edit_lead(alice, lead, telegram=typed)

    lead.refresh_from_db()
    assert lead.telegram == "t.me/ivan_petrov"
    change = FieldChange.objects.get(lead=lead, field="telegram")
    assert (change.old_value, change.new_value, change.changed_by_id) == ("", "t.me/ivan_petrov", alice.pk)
    page = web(alice).get(f"/leads/{lead.pk}/").content.decode()
    assert ('<a href="https://t.me/ivan_petrov" rel="noopener noreferrer" target="_blank" '
            'data-testid="card-telegram">@ivan_petrov</a>') in page
    assert 'value="@ivan_petrov"' in card_forms.by_field(page, "edit_telegram")  # offered back as people write it


@pytest.mark.parametrize("typed", NOT_ACCOUNTS)
def test_what_is_no_account_is_refused_by_the_telegram_field_and_nothing_changes(alice, make_lead, typed):
    lead = make_lead(owner=alice)

    form = card_forms.refused(web(alice), f"/leads/{lead.pk}/", "edit",
                              {"last_name": "Сидоров", "first_name": lead.first_name, "phone": lead.phone,
                               "temperature": lead.temperature, "telegram": typed})

    assert "Not a Telegram account: give @name or a t.me/name link." in card_forms.by_field(form, "edit_telegram")
    assert '<a href="#edit_telegram">Telegram: ' in card_forms.summary(form)
    lead.refresh_from_db()
    assert (lead.telegram, lead.last_name) == ("", "Petrov")
    assert not FieldChange.objects.filter(lead=lead).exists()


def test_clearing_the_field_takes_the_account_off_and_is_audited(alice, make_lead):
    lead = make_lead(owner=alice, messengers=["t.me/ivan_petrov"])
    assert lead.telegram == "t.me/ivan_petrov"  # given on intake: the card has it

    edit_lead(alice, lead, telegram="")

    lead.refresh_from_db()
    assert lead.telegram == ""
    assert FieldChange.objects.get(lead=lead, field="telegram").old_value == "t.me/ivan_petrov"


def test_the_api_sets_the_account_and_names_the_field_of_a_wrong_one(alice, make_lead, api_as):
    lead = make_lead(owner=alice)
    api = api_as(alice)

    wrong = patch(api, f"/api/leads/{lead.pk}", {"telegram": "ivan petrov", "city": "Тверь"})
    assert wrong.status_code == 422
    assert list(wrong.json()["error"]["fields"]) == ["telegram"]
    lead.refresh_from_db()
    assert (lead.telegram, lead.city) == ("", "")

    right = patch(api, f"/api/leads/{lead.pk}", {"telegram": "@Ivan_Petrov"})
    assert right.status_code == 200 and right.json()["telegram"] == "t.me/ivan_petrov"
    assert Lead.objects.get(pk=lead.pk).telegram == "t.me/ivan_petrov"


def test_bob_cannot_type_an_account_on_alices_lead(alice, bob, make_lead, api_as):
    lead = make_lead(owner=alice)

    edit_lead(bob, lead, telegram="@ivan_petrov")
    answer = patch(api_as(bob), f"/api/leads/{lead.pk}", {"telegram": "@ivan_petrov"})

    assert answer.status_code in (403, 404)
    assert Lead.objects.get(pk=lead.pk).telegram == ""
    assert not FieldChange.objects.filter(lead=lead).exists()


def test_a_web_forms_telegram_field_is_on_the_new_card(web_form: Form):
    answer = HttpClient().post("/api/submissions", data=json.dumps({
        "consent": True, "name": "Иван Петров", "phone": "+7 912 345-67-89", "telegram": "@Ivan_Petrov"}),
        content_type="application/json", headers={"X-Form-Key": web_form.public_key})

    assert answer.status_code in (200, 201, 202), answer.content
    assert Lead.objects.get().telegram == "t.me/ivan_petrov"


def submit(form: Form, **fields: str) -> None:
    answer = HttpClient().post("/api/submissions", data=json.dumps({"consent": True, **fields}),
                               content_type="application/json", headers={"X-Form-Key": form.public_key})
    assert answer.status_code in (200, 201, 202), answer.content


def test_a_later_requests_account_fills_the_cards_empty_field(web_form: Form):
    submit(web_form, name="Иван Петров", phone="+7 912 345-67-89")
    submit(web_form, name="Иван Петров", phone="8 (912) 345-67-89", telegram="@Ivan_Petrov")

    lead = Lead.objects.get()
    assert lead.requests.count() == 2
    assert lead.telegram == "t.me/ivan_petrov"


def test_a_later_requests_account_does_not_replace_the_cards_own(web_form: Form):
    submit(web_form, name="Иван Петров", phone="+7 912 345-67-89", telegram="@ivan_petrov")
    submit(web_form, name="Иван Петров", phone="+7 912 345-67-89", telegram="@ivan_petrov_work")

    lead = Lead.objects.get()
    assert lead.telegram == "t.me/ivan_petrov"
    assert "t.me/ivan_petrov_work" in lead.requests.order_by("pk").last().facts["messengers"]


@pytest.mark.parametrize("query", ["@ivan_petrov", "@Ivan_Petrov", "t.me/ivan_petrov", "https://t.me/ivan_petrov"])
def test_the_lead_list_finds_the_card_by_its_account(alice, make_lead, query):
    wanted = make_lead(owner=alice, messengers=["t.me/ivan_petrov"])
    make_lead(owner=alice, messengers=["t.me/ivan_petrov2"])

    assert list(Lead.objects.search(query)) == [wanted]
    page = web(alice).get("/leads/", {"q": query}).content.decode()
    assert f"/leads/{wanted.pk}/" in page


def test_conversion_carries_the_account_to_the_contact(alice, make_lead):
    lead = make_lead(owner=alice, messengers=["t.me/ivan_petrov"])

    client = services.convert_lead(lead=lead, by=alice)

    assert client.contact.telegram == "t.me/ivan_petrov"


@pytest.fixture
def client_of_alice(make_lead, alice) -> Client:
    return services.convert_lead(lead=make_lead(owner=alice, first_name="Иван", last_name="Петров"), by=alice)


def test_the_client_cards_form_takes_the_contacts_account(alice, client_of_alice):
    answer = web(alice).post(f"/clients/{client_of_alice.pk}/edit/",
                             {"last_name": "Петров", "first_name": "Иван", "telegram": "https://t.me/Ivan_Petrov"})

    assert answer.status_code == 302
    contact = Contact.objects.get(pk=client_of_alice.contact_id)
    assert contact.telegram == "t.me/ivan_petrov"
    change = FieldChange.objects.get(client=client_of_alice, field="contact.telegram")
    assert (change.old_value, change.new_value, change.field_label) == ("", "t.me/ivan_petrov", "contact: Telegram")
    page = web(alice).get(f"/clients/{client_of_alice.pk}/").content.decode()
    assert 'data-testid="contact-telegram">@ivan_petrov</a>' in page
    assert 'value="@ivan_petrov"' in card_forms.by_field(page, "edit_telegram")


def test_the_client_cards_form_refuses_what_is_no_account_by_its_field(alice, client_of_alice):
    form = card_forms.refused(web(alice), f"/clients/{client_of_alice.pk}/", "edit",
                              {"last_name": "Петров", "first_name": "Иван", "position": "Директор",
                               "telegram": "ivan petrov"})

    assert "Not a Telegram account" in card_forms.by_field(form, "edit_telegram")
    contact = Contact.objects.get(pk=client_of_alice.contact_id)
    assert (contact.telegram, contact.position) == ("", "")


def test_the_clients_api_sets_the_contacts_account_and_names_the_field(alice, client_of_alice, api_as):
    api = api_as(alice)

    wrong = patch(api, f"/api/clients/{client_of_alice.pk}", {"contact": {"telegram": "@iv"}})
    assert wrong.status_code == 422 and list(wrong.json()["error"]["fields"]) == ["contact.telegram"]

    right = patch(api, f"/api/clients/{client_of_alice.pk}", {"contact": {"telegram": "@ivan_petrov"}})
    assert right.status_code == 200
    assert [person["telegram"] for person in right.json()["contacts"]] == ["t.me/ivan_petrov"]


def test_the_client_list_finds_the_client_by_the_contacts_account(alice, client_of_alice, api_as):
    Contact.objects.filter(pk=client_of_alice.contact_id).update(telegram="t.me/ivan_petrov")

    found = api_as(alice).get("/api/clients", {"q": "@ivan_petrov"}).json()
    none = api_as(alice).get("/api/clients", {"q": "@ivan_petrov2"}).json()

    assert [row["id"] for row in found] == [client_of_alice.pk] and none == []


def test_an_erasure_by_the_account_typed_on_the_card_finds_blanks_and_tombstones_it(alice, make_lead, admin_user,
                                                                                     client_of_alice):
    lead = make_lead(owner=alice, first_name="Анна", last_name="Смирнова", phone="+79161112233", email="")
    edit_lead(alice, lead, telegram="@anna_smirnova")
    Contact.objects.filter(pk=client_of_alice.contact_id).update(telegram="t.me/anna_smirnova")

    person = privacy.find_person(telegram="t.me/Anna_Smirnova")
    assert lead.pk in person.lead_ids and client_of_alice.contact_id in person.contact_ids
    privacy.erase_person(person=person, by=admin_user)

    assert Lead.objects.get(pk=lead.pk).telegram == ""
    assert Contact.objects.get(pk=client_of_alice.contact_id).telegram == ""
    assert Tombstone.objects.filter(kind="telegram").count() == 1
    # typing it on another card would bring the person back: refused by the field
    other = make_lead(owner=alice)
    form = card_forms.refused(web(alice), f"/leads/{other.pk}/", "edit",
                              {"last_name": other.last_name, "first_name": other.first_name, "phone": other.phone,
                               "temperature": other.temperature, "telegram": "@anna_smirnova"})
    assert "erased at their request" in card_forms.by_field(form, "edit_telegram")
    assert Lead.objects.get(pk=other.pk).telegram == ""


def test_an_erasure_found_by_the_phone_tombstones_the_account_a_manager_typed(alice, make_lead, admin_user):
    lead = make_lead(owner=alice, phone="+79161112233", email="")
    edit_lead(alice, lead, telegram="@anna_smirnova")

    privacy.erase_person(person=privacy.find_person(phone="+7 916 111-22-33"), by=admin_user)

    assert sorted(Tombstone.objects.values_list("kind", flat=True)) == ["phone", "telegram"]


def promote_interest_known_by_its_account(partner, api: HttpClient) -> object:
    """A partner's submission whose only contact is a Telegram account (an interest), promoted with a phone."""
    answer = HttpClient().post("/api/submissions", data=json.dumps({"consent": True, "name": "Иван Петров",
                                                                    "phone": "@Ivan_Petrov"}),
                               content_type="application/json", headers={"X-Api-Key": partner[1]})
    assert answer.status_code in (200, 202), answer.content
    return api.post(f"/api/interests/{Interest.objects.get().pk}/promote",
                    {"name": "Петров Иван", "phone": "+7 912 345-67-89"}, content_type="application/json")


def test_an_interest_known_by_its_account_promoted_keeps_the_account_on_the_lead(partner, head, api_as):
    promoted = promote_interest_known_by_its_account(partner, api_as(head))

    assert promoted.status_code in (200, 201), promoted.content
    assert Lead.objects.get().telegram == "t.me/ivan_petrov"


def test_an_interest_known_by_its_account_promoted_onto_a_known_card_gives_it_the_account(partner, alice, head,
                                                                                          make_lead, api_as):
    known = make_lead(owner=alice, phone="+79123456789")
    promoted = promote_interest_known_by_its_account(partner, api_as(head))

    assert promoted.status_code == 200 and promoted.json()["outcome"] == "attached", promoted.content
    assert list(Lead.objects.all()) == [known]
    assert Lead.objects.get(pk=known.pk).telegram == "t.me/ivan_petrov"
