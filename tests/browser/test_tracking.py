"""The tracking snippet in a real browser: a shop on another local origin runs /t.js; a page view (with its
time on page, sent when the page is left) and a custom event arrive anonymously; then the visitor sends the
shop's embedded form, and the earlier events join the new lead and score. The lead card shows them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from leadflow.accounts.models import Team
from leadflow.events.services import deliver_pending
from leadflow.intake.models import Form
from leadflow.leads.models import Lead
from leadflow.warming.models import BehaviourEvent, EventKind, PointsPolicy, PointsRule, ScoreEntry, TrackingSite

from .conftest import Site

pytestmark = pytest.mark.browser


class Shop:
    """A plain site on 127.0.0.1 (another origin than Leadflow): a catalogue page and a contact page."""

    def __init__(self, pages: dict[str, str]):
        encoded = {path: html.encode() for path, html in pages.items()}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = encoded.get(self.path.split("?")[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(check: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll the database while the live server writes to it. The test database is SQLite's shared-cache
    memory database, where a read that meets the server's write fails at once ("table is locked") instead
    of waiting: such a read is simply tried again."""
    from django.db import OperationalError

    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except OperationalError as error:
            if "locked" not in str(error):
                raise
        if time.monotonic() > deadline:
            raise AssertionError("the browser's events did not arrive in time")
        time.sleep(0.1)


@pytest.fixture
def shop(site: Site, head) -> Iterator[tuple[Shop, TrackingSite]]:
    from leadflow.intake.webforms import embed_snippet
    from leadflow.warming.tracking import snippet

    form = Form.objects.create(name="Shop contact", slug="shop", team=Team.objects.get(name="Sales"),
                               min_fill_seconds=1, fields=[{"name": "name", "required": True},
                                                           {"name": "phone", "required": True}])
    tracking = TrackingSite.objects.create(name="Shop")
    tracker = snippet(tracking, site.url)
    form_tag = embed_snippet(form, site.url).replace(" async", " data-leadflow-target='form-here' async")
    head_html = "<!doctype html><html><head><meta charset='utf-8'><title>Shop</title></head><body>"
    shop = Shop({
        "/": f"{head_html}<h1>Tractors</h1><a href='/contact.html'>Contact us</a>{tracker}</body></html>",
        "/contact.html": f"{head_html}<h1>Contact</h1><div id='form-here'></div>{tracker}{form_tag}</body></html>",
    })
    tracking.allowed_origins = form.allowed_origins = shop.url
    tracking.save()
    form.save()
    yield shop, tracking
    shop.close()


def test_events_before_the_form_join_the_lead_the_form_makes(site: Site, shop, head):
    shop_site, _ = shop
    PointsPolicy.objects.create(half_life_days=30, warm_at=14, hot_at=50)
    PointsRule.objects.create(name="Catalogue", kind=EventKind.PAGE_VIEW, points=3)
    PointsRule.objects.create(name="Cart", kind=EventKind.ADD_TO_CART, points=12)
    visitor = site.new_page()
    page = visitor.page
    page.goto(f"{shop_site.url}/")
    expect(page.get_by_role("heading", name="Tractors")).to_be_visible()
    page.wait_for_function("typeof window.leadflow !== 'undefined'")  # the snippet loads async, after the page
    page.evaluate("leadflow.track('add_to_cart', {sku: 'T-100', note: '<b>big</b>'})")
    wait_for(lambda: BehaviourEvent.objects.filter(kind="add_to_cart").exists())
    page.wait_for_timeout(1200)  # time on the catalogue page
    page.get_by_role("link", name="Contact us").click()  # leaving the page sends its view with the time spent
    wait_for(lambda: BehaviourEvent.objects.filter(kind="page_view").exists())

    page.wait_for_function("typeof window.leadflow !== 'undefined'")  # the contact page loads the snippet anew
    visitor_id = page.evaluate("leadflow.visitorId()")
    assert visitor_id == page.evaluate("JSON.parse(localStorage.getItem('leadflow_visitor')).id")
    view = BehaviourEvent.objects.get(kind="page_view")
    assert (view.visitor_id, view.url, view.lead) == (visitor_id, f"{shop_site.url}/", None)
    assert view.duration_seconds >= 1
    cart = BehaviourEvent.objects.get(kind="add_to_cart")
    assert (cart.visitor_id, cart.properties) == (visitor_id, {"sku": "T-100", "note": "<b>big</b>"})

    page.get_by_label("Your name").fill("Сергеев Пётр Ильич")
    page.get_by_label("Phone").fill("8 (916) 100-00-07")
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_be_visible()
    lead = Lead.objects.get()
    assert lead.visitor_id == visitor_id
    deliver_pending()  # what the worker does every second
    assert sorted(lead.behaviour_events.values_list("kind", flat=True)) == ["add_to_cart", "page_view"]
    assert sorted(ScoreEntry.objects.filter(lead=lead).values_list("points", flat=True)) == [3, 12]

    office = site.new_page()
    site.login(office, "head")
    office.page.goto(f"{site.url}/leads/{lead.pk}/")
    panel = office.page.get_by_test_id("lead-points")
    expect(panel.get_by_test_id("points-now")).to_have_text("15")
    expect(panel.get_by_test_id("temperature")).to_have_text("Warm")
    expect(panel.get_by_test_id("points-history")).to_contain_text("+12 added to cart on ")
    panel.get_by_text("What they did").click()
    expect(panel.get_by_test_id("behaviour-events")).to_contain_text("note: <b>big</b>")  # shown as text
    site.screenshot(office, "lead-points")
    # Leaving the contact page sends its view as well: wait for it here, not while the test database is
    # being flushed (a request arriving then deadlocked PostgreSQL's teardown).
    page.goto("about:blank")
    wait_for(lambda: BehaviourEvent.objects.filter(kind="page_view").count() == 2)
