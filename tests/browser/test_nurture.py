"""Segments and the card's marketing panel in a real browser (htmx): the live count, tags, the stop button."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leadflow.accounts.models import Role, User
from leadflow.leads.models import Lead
from leadflow.nurture import services
from leadflow.nurture.models import EnrollmentState, Sequence

from .conftest import Site

pytestmark = pytest.mark.browser


def test_the_marketer_sees_the_count_change_as_she_edits_the_conditions(site: Site, make_lead):
    User.objects.create_user(username="mary", password="pw", role=Role.MARKETER, first_name="Mary")
    warm = [make_lead(city="Kazan"), make_lead(city="Omsk")]
    make_lead(city="Kazan")
    Lead.objects.filter(pk__in=[lead.pk for lead in warm]).update(temperature="warm")
    me = site.new_page()
    page = me.page
    site.login(me, "mary")
    page.get_by_role("link", name="Segments and mail").click()
    page.wait_for_url("**/marketing/segments/")
    page.get_by_role("button", name="New segment").click()

    page.locator("select[name=c_temperature]").select_option("warm")
    expect(page.get_by_test_id("live-count")).to_have_text("2")
    page.locator("input[name=c_city]").fill("kazan")
    expect(page.get_by_test_id("live-count")).to_have_text("1")
    page.locator("input[name=name]").fill("Warm Kazan")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Segment saved.")).to_be_visible()
    assert me.errors == []


def test_the_owner_tags_a_lead_and_stops_its_sequence_on_the_card(site: Site, make_lead, alice):
    lead = make_lead(owner=alice)
    enrollment = services.enroll(sequence=Sequence.objects.create(name="Autumn news", trigger="manual"), lead=lead)
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")
    panel = page.get_by_test_id("marketing-panel")
    expect(panel.get_by_test_id("enrollments")).to_contain_text("Autumn news")
    panel.get_by_placeholder("Add a tag").fill("trade show")
    panel.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("tags")).to_contain_text("trade show")
    page.get_by_test_id("stop-enrollment").click()
    expect(page.get_by_text("Sequence stopped for this person.")).to_be_visible()
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.STOPPED and list(lead.tags.values_list("name", flat=True)) == [
        "trade show"]
    assert me.errors == []


def test_the_owner_tags_a_client_and_stops_its_sequence_on_the_client_card(site: Site, make_lead, alice):
    from leadflow.leads import services as leads
    from leadflow.warming.services import record_behaviour

    client = leads.convert_lead(lead=make_lead(owner=alice), by=alice)
    record_behaviour("purchase", client=client, properties={"product": "<img src=x onerror=alert(1)>"})
    enrollment = services.enroll(sequence=Sequence.objects.create(name="After the purchase", trigger="manual",
                                                                  audience="clients"), client=client)
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/clients/{client.pk}/")
    panel = page.get_by_test_id("marketing-panel")
    expect(panel.get_by_test_id("enrollments")).to_contain_text("After the purchase")
    expect(panel.get_by_test_id("behaviour-events")).to_contain_text("<img src=x onerror=alert(1)>")
    panel.get_by_placeholder("Add a tag").fill("wholesale")
    panel.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("tags")).to_contain_text("wholesale")
    page.get_by_test_id("stop-enrollment").click()
    expect(page.get_by_text("Sequence stopped for this person.")).to_be_visible()
    assert page.url == f"{site.url}/clients/{client.pk}/"
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.STOPPED
    assert list(client.tags.values_list("name", flat=True)) == ["wholesale"]
    assert me.errors == []
