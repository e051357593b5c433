"""The Interests page in a real browser: the newest fifty first, the next ones loaded by htmx when "More" scrolls
into view, and an interest of that later page made a lead from there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leadflow.leads.models import Interest, Lead

from .conftest import Site

pytestmark = pytest.mark.browser


def test_scrolling_down_loads_the_next_interests_and_one_of_them_is_promoted(site: Site, alice, sales) -> None:
    now = timezone.now()
    made = [Interest.objects.create(name=f"Звонок {n}", phone=f"+7495111{n:04d}", reason="no person's name",
                                    team=sales, created_at=now - timedelta(minutes=n)) for n in range(53)]
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/interests/")

    rows = page.get_by_test_id("interest")
    expect(rows).to_have_count(50)
    expect(page.locator(f"#interest-{made[50].pk}")).to_have_count(0)

    page.get_by_test_id("more-interests").scroll_into_view_if_needed()

    expect(rows).to_have_count(53)  # the 51st to the 53rd, after the first fifty, once each
    expect(page.get_by_test_id("more-interests")).to_have_count(0)  # the last page: nothing more to load
    assert [int(pk.removeprefix("interest-")) for pk in rows.evaluate_all("rows => rows.map(r => r.id)")] == [
        interest.pk for interest in made[:53]]

    later = page.locator(f"#interest-{made[52].pk}")
    later.get_by_text("Make it a lead").first.click()
    later.get_by_label("The person's full name").fill("Петрова Мария")
    later.get_by_label("Phone").fill("8 912 345-67-89")
    later.get_by_role("button", name="Make it a lead").click()

    expect(page).to_have_url(f"{site.url}/leads/{Lead.objects.get().pk}/")
    lead = Lead.objects.get()
    assert (lead.full_name, lead.phone) == ("Петрова Мария", "+79123456789")
    assert Interest.objects.get(pk=made[52].pk).promoted_to == lead
    assert not Interest.objects.filter(pk__in=[i.pk for i in made[:52]], promoted_to__isnull=False).exists()
