"""Web forms in a real browser (issue 5): the embed snippet on a page from another local origin, and the
hosted page /f/<slug> with JavaScript switched off. The lead is then found in Leadflow with its UTM data.

The customer's site is a second HTTP server on its own port: the embed script posts across origins, so
the CORS answers and the form's allowed origins are exercised as a browser enforces them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from leadflow.accounts.models import Team
from leadflow.intake.models import Form, Submission
from leadflow.leads.models import Lead, Request

from .conftest import Site

pytestmark = pytest.mark.browser


class CustomerSite:
    """A plain site on 127.0.0.1 (another origin than the live server) with the form's snippet on its pages."""

    def __init__(self, snippet: str):
        page = ("<!doctype html><html><head><meta charset='utf-8'><title>Shop</title></head><body>"
                "<h1>Our shop</h1><a href='/contact.html?utm_source=newsletter&utm_campaign=may'>Contact</a>"
                f"<div id='form-here'></div>{snippet}</body></html>").encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def shop_form(site: Site, head) -> Form:
    return Form.objects.create(
        name="Shop contact", slug="shop", team=Team.objects.get(name="Sales"), min_fill_seconds=2,
        consent_text="I agree to be contacted about my request.", consent_text_version="2026-01",
        thank_you_text="Thank you! A manager will call you today.",
        fields=[{"name": "name", "required": True}, {"name": "phone", "required": True},
                {"name": "email", "required": False}, {"name": "message", "required": False}],
    )


@pytest.fixture
def shop(site: Site, shop_form: Form) -> Iterator[CustomerSite]:
    from leadflow.intake.webforms import embed_snippet

    snippet = embed_snippet(shop_form, site.url).replace(" async", " data-leadflow-target='form-here' async")
    customer = CustomerSite(snippet)
    shop_form.allowed_origins = customer.url
    shop_form.save()
    yield customer
    customer.close()


