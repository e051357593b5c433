"""The client card in a real browser: the contacts carried over at conversion are there, and a contact a later
request gave is added to the person's contact without a page reload (htmx swaps the card in place)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leadflow.intake import pipeline
from leadflow.intake.models import Partner
from leadflow.leads import services

from .conftest import Site

pytestmark = pytest.mark.browser


def test_a_converted_persons_contacts_are_on_the_client_card_and_a_later_one_is_added_in_place(site: Site, alice,
                                                                                              sales):
    partner = Partner.objects.create(name="CPA", team=sales)

    def receive(**payload):
        return pipeline.receive(pipeline.Inbound(channel="partner", partner=partner, payload=payload))

    lead = receive(name="Иванов Иван", phone="89123456789 / 8912", email="ivan@mail.ru").lead
    lead.owner = alice
    lead.save(update_fields=["owner"])
    client = services.convert_lead(lead=lead, by=alice)
    receive(name="Иванов Иван", email="ivan@mail.ru, i.ivanov@romashka.ru")
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/clients/{client.pk}/")
    page.evaluate("window.stillTheSamePage = true")  # gone if the browser loads the page anew

    expect(page.get_by_test_id("contact-unreadable")).to_contain_text("«8912»")
    page.get_by_test_id("client-add-contact").click()
    expect(page.get_by_test_id("contact-other-contacts")).to_have_text("Other contacts: i.ivanov@romashka.ru")
    expect(page.locator("main")).to_contain_text("i.ivanov@romashka.ru added to Иванов Иван's other contacts.")
    expect(page.get_by_test_id("client-add-contact")).to_have_count(0)

    assert page.evaluate("window.stillTheSamePage === true")
    assert page.locator("main#main").count() == 1  # swapped in place, not nested
    client.contact.refresh_from_db()
    assert client.contact.other_contacts == ["i.ivanov@romashka.ru"]
