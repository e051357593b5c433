"""A manager types the person's Telegram account on the lead card and on the client card, in a real browser
(intake13): a wrong one is refused by the Telegram field with what was typed kept, a right one is shown on the card
as a link to write to, in the card's history, and offered back in the form as people write it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leadflow.clients.models import Contact
from leadflow.leads import services
from leadflow.leads.models import FieldChange, Lead

from .conftest import Site
from .test_ui import DEMO, card_action, give, seed

pytestmark = pytest.mark.browser


def test_a_manager_types_the_account_on_the_lead_card(site: Site, web_form, alice) -> None:
    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")

    form = card_action(page, "Edit")
    form.get_by_label("Telegram").fill("petr sergeev")
    form.get_by_role("button", name="Save").click()

    expect(page).to_have_url(f"{site.url}/leads/{lead.pk}/#action-edit")
    form = page.locator(f"form[action='/leads/{lead.pk}/edit/']")
    field = form.get_by_label("Telegram")
    expect(field).to_have_value("petr sergeev")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(form.locator("div", has=page.locator("#edit_telegram")).locator(".errorlist")).to_contain_text(
        "Not a Telegram account: give @name or a t.me/name link.")
    assert Lead.objects.get(pk=lead.pk).telegram == ""

    field.fill("https://t.me/Petr_Sergeev")
    form.get_by_role("button", name="Save").click()

    link = page.get_by_test_id("card-telegram")
    expect(link).to_have_text("@petr_sergeev")
    expect(link).to_have_attribute("href", "https://t.me/petr_sergeev")
    assert Lead.objects.get(pk=lead.pk).telegram == "t.me/petr_sergeev"
    assert FieldChange.objects.get(lead=lead, field="telegram").new_value == "t.me/petr_sergeev"
    card_action(page, "Edit")
    expect(page.locator("#edit_telegram")).to_have_value("@petr_sergeev")


def test_a_manager_types_the_account_of_the_clients_contact(site: Site, web_form, alice) -> None:
    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    client = services.convert_lead(lead=lead, by=alice)
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/clients/{client.pk}/")

    form = card_action(page, "Edit the card")
    form.get_by_label("Telegram").fill("@Petr_Sergeev")
    form.get_by_test_id("save-client").click()

    link = page.get_by_test_id("contact-telegram")
    expect(link).to_have_text("@petr_sergeev")
    expect(link).to_have_attribute("href", "https://t.me/petr_sergeev")
    assert Contact.objects.get(pk=client.contact_id).telegram == "t.me/petr_sergeev"
    assert FieldChange.objects.get(client=client, field="contact.telegram").new_value == "t.me/petr_sergeev"
