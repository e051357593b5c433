"""The head of sales reads the partner report in a real browser and downloads it as CSV (issue 5)."""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from leadflow.intake.models import Partner

from .conftest import Site

pytestmark = pytest.mark.browser


def submit(site: Site, key: str, body: dict[str, Any]) -> str:
    """POST /api/submissions with the partner's key over HTTP; the decision it answered."""
    request = urllib.request.Request(  # noqa: S310 (the live server's http:// URL)
        f"{site.url}/api/submissions", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Api-Key": key})
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310
            return json.load(response)["decision"]
    except urllib.error.HTTPError as error:
        return "invalid" if error.code == 422 else f"HTTP {error.code}"


def test_head_reads_the_partner_report_and_downloads_it(site: Site, head, sales):
    network = Partner.objects.create(name="Лидген Про", team=sales, price_per_lead=Decimal("150"),
                                     required_fields=["email"])
    dealer = Partner.objects.create(name="=cmd|' /C calc'!A0", team=sales, price_per_lead=Decimal("90"))
    network_key, dealer_key = network.issue_key(), dealer.issue_key()
    decisions = [
        submit(site, network_key, {"name": "Сергеев Пётр", "phone": "+7 916 100-00-01", "email": "p@example.ru"}),
        submit(site, network_key, {"name": "Кузнецова Анна", "phone": "+7 916 100-00-02", "email": "a@example.ru"}),
        submit(site, network_key, {"name": "Сергеев Пётр", "phone": "8 916 100 00 01", "email": "p@example.ru"}),
        submit(site, network_key, {"name": "Орлова Мария", "phone": "+7 916 100-00-03"}),  # no e-mail: invalid
        submit(site, dealer_key, {"name": "Иванов Иван", "phone": "+7 916 100-00-05"}),
    ]
    assert decisions == ["accepted", "accepted", "duplicate", "invalid", "accepted"]

    boss = site.new_page()
    site.login(boss, "head")
    page = boss.page
    page.get_by_role("link", name="Partners").click()
    table = page.get_by_test_id("partner-report")
    row = table.locator("tbody tr", has_text="Лидген Про")
    expect(row.locator("td:nth-child(n+2)")).to_have_text(
        ["Лидген Про", "4", "2", "1", "0", "1", "0", "300.00", "", ""])
    expect(table.locator("tfoot th")).to_have_text(["Total", "5", "3", "1", "0", "1", "0", "390.00", "", ""])
    site.screenshot(boss, "partners")

    with page.expect_download() as download:
        page.get_by_test_id("csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Period", "Partner", "Submitted", "Accepted", "Duplicates", "Of them found after acceptance",
                       "Invalid", "Converted", "Amount due", "Of it, adjustments to paid periods", "Paid"]
    assert sorted(r[1:] for r in rows[1:-1]) == [
        ["'=cmd|' /C calc'!A0", "1", "1", "0", "0", "0", "0", "90.00", "0.00", ""],
        ["Лидген Про", "4", "2", "1", "0", "1", "0", "300.00", "0.00", ""],
    ]
