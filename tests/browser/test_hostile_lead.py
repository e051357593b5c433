"""An attacker's lead in a real browser: markup typed into a public form never runs on any page that shows it.

The lead comes in over HTTP through the public API (the web form's key), with markup in every field, in its
UTM tags (they name a source, shown in the analytics charts) and in its site events; the admin then opens
every page that shows it, the charts drawn by Chart.js included. The site fixture fails the test on any
JavaScript dialog or uncaught error; each page is also searched for an element the markup would have made.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leadflow.leads import services
from leadflow.leads.models import Lead

from .conftest import Site, Watched
from .test_ui import submit

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = '"><script>alert(2)</script>'
SVG = "<svg onload=alert(3)>"
JS_URL = "javascript:alert(4)"


def hostile(site: Site, web_form, alice) -> tuple[Lead, Lead]:
    from leadflow.warming.services import record_behaviour

    body = {"first_name": IMG, "last_name": SCRIPT, "company": f"ООО {SVG}", "city": IMG, "position": SVG,
            "phone": "+79161239999", "email": "hostile@example.ru", "message": f"{IMG} {SCRIPT} {JS_URL}",
            "utm_source": IMG, "utm_medium": SVG, "utm_campaign": SCRIPT, "product_interest": SVG,
            "referrer": f"https://evil.example/{SCRIPT}", "landing_page": f"https://evil.example/?q={IMG}"}
    lead = submit(site, web_form, body)
    twin = submit(site, web_form, {**body, "phone": "+79161239998", "email": "other@example.ru"})
    for one in (lead, twin):
        services.claim_lead(lead=one, by=alice)
    services.log_activity(lead=lead, kind="note", by=alice, body=f"{SVG} {JS_URL} https://ok.example/{SCRIPT}")
    record_behaviour("page_view", lead=lead, url=f"{JS_URL}//{IMG}", properties={SVG: SCRIPT, "link": JS_URL})
    return lead, twin


def no_markup_ran(watched: Watched) -> None:
    page = watched.page
    page.wait_for_load_state("load")
    assert page.locator('img[src="x"], svg[onload], [onerror], [onload]').count() == 0, page.url
    assert page.locator('[href^="javascript:" i], [src^="javascript:" i], [action^="javascript:" i]').count() == 0
    assert not page.evaluate("[...document.scripts].some(s => s.textContent.includes('alert('))"), page.url
    assert watched.dialogs == [], f"dialog on {page.url}: {watched.dialogs}"


def test_a_hostile_lead_runs_nothing_on_any_page(site: Site, web_form, alice, head, admin_user):
    lead, twin = hostile(site, web_form, alice)
    me = site.new_page()
    site.login(me, "admin")
    pages = ["/leads/", "/board/", "/team/", "/notifications/", f"/leads/{lead.pk}/",
             f"/leads/{lead.pk}/compare/?other={twin.pk}", "/marketing/", "/calls/", "/clients/",
             "/analytics/", "/analytics/funnel/?group=source", "/analytics/conversion/", "/analytics/managers/",
             f"/privacy/erase/?lead={lead.pk}", "/admin/leads/lead/", f"/admin/leads/lead/{lead.pk}/change/",
             "/admin/intake/submission/", "/admin/warming/behaviourevent/", "/admin/marketing/source/", "/api/docs"]
    for path in pages:
        response = me.page.goto(f"{site.url}{path}")
        assert response.status == 200, path
        no_markup_ran(me)
    me.page.goto(f"{site.url}/leads/{lead.pk}/")
    expect(me.page.get_by_text(IMG).first).to_be_visible()  # shown, as the text it is
    me.page.wait_for_selector("#marketing-panel, [data-testid=points-now]", state="attached")  # htmx panels in
    no_markup_ran(me)

    manager = site.new_page()
    site.login(manager, "alice")
    for path in ("/tasks/", "/leads/", "/board/", f"/leads/{lead.pk}/", f"/leads/{twin.pk}/"):
        manager.page.goto(f"{site.url}{path}")
        no_markup_ran(manager)


def test_markup_that_slipped_into_a_page_would_still_not_run(site: Site, web_form, alice):
    """Defence in depth: if a template ever printed a visitor's markup unescaped, the Content-Security-Policy
    still refuses its inline handlers and scripts, while the page's own scripts keep working."""
    lead = submit(site, web_form, {"first_name": "Ольга", "phone": "+79161239990"})
    me = site.new_page()
    site.login(me, "alice")
    me.page.goto(f"{site.url}/leads/{lead.pk}/")
    me.page.evaluate("""() => {
        document.body.insertAdjacentHTML("beforeend", '<img src="x" onerror="window.ranHandler = true">');
        const script = document.createElement("script");
        script.textContent = "window.ranScript = true";
        document.body.append(script);
    }""")
    me.page.wait_for_function("() => document.querySelector('img[src=\"x\"]').complete")
    expect(me.page.locator("body")).to_be_visible()
    assert me.page.evaluate("() => [window.ranHandler, window.ranScript]") == [None, None]
    assert any("inline" in refusal for refusal in me.refused), me.refused
    assert me.page.evaluate("() => typeof window.htmx") == "object"  # our own scripts run
    me.refused.clear()  # the refusals this test provoked on purpose
