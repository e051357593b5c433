"""Converting a lead loses none of the person's contacts (realdata5).

The lead's other contacts, what its requests gave besides the card's phone and e-mail, and a contact kept as given
(it could not be read) follow the person to the client's contact: shown on the client card and in the API, audited,
identity keys of the contact (a later request from any of them finds the client), kept by a merge of contacts and
erased with the person."""

from __future__ import annotations

import html

import pytest
from django.test import Client as HttpClient

from leadflow.clients.merging import merge_contacts, undo_contact_merge
from leadflow.clients.models import Client, Contact
from leadflow.intake import pipeline
from leadflow.leads import services
from leadflow.leads.models import FieldChange, Lead
from leadflow.privacy import services as privacy

pytestmark = pytest.mark.django_db


def receive(partner, **payload) -> pipeline.Outcome:
    return pipeline.receive(pipeline.Inbound(channel="partner", partner=partner[0], payload=payload))


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def lead(partner, alice) -> Lead:
    """Иванов Иван: his phone could not be read; a later request gave an office line (the card's phone from then
    on) and a second address; the owner put a mobile on the card as another contact."""
    status, answer = post_partner(partner[1], {"name": "Иванов Иван", "phone": "8-912-ЗВОНИТЬ <b>ВЕЧЕРОМ</b>",
                                               "email": "ivan@mail.ru"})
    assert status == 201 and answer["warnings"][0]["code"] == "unreadable"
    lead = Lead.objects.get()
    lead.owner = alice
    lead.save(update_fields=["owner"])
    later = receive(partner, name="Иванов Иван", phone="8 495 123-45-67 доб. 12",
                    email="ivan@mail.ru, i.ivanov@romashka.ru")
    assert later.lead == lead
    services.add_other_contact(lead=lead, contact="+79161234567", by=alice)
    lead.refresh_from_db()
    return lead


def post_partner(key: str, body: dict) -> tuple[int, dict]:
    response = HttpClient().post("/api/submissions", body, content_type="application/json",
                                 headers={"X-Api-Key": key})
    return response.status_code, response.json()


def convert(api_as, user, lead: Lead) -> Client:
    response = api_as(user).post(f"/api/leads/{lead.pk}/convert", {}, content_type="application/json")
    assert response.status_code == 201, response.content
    return Client.objects.get(pk=response.json()["client_id"])


OTHERS = ["+79161234567", "i.ivanov@romashka.ru"]
AS_GIVEN = "8-912-ЗВОНИТЬ <b>ВЕЧЕРОМ</b>"


def test_conversion_carries_every_contact_the_person_gave_to_the_clients_contact(lead, alice, api_as):
    client = convert(api_as, alice, lead)

    contact = client.contact
    assert (contact.phone, contact.phone_ext, contact.email) == ("+74951234567", "12", "ivan@mail.ru")
    assert contact.other_contacts == OTHERS
    [given] = contact.unreadable_contacts
    assert (given["field"], given["value"]) == ("phone", AS_GIVEN) and given["problem"]
    # audited on the client: where each came from is in its history
    carried = list(FieldChange.objects.filter(client=client).values_list("field", "new_value"))
    assert carried == [*(("other_contacts", value) for value in OTHERS), ("unreadable_contacts", AS_GIVEN)]
    # and the API's client card says it
    card = api_as(alice).get(f"/api/clients/{client.pk}").json()
    [shown] = card["contacts"]
    assert shown["other_contacts"] == OTHERS
    assert shown["unreadable_contacts"] == [given]


@pytest.mark.parametrize(("language", "other", "as_given", "problem_word"), [
    ("en", "Other contacts", "Phone, as given", "could not be read"),
    ("ru", "Другие контакты", "Телефон, как указан", "не удалось разобрать"),
])
def test_the_client_card_shows_them_escaped_in_both_languages(lead, alice, api_as, language, other, as_given,
                                                              problem_word):
    client = convert(api_as, alice, lead)
    alice.language = language
    alice.save(update_fields=["language"])

    page = login(alice).get(f"/clients/{client.pk}/").content.decode()

    assert 'data-testid="contact-other-contacts"' in page and other in page
    assert 'href="tel:+79161234567"' in page and 'href="mailto:i.ivanov@romashka.ru"' in page
    assert as_given in page and problem_word in page
    assert "«8-912-ЗВОНИТЬ &lt;b&gt;ВЕЧЕРОМ&lt;/b&gt;»" in page and "<b>ВЕЧЕРОМ" not in page


