"""Segments: counts checked by hand over a small population, validation naming the field, the live count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow.core.errors import InvalidInput
from leadflow.leads import services as leads
from leadflow.leads.models import Lead, LostReason
from leadflow.nurture import services
from leadflow.nurture.conditions import members, validate_conditions
from leadflow.nurture.models import Segment
from leadflow.privacy.models import Purpose
from leadflow.privacy.services import record_consent
from leadflow.warming.services import record_behaviour

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_lead, alice):  # type: ignore[no-untyped-def]
    """L1 warm Moscow vip, 3 views, consent; L2 hot 'moscow' vip+b2b, cart, consent withdrawn; L3 cold Kazan
    refused; L4 warm, created 40 days ago, b2b, 2 old views; client C1 (from L5, cold) tagged vip."""
    l1 = make_lead(city="Moscow", email="l1@a.example")
    l2 = make_lead(city="moscow", email="l2@b.example")
    l3 = make_lead(city="Kazan", owner=alice)
    l4 = make_lead()
    l5 = make_lead(owner=alice)
    Lead.objects.filter(pk__in=[l1.pk, l4.pk]).update(temperature="warm")
    Lead.objects.filter(pk=l2.pk).update(temperature="hot")
    Lead.objects.filter(pk=l4.pk).update(created_at=timezone.now() - timedelta(days=40))
    leads.refuse_lead(lead=l3, reason=LostReason.objects.first(), by=alice)
    client = leads.convert_lead(lead=l5, by=alice)
    services.add_tag(name="vip", lead=l1)
    services.add_tag(name="vip", lead=l2)
    services.add_tag(name="b2b", lead=l2)
    services.add_tag(name="b2b", lead=l4)
    services.add_tag(name="vip", client=client)
    for _n in range(3):
        record_behaviour("page_view", lead=l1, duration_seconds=60)
    for _n in range(2):
        record_behaviour("page_view", lead=l4, occurred_at=timezone.now() - timedelta(days=10))
    record_behaviour("add_to_cart", lead=l2)
    record_consent(purpose=Purpose.MARKETING, lead=l1, email=l1.email)
    record_consent(purpose=Purpose.MARKETING, lead=l2, email=l2.email, at=timezone.now() - timedelta(days=1))
    record_consent(purpose=Purpose.MARKETING, given=False, email="L2@b.example", channel="unsubscribe")
    return {"l1": l1, "l2": l2, "l3": l3, "l4": l4, "l5": l5, "client": client}


def names(audience: str, conditions: dict, people: dict) -> set[str]:  # type: ignore[type-arg]
    by_pk = {person.pk: key for key, person in people.items() if key != "client"}
    found = members(audience, validate_conditions(audience, conditions))
    if audience == "clients":
        return {"client" for c in found if c.pk == people["client"].pk}
    return {by_pk[lead.pk] for lead in found}


@pytest.mark.parametrize(("conditions", "expected"), [
    ({}, {"l1", "l2", "l3", "l4", "l5"}),
    ({"temperature": ["warm", "hot"]}, {"l1", "l2", "l4"}),
    ({"city": ["Moscow"]}, {"l1", "l2"}),
    ({"tags": {"any": ["vip"]}}, {"l1", "l2"}),
    ({"tags": {"all": ["vip", "b2b"]}}, {"l2"}),
    ({"tags": {"any": ["b2b"], "all": ["vip"]}}, {"l2"}),
    ({"events": [{"kind": "page_view", "min_count": 3, "days": 7}]}, {"l1"}),
    ({"events": [{"kind": "page_view", "min_count": 2, "days": 30}]}, {"l1", "l4"}),
    ({"events": [{"kind": "page_view", "min_count": 4, "days": 30}]}, set()),
    ({"events": [{"kind": "add_to_cart", "none": True}]}, {"l1", "l3", "l4", "l5"}),
    ({"browsing": {"minutes": 3, "days": 7}}, {"l1"}),
    ({"marketing_consent": True}, {"l1"}),
    ({"marketing_consent": False}, {"l2", "l3", "l4", "l5"}),
    ({"created": {"last_days": 30}}, {"l1", "l2", "l3", "l5"}),
    ({"state": ["refused", "converted"]}, {"l3", "l5"}),
    ({"owner": ["none"], "state": ["open"]}, {"l1", "l2", "l4"}),
    ({"temperature": ["warm", "hot"], "tags": {"any": ["vip"]}, "city": ["MOSCOW"]}, {"l1", "l2"}),
])
def test_lead_segment_members_by_hand(people, conditions, expected):
    assert names("leads", conditions, people) == expected


def test_client_segments_filter_clients(people):
    assert names("clients", {"tags": {"any": ["vip"]}}, people) == {"client"}
    assert names("clients", {"tags": {"any": ["b2b"]}}, people) == set()


def test_a_count_is_one_query(people, django_assert_num_queries):
    conditions = validate_conditions("leads", {"temperature": ["warm"], "tags": {"all": ["vip", "b2b"]},
                                               "events": [{"kind": "page_view", "min_count": 2}],
                                               "marketing_consent": True})
    with django_assert_num_queries(1):
        members("leads", conditions).count()


@pytest.mark.parametrize(("audience", "conditions", "field", "words"), [
    ("leads", {"colour": ["red"]}, "colour", "Not a field"),
    ("clients", {"state": ["open"]}, "state", "Not a field"),
    ("leads", {"temperature": ["boiling"]}, "temperature", "Unknown value: boiling"),
    ("leads", {"tags": {"any": ["nonexistent"]}}, "tags", "No such tag"),
    ("leads", {"events": [{"kind": "teleport"}]}, "events", "Unknown event"),
    ("leads", {"events": [{"kind": "page_view", "days": "soon"}]}, "events", "whole number"),
    ("leads", {"created": {"from": "yesterday"}}, "created", "not a date"),
    ("leads", {"created": {"to": "2026-02-30"}}, "created", "not a date"),  # well formed, no such day
    ("leads", {"created": {"from": "2026-03-10", "to": "2026-03-01"}}, "created", "is after to"),
    ("leads", {"marketing_consent": "yes"}, "marketing_consent", "true or false"),
])
def test_bad_conditions_name_the_field_and_the_problem(db, audience, conditions, field, words):
    with pytest.raises(InvalidInput) as error:
        validate_conditions(audience, conditions)
    assert list(error.value.fields) == [field] and words in error.value.fields[field][0]


def test_the_segment_page_counts_live_as_conditions_change(people, mary, as_user):
    page = as_user(mary)
    form = {"name": "Warm Moscow", "audience": "leads", "c_temperature": ["warm", "hot"], "c_city": "Moscow"}

    live = page.post("/marketing/segments/new/", form, headers={"HX-Request": "true"})
    assert live.status_code == 200 and '<strong data-testid="live-count">2</strong>' in live.content.decode()
    assert Segment.objects.count() == 0  # counting saves nothing

    saved = page.post("/marketing/segments/new/", form)
    segment = Segment.objects.get()
    assert saved.status_code == 302 and segment.conditions == {"temperature": ["warm", "hot"], "city": ["Moscow"]}
    listing = page.get("/marketing/segments/").content.decode()
    assert "Warm Moscow" in listing and '<td data-testid="segment-count">2</td>' in listing
    again = page.get(f"/marketing/segments/{segment.pk}/").content.decode()
    assert '<strong data-testid="live-count">2</strong>' in again


def test_a_bad_condition_on_the_page_is_an_error_not_a_500(people, mary, as_user):
    page = as_user(mary)
    response = page.post("/marketing/segments/new/", {"name": "X", "audience": "clients", "c_state": ["open"]})
    assert response.status_code == 200 and "Not a field" in response.content.decode()
    assert Segment.objects.count() == 0


@pytest.mark.parametrize("who", ["alice", "head"])
def test_sales_people_cannot_manage_segments(people, request, as_user, who):
    page = as_user(request.getfixturevalue(who))
    for url in ("/marketing/segments/", "/marketing/segments/new/", "/marketing/templates/",
                "/marketing/sequences/"):
        assert page.get(url).status_code == 404
    assert page.post("/marketing/segments/new/", {"name": "X", "audience": "leads"}).status_code == 404
    assert Segment.objects.count() == 0


def test_an_admin_manages_segments(people, admin_user, as_user):
    assert as_user(admin_user).get("/marketing/segments/").status_code == 200
