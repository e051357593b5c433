"""A refused form on the lead card, in a real browser: the manager lands back at the form, sees each error by the
field it is about (not at the top of the card), with a summary above the form, and what they typed is still there.
And the card shows the phone as people write it, while the link dials E.164."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leadflow.leads import services
from leadflow.leads.models import Lead, LeadState

from .conftest import Site
from .test_ui import DEMO, card_action, give, seed

pytestmark = pytest.mark.browser


def _beside(page, error, field) -> None:  # type: ignore[no-untyped-def]
    """The error is shown right by its field: visible, and within a few lines of it on the screen."""
    expect(error).to_be_visible()
    expect(field).to_be_visible()
    error_box, field_box = error.bounding_box(), field.bounding_box()
    assert abs(field_box["y"] - (error_box["y"] + error_box["height"])) < 40, (error_box, field_box)


def test_a_refused_conversion_shows_the_inn_error_by_the_inn_field(site: Site, web_form, alice) -> None:
    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")
    form = card_action(page, "Convert into a client")
    form.get_by_label("INN").fill("7707083894")  # a wrong check digit
    form.get_by_label("KPP").fill("773601001")
    form.get_by_role("button", name="Convert").click()

    expect(page).to_have_url(f"{site.url}/leads/{lead.pk}/#action-convert")
    form = page.locator(f"form[action='/leads/{lead.pk}/convert/']")
    inn = form.get_by_label("INN")
    expect(inn).to_have_value("7707083894")
    expect(inn).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("KPP")).to_have_value("773601001")
    errors = form.locator("div", has=page.locator("#convert_inn")).locator(".errorlist")
    expect(errors).to_contain_text("INN check digit does not match")
    _beside(page, errors, inn)
    summary = form.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("INN check digit does not match")
    expect(page.locator(".messages .message.error")).to_have_count(0)
    # The summary's line takes the manager to the field.
    summary.get_by_role("link").first.click()
    expect(inn).to_be_focused()
    assert Lead.objects.get(pk=lead.pk).state == LeadState.OPEN


def test_a_refused_deferral_in_russian_shows_the_date_error_by_the_date(site: Site, web_form, alice) -> None:
    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    alice.language = "ru"  # the login page is English; the card in her language
    alice.save()
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")
    form = card_action(page, "Отложить")
    yesterday = timezone.localdate() - timedelta(days=1)
    form.get_by_label("Вернуться к лиду").fill(yesterday.isoformat())
    form.get_by_label("Примечание").fill("после бюджета")
    form.get_by_role("button", name="Отложить").click()

    expect(page).to_have_url(f"{site.url}/leads/{lead.pk}/#action-defer")
    form = page.locator(f"form[action='/leads/{lead.pk}/defer/']")
    until = form.get_by_label("Вернуться к лиду")
    errors = form.locator("div", has=page.locator("#defer_until")).locator(".errorlist")
    expect(errors).to_contain_text("Дата должна быть в будущем")
    _beside(page, errors, until)
    expect(until).to_have_value(yesterday.isoformat())
    expect(form.get_by_label("Примечание")).to_have_value("после бюджета")
    expect(page.locator(".messages .message.error")).to_have_count(0)
    assert Lead.objects.get(pk=lead.pk).state == LeadState.OPEN


def test_the_card_shows_the_phone_as_written_and_the_link_dials_e164(site: Site, web_form, alice) -> None:
    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    alice.language = "ru"  # the login page is English; the card in her language
    alice.save()
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")
    phone = page.get_by_test_id("tel")
    expect(phone).to_have_text("8 (916) 100-00-01")
    expect(phone).to_have_attribute("href", "tel:+79161000001")


def test_a_refused_client_edit_shows_the_inn_error_by_the_inn_field_and_keeps_what_was_typed(
    site: Site, web_form, alice
) -> None:
    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    client = services.convert_lead(lead=lead, by=alice)
    inn_before = client.company.inn
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/clients/{client.pk}/")
    form = card_action(page, "Edit the card")
    form.get_by_label("INN").fill("7707083894")  # a wrong check digit
    form.get_by_label("Position").fill("Директор по закупкам")
    form.locator("#edit_phone").fill("12")
    form.get_by_role("button", name="Save").click()

    expect(page).to_have_url(f"{site.url}/clients/{client.pk}/#action-edit")
    form = page.get_by_test_id("client-edit-form")
    inn = form.get_by_label("INN")
    expect(inn).to_have_value("7707083894")
    expect(inn).to_have_attribute("aria-invalid", "true")
    inn_errors = form.locator("div", has=page.locator("#edit_inn")).locator(".errorlist")
    expect(inn_errors).to_contain_text("INN check digit does not match")
    _beside(page, inn_errors, inn)
    phone = form.locator("#edit_phone")
    phone_errors = form.locator("div", has=page.locator("#edit_phone")).locator(".errorlist")
    expect(phone_errors).to_contain_text("too few digits")
    _beside(page, phone_errors, phone)
    expect(form.get_by_label("Position")).to_have_value("Директор по закупкам")
    summary = form.get_by_test_id("error-summary")
    expect(summary).to_contain_text("INN check digit does not match")
    expect(page.locator(".messages .message.error")).to_have_count(0)
    summary.get_by_role("link").first.click()
    expect(inn).to_be_focused()
    client.company.refresh_from_db()
    client.contact.refresh_from_db()
    assert (client.company.inn, client.contact.position) == (inn_before, "")  # nothing of a refused form is saved
