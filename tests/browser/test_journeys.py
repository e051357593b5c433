"""Journeys walked as the sales team walks them, in a real browser: faults found by exploratory testing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leadflow.leads.models import Lead, LeadState

from .conftest import PHONE, Site

pytestmark = pytest.mark.browser


def test_the_team_page_on_a_phone_says_what_each_number_is(site: Site, head, alice, make_lead):
    """On a phone the load table's cells stack: "15 / 2 / 0" under a name said nothing without their headings."""
    make_lead(owner=alice)
    make_lead()
    me = site.new_page(viewport=PHONE)
    site.login(me, "head")
    page = me.page
    page.goto(f"{site.url}/team/")
    expect(page.locator("table tr", has_text="Alice").first).to_be_visible()
    load = shown_cells(page.locator("table tr", has_text="Alice").first)
    assert "Open leads: 1" in load and "Overdue tasks: 0" in load, load
    waiting = shown_cells(page.locator("table tr", has_text="Petrov").first)
    assert any(cell.startswith("Call within: ") for cell in waiting), waiting


def shown_cells(row) -> list[str]:  # type: ignore[no-untyped-def]
    """Each cell as a person sees it: the label the stylesheet puts before it on a narrow screen, then the text."""
    return row.evaluate("""tr => [...tr.cells].map(td => {
        const before = getComputedStyle(td, '::before').content;
        return (before && before !== 'none' ? JSON.parse(before) : '') + td.innerText.trim();
    })""")


def test_a_wrong_inn_leaves_the_conversion_form_open_with_what_was_typed(site: Site, alice, make_lead):
    lead = make_lead(owner=alice)
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")
    page.get_by_text("Convert into a client", exact=True).click()
    form = page.locator("form[action$='/convert/']")
    form.get_by_label("Company").fill("Вектор")
    form.get_by_label("Legal form").fill("ООО")
    form.get_by_label("INN").fill("7707083894")
    form.get_by_label("Legal address").fill("Москва, ул. Льва Толстого, 16")
    form.get_by_test_id("convert").click()

    form = page.locator("form[action$='/convert/']")
    expect(form.get_by_test_id("error-summary")).to_contain_text("INN")
    expect(form).to_be_visible()
    expect(form.get_by_label("Legal address")).to_have_value("Москва, ул. Льва Толстого, 16")
    form.get_by_label("INN").fill("7707083893")
    form.get_by_test_id("convert").click()
    expect(page).to_have_url(f"{site.url}/clients/{Lead.objects.get(pk=lead.pk).client.pk}/")
    assert Lead.objects.get(pk=lead.pk).state == LeadState.CONVERTED
    assert me.errors == []


def test_a_consent_is_withdrawn_only_after_a_second_deliberate_click(site: Site, alice, make_lead):
    """The withdraw buttons stood full width right under the contacts: a tap meant for the card's forms recorded that
    the person withdrew their consent, which nobody on the card can take back. They now wait behind "Withdraw a
    consent…", which says what a withdrawal means."""
    from leadflow.privacy.models import Consent
    from leadflow.privacy.services import record_consent

    lead = make_lead(owner=alice)
    record_consent(purpose="processing", lead=lead, phone=lead.phone, channel="web_form", text_version="2025-03")
    me = site.new_page(viewport=PHONE)
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")
    consents = page.get_by_test_id("consents")
    withdraw = consents.get_by_role("button", name="Withdraw: Processing of personal data")
    expect(consents).to_contain_text("Processing of personal data: given")
    expect(withdraw).to_be_hidden()
    expect(consents).not_to_contain_text("withdrawal the person never made")  # the template's note stays in it

    consents.get_by_text("Withdraw a consent…").click()
    expect(consents).to_contain_text("Only when the person has asked for it")
    withdraw.click()
    expect(page.locator(".messages")).to_contain_text("The withdrawal is recorded.")
    assert list(Consent.objects.filter(lead=lead).order_by("pk").values_list("given", flat=True)) == [True, False]