def test_a_later_request_from_a_contact_carried_over_finds_the_client(lead, alice, api_as, partner):
    client = convert(api_as, alice, lead)

    outcome = receive(partner, name="Иванов Иван", phone="+7 916 123-45-67")

    assert (outcome.status, outcome.client, outcome.lead) == ("attached", client, None)
    assert Lead.objects.count() == 1


def test_a_request_to_the_client_shows_what_it_gave_besides_the_contacts_own(lead, alice, api_as, partner):
    client = convert(api_as, alice, lead)
    outcome = receive(partner, name="Иванов Иван", email="ivan@mail.ru", phone="+7 916 777-00-01, 8-ЗВОНИТЬ")
    assert outcome.client == client

    page = login(alice).get(f"/clients/{client.pk}/").content.decode()

    assert 'data-testid="client-also-gave"' in page and "+79167770001" in page


def test_a_merge_of_contacts_keeps_the_merged_ones_contacts_and_its_undo_puts_them_back(lead, alice, api_as):
    client = convert(api_as, alice, lead)
    survivor = client.contact
    other = Contact.objects.create(full_name="Иванов Иван", phone="+79169990000", email="ivan@romashka.ru",
                                   other_contacts=["+79169990001"], owner=alice,
                                   unreadable_contacts=[{"field": "email", "value": "ivan@@", "problem": "x"}])

    merge = merge_contacts(survivor=survivor, others=[other], by=alice)

    survivor.refresh_from_db()
    assert survivor.phone == "+74951234567"  # the survivor's own, the other's kept as another contact
    assert survivor.other_contacts == [*OTHERS, "+79169990001", "+79169990000", "ivan@romashka.ru"]
    assert [entry["value"] for entry in survivor.unreadable_contacts] == [AS_GIVEN, "ivan@@"]
    assert FieldChange.objects.filter(client=client, field="other_contacts", new_value="ivan@romashka.ru").exists()

    undo_contact_merge(merge=merge, by=alice)

    survivor.refresh_from_db()
    assert survivor.other_contacts == OTHERS and len(survivor.unreadable_contacts) == 1


def test_erasure_erases_the_contacts_carried_to_the_client(lead, alice, api_as, admin_user):
    client = convert(api_as, alice, lead)
    person = privacy.find_person(client=client)
    exported = privacy.export_person(person=person, by=admin_user)
    [row] = exported["rooms"]["clients"]["contacts"]
    assert row["other_contacts"] == OTHERS and row["unreadable_contacts"][0]["value"] == AS_GIVEN

    privacy.erase_person(person=person, by=admin_user)

    contact = Contact.objects.get(pk=client.contact_id)
    assert (contact.other_contacts, contact.unreadable_contacts) == ([], [])
    # and the audit lines that carried them keep who and when, not the values
    assert FieldChange.objects.filter(client=client, field="other_contacts").exists()
    assert not FieldChange.objects.filter(client=client).exclude(new_value="").exists()
    # every contact carried over is the person's: tombstoned, so no file or partner brings them back through it
    # (the second address was only in the lead's request: the contact's other contacts are what names it)
    assert "i.ivanov@romashka.ru" in person.emails


def test_rekeynames_splits_a_converted_contacts_name_again_with_its_keys(partner, alice, api_as, capsys):
    from django.core.management import call_command

    from leadflow.matching import normalize
    from leadflow.matching import services as matching

    lead = receive(partner, name="фон Бок Мария", phone="+7 912 345 67 89").lead
    lead.owner = alice
    lead.save(update_fields=["owner"])
    client = convert(api_as, alice, lead)
    right_keys = name_keys(client.contact_id)
    # what the parser before realdata4 stored on the contact (and the private client's name), with its keys
    Contact.objects.filter(pk=client.contact_id).update(last_name="Фон", first_name="Мария", middle_name="Бок",
                                                        full_name="Фон Мария Бок")
    Client.objects.filter(pk=client.pk).update(name="Фон Мария Бок")
    matching.replace_keys(card_type="contact", card_id=client.contact_id, facts=matching.Facts(
        last_name="Фон", first_name="Мария", middle_name="Бок"))

    call_command("rekeynames", "--dry-run")
    assert f"client contact #{client.contact_id}: Фон Мария Бок -> фон Бок Мария" in capsys.readouterr().out
    assert Contact.objects.get(pk=client.contact_id).last_name == "Фон" and name_keys(client.contact_id) != right_keys

    call_command("rekeynames")

    contact = Contact.objects.get(pk=client.contact_id)
    assert (contact.last_name, contact.first_name, contact.middle_name, contact.full_name) == (
        "фон Бок", "Мария", "", "фон Бок Мария")
    assert Client.objects.get(pk=client.pk).name == "фон Бок Мария"
    assert FieldChange.objects.filter(client=client, field="last_name", old_value="Фон", new_value="фон Бок",
                                      changed_by=None).exists()
    # a new request with the name in another order and a new address finds the client by its name keys
    again = normalize.split_person_name("Мария фон Бок")
    facts = matching.Facts(last_name=again.last, first_name=again.first, phones=[matching.PhoneFact("+79123456789")])
    assert ("contact", contact.pk) in [(c.card_type, c.card_id) for c in matching.find(facts)]
    assert name_keys(contact.pk) == right_keys  # the keys a contact of this name gets, the old split's gone


