"""Who works a client fills in its card over time (DOMAIN.md 13, 20): the company's numbers and address, the
contact's position, phone and e-mail; on the card and over the API, checked per field, audited, found by."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.analytics.reports import CLIENT_CARD_FIELDS
from leadflow.clients import services as client_services
from leadflow.clients.models import Client, Company
from leadflow.clients.tests.conftest import STRANGERS
from leadflow.core.errors import InvalidInput
from leadflow.events.models import OutboxEvent
from leadflow.leads import services
from leadflow.leads.models import FieldChange
from leadflow.matching import services as matching
from leadflow.matching.models import CardType, IdentityKey, KeyKind

pytestmark = pytest.mark.django_db

SBER = {"name": "ПАО Сбербанк", "inn": "7707 083 893", "kpp": "773601001", "ogrn": "1027700132195",
        "okpo": "00032537", "legal_address": "Москва, ул. Вавилова, 19", "city": "Москва",
        "phone": "8 (495) 500-55-50", "website": "sberbank.ru"}


def browser(user: User) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


@pytest.fixture
def client_of_alice(make_lead, alice) -> Client:
    return services.convert_lead(lead=make_lead(owner=alice, first_name="Иван", last_name="Петров"), by=alice)


def patch(user_client: HttpClient, client: Client, body: dict):
    return user_client.patch(f"/api/clients/{client.pk}", data=json.dumps(body), content_type="application/json")


def test_the_owner_fills_in_the_company_and_contact_over_the_api(client_of_alice, alice, api_as):
    answer = patch(api_as(alice), client_of_alice, {
        "company": SBER, "contact": {"position": "Главный бухгалтер", "phone": "8 495 123-45-67 доб. 12",
                                     "middle_name": "Сергеевич"}})

    assert answer.status_code == 200, answer.content
    company = answer.json()["company"]
    assert (company["name"], company["legal_form"], company["inn"], company["okpo"]) == (
        "Сбербанк", "ПАО", "7707083893", "00032537")
    assert company["phone"] == "+74955005550" and company["website"] == "https://sberbank.ru"
    client = Client.objects.select_related("company", "contact").get(pk=client_of_alice.pk)
    assert client.name == "ПАО Сбербанк" and client.company.contacts.get() == client.contact
    contact = client.contact
    assert (contact.position, contact.phone, contact.phone_ext) == ("Главный бухгалтер", "+74951234567", "12")
    assert contact.full_name == "Петров Иван Сергеевич"
    # Audited on the client, by name; and the card fills DOMAIN 20's list
    audit = {change.field: change for change in FieldChange.objects.filter(client=client)}
    assert audit["company.inn"].new_value == "7707083893" and audit["company.inn"].changed_by == alice
    assert audit["contact.position"].old_value == "" and audit["name"].new_value == "ПАО Сбербанк"
    filled = Client.objects.filter(pk=client.pk).values(*CLIENT_CARD_FIELDS).get()
    assert sum(1 for value in filled.values() if value) >= 12
    assert OutboxEvent.objects.filter(name="client.updated", payload__client_id=client.pk).exists()
    # found by its INN and by the contact's new number from now on
    assert IdentityKey.objects.filter(card_type=CardType.COMPANY, card_id=client.company_id, kind=KeyKind.INN,
                                      value="7707083893").exists()
    phone = matching.Facts(phones=[matching.PhoneFact("+74951234567", "12")])
    assert client.contact_id in matching.cards_with_keys(phone, card_type=CardType.CONTACT)


@pytest.mark.parametrize(("field", "value", "says"), [
    ("inn", "7707083894", "check digit"),
    ("kpp", "77360100", "9 characters"),
    ("ogrn", "1027700132196", "check digit"),
    ("okpo", "00032538", "check digit"),
    ("website", "not a site at all", "URL"),
])
def test_a_wrong_number_is_refused_naming_the_field_and_nothing_is_saved(client_of_alice, alice, api_as, field,
                                                                          value, says):
    answer = patch(api_as(alice), client_of_alice, {"company": {**SBER, field: value},
                                                   "contact": {"position": "Бухгалтер"}})

    assert answer.status_code == 422
    problems = answer.json()["error"]["fields"]
    assert list(problems) == [f"company.{field}"] and says.lower() in " ".join(problems[f"company.{field}"]).lower()
    client = Client.objects.get(pk=client_of_alice.pk)
    assert client.company_id is None and client.contact.position == "" and not FieldChange.objects.filter(
        client=client).exists()


def test_an_inn_of_another_company_is_refused_with_its_name(client_of_alice, alice, api_as):
    Company.objects.create(name="Яндекс", legal_form="ООО", inn="7736207543")
    answer = patch(api_as(alice), client_of_alice, {"company": {"name": "ООО Яндекс", "inn": "7736207543"}})
    assert answer.status_code == 422
    assert "ООО Яндекс" in answer.json()["error"]["fields"]["company.inn"][0]


def test_a_sole_traders_numbers_must_be_a_sole_traders(client_of_alice, alice, api_as):
    answer = patch(api_as(alice), client_of_alice, {"company": {"name": "ИП Петров", "inn": "7707083893"}})
    assert answer.status_code == 422 and "12-digit" in answer.json()["error"]["fields"]["company.inn"][0]


def test_unreadable_contacts_and_an_erased_persons_contacts_are_refused(client_of_alice, alice, api_as, admin_user,
                                                                         make_lead):
    unreadable = patch(api_as(alice), client_of_alice, {"contact": {"phone": "12", "email": "ivan@@x"}})
    assert unreadable.status_code == 422
    assert set(unreadable.json()["error"]["fields"]) == {"contact.phone", "contact.email"}

    from leadflow.privacy import services as privacy

    gone = make_lead(email="gone@example.ru", phone="+79990001122")
    privacy.erase_person(person=privacy.find_person(email="gone@example.ru"), by=admin_user)
    refused = patch(api_as(alice), client_of_alice, {"contact": {"email": "gone@example.ru"}})
    assert refused.status_code == 422 and "erased" in refused.json()["error"]["fields"]["contact.email"][0]
    assert gone.pk


@pytest.mark.parametrize("who", STRANGERS)
def test_only_who_manages_the_client_may_edit_it(client_of_alice, api_as, stranger, who):
    answer = patch(api_as(stranger(who)), client_of_alice, {"contact": {"position": "Директор"}})
    assert answer.status_code in (403, 404)
    assert Client.objects.get(pk=client_of_alice.pk).contact.position == ""


def test_the_head_edits_the_card_page_and_a_refusal_keeps_what_was_typed(client_of_alice, head):
    page = browser(head)
    card = page.get(f"/clients/{client_of_alice.pk}/")
    assert b'data-testid="client-edit-form"' in card.content

    typed = {**client_edit_initial(client_of_alice), "company": "ООО Ромашка", "inn": "7707083894",
             "position": "Директор по закупкам"}
    refused = page.post(f"/clients/{client_of_alice.pk}/edit/", typed, follow=True)
    text = refused.content.decode()
    assert "ИНН" in text or "INN" in text
    form = refused.context["edit_form"]
    assert form["inn"].value() == "7707083894" and form["position"].value() == "Директор по закупкам"
    assert Client.objects.get(pk=client_of_alice.pk).company_id is None

    saved = page.post(f"/clients/{client_of_alice.pk}/edit/", {**typed, "inn": "7707083893", "kpp": "773601001"},
                      follow=True)
    client = Client.objects.select_related("company", "contact").get(pk=client_of_alice.pk)
    assert (str(client.company), client.company.inn, client.contact.position) == (
        "ООО Ромашка", "7707083893", "Директор по закупкам")
    shown = saved.content.decode()
    assert "7707083893" in shown and "773601001" in shown
    history = [change.field_label for change in saved.context["field_changes"]]
    assert "company: INN" in history or "компания: ИНН" in history


def test_a_field_left_as_shown_is_not_checked_again(client_of_alice, alice):
    # An INN stored before the check digits were checked (an old import) does not lock the rest of the card.
    company = Company.objects.create(name="Старая", legal_form="ООО", inn="1234567890")
    Client.objects.filter(pk=client_of_alice.pk).update(company=company)
    client = Client.objects.get(pk=client_of_alice.pk)
    shown = client_edit_initial(client)
    assert shown["inn"] == "1234567890"

    browser(alice).post(f"/clients/{client.pk}/edit/", {**shown, "position": "Директор"})

    assert Client.objects.get(pk=client.pk).contact.position == "Директор"


def test_an_erased_clients_card_cannot_be_edited(client_of_alice, alice, admin_user):
    from leadflow.privacy import services as privacy

    privacy.erase_person(person=privacy.find_person(email=client_of_alice.contact.email), by=admin_user)
    client = Client.objects.get(pk=client_of_alice.pk)
    with pytest.raises(Exception) as refused:
        client_services.update_client(client=client, by=admin_user, contact={"position": "Директор"})
    assert "erased" in str(refused.value.message if hasattr(refused.value, "message") else refused.value)


def test_an_unknown_field_is_refused_by_name(client_of_alice, alice):
    with pytest.raises(InvalidInput) as refused:
        client_services.update_client(client=client_of_alice, by=alice, company={"owner": "1"})
    assert list(refused.value.fields) == ["company.owner"]


def client_edit_initial(client: Client) -> dict[str, str]:
    from leadflow.clients.forms import ClientEditForm

    return ClientEditForm.initial_for(Client.objects.select_related("company", "contact").get(pk=client.pk))
