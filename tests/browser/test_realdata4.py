"""The card's "Also gave" and "the address is right" buttons in a real browser: htmx swaps the card in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leadflow.intake import pipeline
from leadflow.intake.models import Partner
from leadflow.leads.models import FieldChange

from .conftest import Site

pytestmark = pytest.mark.browser


def test_a_later_contact_is_added_and_a_checked_email_kept_without_a_page_reload(site: Site, alice, sales):
    partner = Partner.objects.create(name="CPA", team=sales)

    def receive(**payload):
        return pipeline.receive(pipeline.Inbound(channel="partner", partner=partner, payload=payload))

    lead = receive(name="Иванов Иван", phone="+7 912 345-67-89", email="ivan@gmail.co").lead
    lead.owner = alice
    lead.save(update_fields=["owner"])
    receive(name="Иванов Иван", email="ivan@gmail.co", phone="+7 912 345-67-89, 8 495 123-45-67 доб. 12")
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")
    page.evaluate("window.stillTheSamePage = true")  # gone if the browser loads the page anew

    page.locator("details", has=page.get_by_test_id("other-contacts")).locator("summary").first.click()
    page.get_by_test_id("add-contact").click()
    expect(page.get_by_test_id("card-other-contacts")).to_have_text("8 (495) 123-45-67 ext. 12")
    expect(page.locator("main")).to_contain_text("8 (495) 123-45-67 ext. 12 added to the card's other contacts.")
    expect(page.get_by_test_id("add-contact")).to_have_count(0)

    expect(page.get_by_test_id("email-typo")).to_have_text("Did you mean ivan@gmail.com?")
    page.get_by_test_id("email-is-right").click()
    expect(page.locator("main")).to_contain_text("E-mail ivan@gmail.co kept as right.")
    expect(page.get_by_test_id("email-typo")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("E-mail checked as right: — → ivan@gmail.co")

    assert page.evaluate("window.stillTheSamePage === true")
    assert page.locator("main#main").count() == 1  # swapped in place, not nested
    lead.refresh_from_db()
    assert (lead.other_contacts, lead.email, lead.email_checked) == (
        ["+74951234567 ext. 12"], "ivan@gmail.co", "ivan@gmail.co")
    assert FieldChange.objects.filter(lead=lead, changed_by=alice).count() == 2
