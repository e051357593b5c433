"""The card's "Also gave" contacts added with one click, and a checked e-mail kept as right (realdata4)."""

from __future__ import annotations

import html
import json

import pytest
from django.test import Client as HttpClient

from leadflow.intake import pipeline
from leadflow.leads.models import FieldChange, Lead
from leadflow.matching import services as matching

pytestmark = pytest.mark.django_db


def receive(partner, **payload) -> pipeline.Outcome:
    return pipeline.receive(pipeline.Inbound(channel="partner", partner=partner[0], payload=payload))


@pytest.fixture
def lead_with_later_contacts(partner, alice) -> Lead:
    lead = receive(partner, name="Иванов Иван", phone="+7 912 345-67-89", email="ivan@mail.ru").lead
    lead.owner = alice
    lead.save(update_fields=["owner"])
    # a later request: the same person (by e-mail) with an office line and another address
    later = receive(partner, name="Иванов Иван", phone="8 495 123-45-67 доб. 12",
                    email="ivan@mail.ru, i.ivanov@romashka.ru")
    assert later.lead == lead and later.status == "attached"
    return lead


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_the_owner_adds_a_contact_the_person_gave_later_to_the_card(lead_with_later_contacts, alice):
    lead = lead_with_later_contacts
    http = login(alice)
    page = http.get(f"/leads/{lead.pk}/").content.decode()
    assert page.count('data-testid="add-contact"') == 2  # the office line and the second address

    response = http.post(f"/leads/{lead.pk}/add_contact/", {"contact": "+74951234567 ext. 12"}, follow=True)

    lead.refresh_from_db()
    assert lead.other_contacts == ["+74951234567 ext. 12"] and lead.phone == "+79123456789"
    page = response.content.decode()
    assert "8 (495) 123-45-67 ext. 12 added to the card&#x27;s other contacts." in page
    assert 'data-testid="card-other-contacts"' in page and 'href="tel:+74951234567,12"' in page
    assert page.count('data-testid="add-contact"') == 1  # not offered again
    change = FieldChange.objects.get(lead=lead, field="other_contacts")
    assert (change.old_value, change.new_value, change.changed_by) == ("", "+74951234567 ext. 12", alice)
    assert "Other contacts: — → 8 (495) 123-45-67 ext. 12" in page  # the card's history, as the card writes it

    http.post(f"/leads/{lead.pk}/add_contact/", {"contact": "i.ivanov@romashka.ru"})
    lead.refresh_from_db()
    assert lead.other_contacts == ["+74951234567 ext. 12", "i.ivanov@romashka.ru"]
    # the card is found by its other contacts (matching's facts of the lead hold them)
    facts = matching.facts_of_lead(lead)
    assert "i.ivanov@romashka.ru" in facts.emails and ("+74951234567", "12") in [
        (p.e164, p.extension) for p in facts.phones]


def test_a_contact_goes_to_the_cards_own_field_when_the_card_has_none(partner, alice):
    lead = receive(partner, name="Петрова Анна", email="anna@mail.ru").lead
    lead.owner = alice
    lead.save(update_fields=["owner"])
    receive(partner, name="Петрова Анна", email="anna@mail.ru", phone="+7 916 100-00-03")
    lead.refresh_from_db()
    assert lead.phone == "+79161000003"  # attach_request fills an empty phone itself
    lead.phone = ""
    lead.save(update_fields=["phone"])

    login(alice).post(f"/leads/{lead.pk}/add_contact/", {"contact": "+79161000003"})

    lead.refresh_from_db()
    assert (lead.phone, lead.other_contacts) == ("+79161000003", [])
    assert FieldChange.objects.filter(lead=lead, field="phone", new_value="+79161000003", changed_by=alice).exists()


def test_only_a_contact_the_person_gave_is_added(lead_with_later_contacts, alice):
    lead = lead_with_later_contacts
    response = login(alice).post(f"/leads/{lead.pk}/add_contact/", {"contact": "+79990000000"}, follow=True)
    lead.refresh_from_db()
    assert lead.other_contacts == [] and "not one the person gave" in response.content.decode()


