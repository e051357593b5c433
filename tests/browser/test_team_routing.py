"""A head of sales changes the team's routing scheme and adds a rule in a real browser; the next lead follows it."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from leadflow.intake.models import Submission

from .conftest import Site

pytestmark = pytest.mark.browser


def submit(site: Site, form_key: str, body: dict) -> int:
    """POST /api/submissions as the website form does over HTTP; the submission's id."""
    request = urllib.request.Request(  # noqa: S310 (the live server's http:// URL)
        f"{site.url}/api/submissions", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Form-Key": form_key})
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return json.load(response)["submission_id"]


def test_head_switches_to_rules_and_adds_one(site: Site, head, alice, bob, sales, web_form):
    boss = site.new_page()
    site.login(boss, "head")
    page = boss.page
    page.get_by_role("link", name="Team", exact=True).click()
    page.get_by_role("link", name="Routing and rules").click()

    page.get_by_label("Routing scheme").select_option(label="Routing rules")
    page.get_by_role("button", name="Save the scheme and the managers").click()
    expect(page.locator(".messages")).to_contain_text("Routing saved: 1 change(s)")
    expect(page.get_by_label("Routing scheme")).to_have_value("rules")

    # A rule to one person without the person: refused on the field, the name typed kept.
    page.locator("#new-rule summary").click()
    rule_form = page.locator("#new-rule form")
    rule_form.get_by_label("Name").fill("Опт — Бобу")
    rule_form.get_by_label("Deal type is").select_option(label="Wholesale")
    rule_form.get_by_label("Strategy").select_option(label="To one person")
    rule_form.get_by_role("button", name="Add the rule").click()
    expect(page.locator("#new-rule")).to_contain_text("Pick the person this rule sends leads to.")
    expect(rule_form.get_by_label("Name")).to_have_value("Опт — Бобу")

    rule_form.get_by_label("Person").select_option(label="Bob")
    rule_form.get_by_role("button", name="Add the rule").click()
    expect(page.locator(".messages")).to_contain_text("Rule added")
    row = page.locator("#rules tbody tr", has_text="Опт — Бобу")
    expect(row).to_contain_text("Wholesale")
    expect(row).to_contain_text("To one person: Bob")
    expect(page.locator("#history tbody tr")).to_have_count(2)
    site.screenshot(boss, "team-routing")

    submission = submit(site, web_form.public_key, {"name": "Орлова Мария", "phone": "+7 913 111-22-33",
                                                    "deal_type": "wholesale", "consent": True})
    assert Submission.objects.get(pk=submission).lead.owner == bob
