"""An administrator adds a telephony integration in a real browser: the generated secret is shown until it is
saved and once after, the PBX authenticates with it, and the integration's page never shows it again."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from leadflow.telephony.models import Integration

from .conftest import Site

pytestmark = pytest.mark.browser


def test_admin_copies_the_secret_once_and_the_pbx_uses_it(site: Site, admin_user, sales):
    watched = site.new_page()
    page = watched.page
    page.goto(f"{site.url}/admin/login/?next=/admin/telephony/integration/add/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/admin/telephony/integration/add/$"))

    generated = page.locator("#id_secret").input_value()
    page.locator("#id_name").fill("Office Asterisk")
    page.locator("#id_team").select_option(label=str(sales))
    page.get_by_role("button", name="Save", exact=True).click()

    shown = page.get_by_test_id("integration-secret")
    expect(shown).to_have_text(generated)
    webhook = page.get_by_test_id("webhook-url").inner_text()
    integration = Integration.objects.get(name="Office Asterisk")
    assert len(generated) >= 40 and webhook.endswith(f"/api/telephony/{integration.pk}/events")

    call = json.dumps({"event": "missed", "call_id": "c-1", "caller": "+79161230000"}).encode()
    request = urllib.request.Request(  # noqa: S310 (the live server's http:// URL)
        f"{site.url}/api/telephony/{integration.pk}/events", data=call, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {generated}"})
    with urllib.request.urlopen(request) as response:  # noqa: S310
        assert json.load(response)["status"] == "accepted"

    page.get_by_role("link", name="Continue editing").click()
    secret_input = page.locator("#id_secret")
    expect(secret_input).to_have_attribute("type", "password")
    expect(secret_input).to_have_value("")
    assert generated not in page.content()