def test_who_may_not_edit_the_lead_cannot_add_or_dismiss(partner, bob, carol, alice):
    pool_lead = receive(partner, name="Иванов Иван", phone="+7 912 345-67-89", email="ivan@gmail.con").lead
    receive(partner, name="Иванов Иван", email="ivan@gmail.con", phone="8 495 123-45-67 доб. 12")
    assert pool_lead.owner_id is None
    # bob sees the pool lead but may not edit it: refused, nothing changed, no button shown
    http = login(bob)
    page = http.get(f"/leads/{pool_lead.pk}/").content.decode()
    assert 'data-testid="add-contact"' not in page and 'data-testid="email-is-right"' not in page
    refused = http.post(f"/leads/{pool_lead.pk}/add_contact/", {"contact": "+74951234567 ext. 12"}, follow=True)
    assert "Only the owner, the head of the team or an admin may do this." in refused.content.decode()
    http.post(f"/leads/{pool_lead.pk}/check_email/")
    # carol, of another team, does not see it at all
    assert login(carol).post(f"/leads/{pool_lead.pk}/add_contact/",
                             {"contact": "+74951234567 ext. 12"}).status_code == 404
    assert login(carol).post(f"/leads/{pool_lead.pk}/check_email/").status_code == 404
    pool_lead.refresh_from_db()
    assert (pool_lead.other_contacts, pool_lead.email_checked) == ([], "")
    assert not FieldChange.objects.filter(lead=pool_lead).exists()


def test_the_owner_keeps_an_email_that_looks_like_a_slip_as_right(partner, alice):
    lead = receive(partner, name="Иванов Иван", phone="+7 912 345-67-89", email="ivan@gmail.co").lead
    lead.owner = alice
    lead.save(update_fields=["owner"])
    http = login(alice)
    assert 'data-testid="email-typo"' in http.get(f"/leads/{lead.pk}/").content.decode()

    page = http.post(f"/leads/{lead.pk}/check_email/", follow=True).content.decode()

    lead.refresh_from_db()
    assert (lead.email, lead.email_checked) == ("ivan@gmail.co", "ivan@gmail.co")  # not changed, only checked
    assert 'data-testid="email-typo"' not in page and "E-mail ivan@gmail.co kept as right." in page
    assert "E-mail checked as right: — → ivan@gmail.co" in page
    assert FieldChange.objects.get(lead=lead, field="email_checked").changed_by == alice
    # nothing left to dismiss; a later change of the address is judged afresh
    again = http.post(f"/leads/{lead.pk}/check_email/", follow=True).content.decode()
    assert "There is no suggested e-mail address to dismiss." in again
    lead.email = "ivan@gmial.com"
    lead.save(update_fields=["email"])
    assert 'data-testid="email-typo"' in http.get(f"/leads/{lead.pk}/").content.decode()