def name_keys(contact_id: int) -> set[str]:
    from leadflow.matching.models import IdentityKey

    return set(IdentityKey.objects.filter(card_type="contact", card_id=contact_id, kind="name").values_list(
        "value", flat=True))


def test_a_duplicate_merged_into_the_converted_lead_gives_its_contacts_to_the_client(lead, alice, api_as, partner,
                                                                                    make_lead):
    from leadflow.leads.merging import merge_leads, undo_merge

    client = convert(api_as, alice, lead)
    duplicate = make_lead(owner=alice, first_name="Иван", last_name="Иванов", phone="+79035554433",
                          email="ivanov@yandex.ru")
    services.attach_request(lead=duplicate, person=services.PersonFacts(
        first_name="Иван", last_name="Иванов", email="ivanov@yandex.ru", unreadable=[
            {"field": "phone", "code": "unreadable", "value": "8 903 ЗВОНИТЬ", "problem": "too short"}]),
        touch=services.Touch(channel="partner"))

    merge = merge_leads(survivor=Lead.objects.get(pk=lead.pk), others=[duplicate], by=alice)

    contact = Contact.objects.get(pk=client.contact_id)
    assert contact.other_contacts == [*OTHERS, "+79035554433", "ivanov@yandex.ru"]
    assert [entry["value"] for entry in contact.unreadable_contacts] == [AS_GIVEN, "8 903 ЗВОНИТЬ"]
    assert FieldChange.objects.filter(client=client, field="other_contacts", new_value="+79035554433").exists()
    # a call or a request from the duplicate's number reaches the client now
    outcome = receive(partner, name="Иванов Иван", phone="+7 903 555-44-33")
    assert (outcome.status, outcome.client) == ("attached", client)

    undo_merge(merge=merge, by=alice)

    contact.refresh_from_db()
    assert contact.other_contacts == OTHERS and len(contact.unreadable_contacts) == 1


@pytest.mark.parametrize(("language", "added"), [
    ("en", "8 (495) 987-65-43 added to Иванов Иван's other contacts."),
    ("ru", "8 (495) 987-65-43 добавлен в другие контакты: Иванов Иван."),
])
def test_the_owner_adds_a_contact_a_later_request_gave_to_the_clients_contact(lead, alice, api_as, partner,
                                                                             language, added):
    client = convert(api_as, alice, lead)
    later = receive(partner, name="Иванов Иван", email="ivan@mail.ru", phone="8 495 987-65-43")
    assert later.client == client
    alice.language = language
    alice.save(update_fields=["language"])
    http = login(alice)
    page = http.get(f"/clients/{client.pk}/").content.decode()
    assert 'data-testid="client-add-contact"' in page

    response = http.post(f"/clients/{client.pk}/contacts/{client.contact_id}/add/", {"contact": "+74959876543"},
                         follow=True)

    assert added in html.unescape(response.content.decode())
    contact = Contact.objects.get(pk=client.contact_id)
    assert contact.other_contacts == [*OTHERS, "+74959876543"]
    assert FieldChange.objects.filter(client=client, field="other_contacts", new_value="+74959876543",
                                      changed_by=alice).exists()
    # offered no more: the contact holds it
    assert 'data-testid="client-add-contact"' not in http.get(f"/clients/{client.pk}/").content.decode()


def test_only_a_contact_the_person_gave_is_added_and_only_by_who_works_the_client(lead, alice, bob, api_as,
                                                                                 partner):
    client = convert(api_as, alice, lead)
    receive(partner, name="Иванов Иван", email="ivan@mail.ru", phone="8 495 987-65-43")
    url = f"/clients/{client.pk}/contacts/{client.contact_id}/add/"

    assert login(bob).post(url, {"contact": "+74959876543"}).status_code == 404
    response = login(alice).post(url, {"contact": "+79990000000"}, follow=True)  # typed, not given

    assert "not one the person gave" in response.content.decode()
    assert Contact.objects.get(pk=client.contact_id).other_contacts == OTHERS
