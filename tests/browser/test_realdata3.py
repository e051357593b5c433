"""E-mail domain slips on the client card: seen and fixed with one click, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leadflow.leads import services

from .conftest import Site

pytestmark = pytest.mark.browser


def test_a_client_contacts_email_slip_is_taken_with_one_click(site: Site, make_lead, alice):
    lead = make_lead(owner=alice, first_name="Анна", last_name="Петрова", email="anna.petrova@gmial.com")
    client = services.convert_lead(lead=lead, by=alice)
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/clients/{client.pk}/")
    expect(page.get_by_test_id("email-typo")).to_have_text("Did you mean anna.petrova@gmail.com?")
    page.get_by_test_id("accept-email").click()
    expect(page.locator("main")).to_contain_text("E-mail changed to anna.petrova@gmail.com.")
    expect(page.get_by_test_id("email-typo")).to_have_count(0)
    expect(page.get_by_test_id("client-history")).to_contain_text(
        "E-mail: anna.petrova@gmial.com → anna.petrova@gmail.com")  # the field's label, not its code
    client.contact.refresh_from_db()
    assert client.contact.email == "anna.petrova@gmail.com"