def test_the_buttons_answer_htmx_with_the_card_to_swap_in(lead_with_later_contacts, alice):
    # htmx follows the redirect and swaps the card's <main id="main"> (hx-select): the answer must hold it
    lead = lead_with_later_contacts
    response = login(alice).post(f"/leads/{lead.pk}/add_contact/", {"contact": "i.ivanov@romashka.ru"},
                                 headers={"HX-Request": "true"}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and '<main class="container" id="main">' in page
    assert "i.ivanov@romashka.ru added to the card" in page


def test_the_api_shows_the_cards_other_contacts(lead_with_later_contacts, alice, api_as):
    lead = lead_with_later_contacts
    login(alice).post(f"/leads/{lead.pk}/add_contact/", {"contact": "i.ivanov@romashka.ru"})
    card = api_as(alice).get(f"/api/leads/{lead.pk}").json()
    assert card["lead"]["other_contacts"] == ["i.ivanov@romashka.ru"]
    assert [c["field"] for c in card["field_changes"]] == ["other_contacts"]


def test_a_checked_email_stays_checked_on_the_client_and_a_client_contact_can_be_checked_too(partner, alice, bob):
    from leadflow.leads import services

    lead = receive(partner, name="Иванов Иван", phone="+7 912 345-67-89", email="ivan@gmail.co").lead
    other = receive(partner, name="Петров Пётр", phone="+7 912 345-67-80", email="petr@mail.ry").lead
    for card in (lead, other):
        card.owner = alice
        card.save(update_fields=["owner"])
    login(alice).post(f"/leads/{lead.pk}/check_email/")
    lead.refresh_from_db()
    checked = services.convert_lead(lead=lead, by=alice)
    client = services.convert_lead(lead=other, by=alice)
    http = login(alice)
    assert 'data-testid="email-typo"' not in http.get(f"/clients/{checked.pk}/").content.decode()
    assert 'data-testid="email-is-right"' in http.get(f"/clients/{client.pk}/").content.decode()
    # someone who does not see the client gets nothing
    url = f"/clients/{client.pk}/contacts/{client.contact_id}/email-is-right/"
    assert login(bob).post(url).status_code == 404

    page = http.post(url, follow=True).content.decode()

    client.contact.refresh_from_db()
    assert (client.contact.email, client.contact.email_checked) == ("petr@mail.ry", "petr@mail.ry")
    assert 'data-testid="email-typo"' not in page and "E-mail petr@mail.ry kept as right." in page
    assert FieldChange.objects.filter(client=client, field="email_checked", new_value="petr@mail.ry",
                                      changed_by=alice).exists()


def test_a_russian_card_says_an_extension_as_dob(lead_with_later_contacts, alice):
    """"Также указал: +74951234567 ext. 12" on a Russian card; the value posted to add it stays the stored one."""
    lead = lead_with_later_contacts
    http = login(alice)
    page = http.get(f"/leads/{lead.pk}/", headers={"Accept-Language": "ru"}).content.decode()
    assert "8 (495) 123-45-67 доб. 12" in page and 'value="+74951234567 ext. 12"' in page
    response = http.post(f"/leads/{lead.pk}/add_contact/", {"contact": "+74951234567 ext. 12"}, follow=True,
                         headers={"Accept-Language": "ru"})
    lead.refresh_from_db()
    assert lead.other_contacts == ["+74951234567 ext. 12"]
    page = response.content.decode()
    assert "8 (495) 123-45-67 доб. 12 добавлен" in page and "ext. 12</a>" not in page


def test_a_contact_kept_as_given_is_explained_in_the_readers_language(partner, head):
    """A partner's request (read in English) left "«8-912-ЗВОНИТЬ» не удалось разобрать: phone number has too few
    digits" on a Russian card, at the top and under the request."""
    from django.utils import translation

    with translation.override("en"):
        lead = receive(partner, name="Иванов Иван", phone="8-912-ЗВОНИТЬ", email="ivan@mail.ru").lead
    page = login(head).get(f"/leads/{lead.pk}/", headers={"Accept-Language": "ru"}).content.decode()
    assert page.count("«8-912-ЗВОНИТЬ»") == 2 and "phone number has too few digits" not in page
    assert page.count("не удалось разобрать: в номере телефона слишком мало цифр") == 2


def test_a_requests_raw_content_reads_as_the_json_the_sender_sent_and_stays_escaped(partner, alice):
    lead = receive(partner, name="Иванов Иван", phone="+7 912 345-67-89", consent=True,
                   comment="<script>alert(1)</script>", company_size=None).lead
    lead.owner = alice
    lead.save(update_fields=["owner"])

    page = login(alice).get(f"/leads/{lead.pk}/").content.decode()

    raw = page.split('<pre class="raw">', 1)[1].split("</pre>", 1)[0]
    assert "<script>" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw  # escaped as any text
    shown = html.unescape(raw)  # what the browser shows
    assert json.loads(shown)["comment"] == "<script>alert(1)</script>"
    assert '"name": "Иванов Иван"' in shown and '"consent": true' in shown and '"company_size": null' in shown
    assert "True" not in shown and "None" not in shown  # not Python's repr ({'consent': True})