def test_embedded_form_on_another_origin_makes_a_lead_with_first_and_last_touch(site: Site, shop, shop_form, head):
    visitor = site.new_page()
    page = visitor.page
    # First visit from an ad; the form is on the page but the visitor leaves.
    page.goto(f"{shop.url}/?utm_source=google&utm_medium=cpc&utm_campaign=spring")
    expect(page.locator("#form-here form")).to_be_visible()
    # Back later from a newsletter link, in a new session: this is the last touch.
    page.evaluate("sessionStorage.clear()")
    page.goto(f"{shop.url}/contact.html?utm_source=newsletter&utm_campaign=may")
    form = page.locator("#form-here form")
    page.get_by_role("button", name="Send").click()  # nothing filled: each required field says so
    expect(form.locator("#lf-shop-name-error")).to_have_text("This field is required.")
    expect(form.locator("#lf-shop-phone-error")).to_have_text("This field is required.")
    page.get_by_label("Your name").fill("Сергеев Пётр Ильич")
    page.get_by_label("Phone").fill("8 (916) 100-00-01")
    page.get_by_label("E-mail").fill("petr@example.ru")
    page.get_by_label("Message").fill("<b>Call me</b> after lunch")
    page.get_by_label("I agree to be contacted about my request.").check()
    site.screenshot(visitor, "webform-embed")
    page.wait_for_timeout(2100)  # a person takes longer than the form's minimum fill time
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Thank you! A manager will call you today.")

    visitor_id = page.evaluate("JSON.parse(localStorage.getItem('leadflow_visitor')).id")
    assert f"leadflow_vid={visitor_id}" in page.evaluate("document.cookie")
    lead = Lead.objects.get()
    assert (lead.full_name, lead.phone, lead.email) == ("Сергеев Пётр Ильич", "+79161000001", "petr@example.ru")
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("google", "cpc", "spring")
    assert lead.landing_page == f"{shop.url}/?utm_source=google&utm_medium=cpc&utm_campaign=spring"
    assert lead.consent_given and lead.consent_text_version == "2026-01" and lead.visitor_id == visitor_id
    request = Request.objects.get(lead=lead)
    assert (request.utm_source, request.utm_campaign) == ("newsletter", "may")
    assert request.landing_page == f"{shop.url}/contact.html?utm_source=newsletter&utm_campaign=may"
    assert request.referrer == ""  # a link within the same site is not a referrer
    statuses = list(Submission.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["created"]  # the empty click never left the browser

    # The head of sales finds the lead and its source in Leadflow.
    office = site.new_page()
    site.login(office, "head")
    office.page.goto(f"{site.url}/leads/{lead.pk}/")
    expect(office.page.locator("main")).to_contain_text("Сергеев Пётр Ильич")
    expect(office.page.locator("dd.chips").first).to_contain_text("source: google")
    expect(office.page.locator("dd.chips").first).to_contain_text("campaign: spring")
    expect(office.page.locator("main")).to_contain_text("<b>Call me</b> after lunch")  # shown as text


def test_embedded_form_shows_each_consent_as_its_own_unticked_box(site: Site, shop, shop_form):
    from leadflow.privacy.models import Consent

    shop_form.marketing_consent_text = "Send me offers by e-mail."
    shop_form.marketing_consent_text_version = "mk-4"
    shop_form.consent_document_url = "https://shop.example.com/privacy"
    shop_form.save()
    page = site.new_page().page
    page.goto(f"{shop.url}/contact.html")
    processing = page.get_by_label("I agree to be contacted about my request.")
    marketing = page.get_by_label("Send me offers by e-mail.")
    expect(processing).not_to_be_checked()
    expect(marketing).not_to_be_checked()
    expect(page.get_by_role("link", name="Personal data policy")).to_have_attribute(
        "href", "https://shop.example.com/privacy")
    page.get_by_label("Your name").fill("Сергеев Пётр Ильич")
    page.get_by_label("Phone").fill("8 (916) 100-00-02")
    marketing.check()
    page.wait_for_timeout(2100)
    page.get_by_role("button", name="Send").click()  # marketing alone is not the consent to processing
    expect(page.locator("#form-here form")).to_contain_text("Please agree to be contacted")
    assert not Lead.objects.exists() and Submission.objects.get().status == "invalid"
    processing.check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Thank you! A manager will call you today.")
    lead = Lead.objects.get()
    assert sorted(Consent.objects.filter(lead=lead).values_list("purpose", "text_version")) == [
        ("marketing", "mk-4"), ("processing", "2026-01")]


def test_a_site_not_on_the_list_gets_no_form(site: Site, shop, shop_form):
    # The same customer server under another name is another origin, and the form does not list it.
    visitor = site.new_page()
    page = visitor.page
    page.goto(f"http://localhost:{shop.port}/")
    expect(page.get_by_role("heading", name="Our shop")).to_be_visible()
    page.wait_for_timeout(1000)
    expect(page.locator("#form-here form")).to_have_count(0)
    assert Submission.objects.count() == 0


def test_hosted_page_works_without_javascript(site: Site, chromium, shop_form):
    shop_form.min_fill_seconds = 60  # however slow this machine, the first try below is quicker than that
    shop_form.save()
    context = chromium.start().new_context(java_script_enabled=False, locale="en-US")
    try:
        page = context.new_page()
        page.goto(f"{site.url}/f/shop?utm_source=vk&utm_campaign=autumn")
        page.get_by_label("Your name").fill("Анна Кузнецова")
        page.get_by_label("Phone").fill("+7 916 100-00-02")
        page.get_by_label("I agree to be contacted about my request.").check()
        page.get_by_role("button", name="Send").click()  # faster than the form allows: spam, not told so
        expect(page.get_by_test_id("thanks")).to_have_text("Thank you! A manager will call you today.")
        assert Submission.objects.get().status == "spam" and Lead.objects.count() == 0
        shop_form.min_fill_seconds = 2
        shop_form.save()

        page.goto(f"{site.url}/f/shop?utm_source=vk&utm_campaign=autumn")
        page.get_by_label("Your name").fill("Анна Кузнецова")
        page.get_by_label("Phone").fill("not a phone")
        page.wait_for_timeout(2100)
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#lf-phone-error")).to_be_visible()
        expect(page.locator("#lf-consent-error")).to_contain_text("Please agree to be contacted")
        page.get_by_label("Phone").fill("+7 916 100-00-02")
        page.get_by_label("I agree to be contacted about my request.").check()
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_test_id("thanks")).to_be_visible()
    finally:
        context.close()
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.phone) == ("Анна", "Кузнецова", "+79161000002")
    assert (lead.utm_source, lead.utm_campaign, lead.channel) == ("vk", "autumn", "form")
    assert lead.visitor_id and lead.consent_text_version == "2026-01"
    assert list(Submission.objects.order_by("pk").values_list("status", flat=True)) == ["spam", "invalid", "created"]


def test_a_typo_in_the_email_domain_is_suggested_to_the_visitor_and_taken_on_the_card(site: Site, shop, shop_form,
                                                                                      head):
    visitor = site.new_page()
    page = visitor.page
    page.goto(f"{shop.url}/contact.html")
    page.get_by_label("Your name").fill("Сергеев Пётр Ильич")
    page.get_by_label("Phone").fill("8 (916) 100-00-03")
    page.get_by_label("E-mail").fill("petr@gmial.com")
    page.get_by_label("I agree to be contacted about my request.").check()
    page.wait_for_timeout(2100)
    page.get_by_role("button", name="Send").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("Thank you! A manager will call you today.")
    expect(status).to_contain_text("Please check your e-mail address: did you mean petr@gmail.com?")
    lead = Lead.objects.get()
    assert lead.email == "petr@gmial.com"  # taken as typed: the address may be real

    office = site.new_page()
    site.login(office, "head")
    office.page.goto(f"{site.url}/leads/{lead.pk}/")
    expect(office.page.get_by_test_id("email-typo")).to_have_text("Did you mean petr@gmail.com?")
    site.screenshot(office, "lead-email-typo")
    office.page.get_by_test_id("accept-email").click()
    expect(office.page.locator("main")).to_contain_text("E-mail changed to petr@gmail.com.")
    expect(office.page.get_by_test_id("email-typo")).to_have_count(0)
    lead.refresh_from_db()
    assert lead.email == "petr@gmail.com"
