"""The analytics pages in a real browser: charts drawn by the vendored library from the same figures as the tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leadflow.accounts.models import Role, User
from leadflow.analytics.tests.builders import make

from .conftest import Site

pytestmark = pytest.mark.browser


def test_head_sees_the_funnel_drawn_as_a_funnel_and_the_same_figures_in_the_table(site: Site, head, alice, sales):
    now = timezone.now()
    for n in range(6):
        make(created=now - timedelta(hours=3), owner=alice, team=sales, name=f"Lead {n}",
             stages=("contacted", "qualified") if n < 3 else ())
    make(created=now - timedelta(hours=3), owner=alice, team=sales, converted_after=timedelta(hours=1))
    me = site.new_page()
    site.login(me, "head")
    page = me.page
    page.get_by_role("link", name="Analytics").click()
    page.wait_for_url("**/analytics/")
    page.get_by_role("link", name="Funnel", exact=True).first.click()
    page.wait_for_url("**/analytics/funnel/")
    steps = page.get_by_test_id("table-steps")
    expect(steps.locator("tbody tr").nth(2)).to_contain_text("7")  # leads
    expect(steps.locator("tbody tr").nth(3)).to_contain_text("4")  # qualified
    drawn = page.evaluate("""() => {
        const canvas = document.querySelector('canvas[data-chart="chart-funnel-steps"]');
        const chart = Chart.getChart(canvas);
        return {axis: chart.options.indexAxis, labels: chart.data.labels,
                bars: chart.data.datasets[0].data.map(([low, high]) => high - low)};
    }""")
    assert drawn["axis"] == "y"
    assert drawn["labels"][2:5] == ["Leads", "Qualified", "New clients"]
    assert drawn["bars"][2:5] == [7, 4, 1]
    site.screenshot(me, "analytics-funnel")

    page.locator("select[name=interval]").select_option("week")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**interval=week**")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export all tables (XLSX)").click()
    assert download.value.suggested_filename == "funnel.xlsx"


def test_marketer_dashboard_shows_funnel_and_costs_only(site: Site, sales):
    User.objects.create_user(username="mary", password="pw", role=Role.MARKETER, first_name="Mary")
    me = site.new_page()
    page = me.page
    site.login(me, "mary")
    page.goto(f"{site.url}/analytics/")
    expect(page.get_by_role("heading", name="Cost economics")).to_be_visible()
    expect(page.get_by_role("link", name="Speed to lead")).to_have_count(0)
    assert page.goto(f"{site.url}/analytics/speed/").status == 403
    expect(page.get_by_text("Your role may not see the report “Speed to lead”.")).to_be_visible()
