"""The server-side events API and a lead's points over the API: who may, what is checked."""

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.warming.models import BehaviourEvent, EventKind

pytestmark = pytest.mark.django_db


def test_a_back_end_records_a_purchase_by_email_and_points_follow(api_as, head, make_lead, policy, make_rule):
    lead = make_lead(email="Ivan.Petrov@Example.ru")
    make_rule(EventKind.PURCHASE, 25)
    when = (timezone.now() - timedelta(hours=2)).isoformat()
    response = api_as(head).post("/api/events", {
        "kind": "purchase", "email": "ivan.petrov@example.ru", "occurred_at": when,
        "properties": {"order": "A-1", "amount": 1500}}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["lead_id"], body["kind"], body["temperature"]) == (lead.pk, "purchase", "warm")
    assert body["points"] == pytest.approx(24.86, abs=0.01)  # 25 × 0.5^((2/24) / 10): two hours of fading
    event = BehaviourEvent.objects.get()
    assert event.properties == {"order": "A-1", "amount": 1500}


def test_partner_key_records_a_webinar_attendance_by_phone(partner, make_lead):
    _, key = partner
    lead = make_lead(phone="+79161112233")
    response = HttpClient(headers={"X-Api-Key": key}).post(
        "/api/events", {"kind": "webinar_attended", "phone": "8 (916) 111-22-33"}, content_type="application/json")
    assert response.status_code == 201
    assert list(lead.behaviour_events.values_list("kind", flat=True)) == ["webinar_attended"]


def test_by_lead_id_and_by_visitor_id(api_as, admin_user, make_lead):
    lead = make_lead()
    api = api_as(admin_user)
    assert api.post("/api/events", {"kind": "trial_started", "lead_id": lead.pk},
                    content_type="application/json").status_code == 201
    anonymous = api.post("/api/events", {"kind": "video_view", "visitor_id": "v-000111"},
                         content_type="application/json")
    assert (anonymous.status_code, anonymous.json()["lead_id"]) == (201, None)
    assert BehaviourEvent.objects.get(kind="video_view").visitor_id == "v-000111"


@pytest.mark.parametrize("body, fields", [
    ({"kind": "bought", "lead_id": 1}, {"kind"}),
    ({"kind": "purchase"}, {"__all__"}),
    ({"kind": "purchase", "email": "a@example.ru", "phone": "+79161112233"}, {"__all__"}),
    ({"kind": "purchase", "email": "not an address"}, {"email"}),
    ({"kind": "purchase", "email": "nobody@example.ru"}, {"email"}),
    ({"kind": "purchase", "visitor_id": "bad id!"}, {"visitor_id"}),
    ({"kind": "page_view", "visitor_id": "v-000111", "url": "ftp://x"}, {"url"}),
    ({"kind": "page_view", "visitor_id": "v-000111", "duration_seconds": -1}, {"duration_seconds"}),
    ({"kind": "purchase", "visitor_id": "v-000111", "occurred_at": "yesterday"}, {"occurred_at"}),
    ({"kind": "purchase", "visitor_id": "v-000111", "occurred_at": "2999-01-01T00:00:00Z"}, {"occurred_at"}),
    ({"kind": "purchase", "visitor_id": "v-000111", "properties": {"a": "x" * 600}}, {"properties.a"}),
    ({"kind": "purchase", "visitor_id": "v-000111", "properties": "text"}, {"properties"}),
])
def test_bad_events_get_field_errors_and_nothing_is_stored(api_as, admin_user, body, fields):
    response = api_as(admin_user).post("/api/events", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert set(response.json()["error"]["fields"]) == fields
    assert BehaviourEvent.objects.count() == 0


def test_future_time_within_clock_skew_is_accepted(api_as, admin_user):
    soon = (timezone.now() + timedelta(minutes=2)).isoformat()
    response = api_as(admin_user).post("/api/events", {"kind": "purchase", "visitor_id": "v-000111",
                                                       "occurred_at": soon}, content_type="application/json")
    assert response.status_code == 201


def test_who_may_record(api_as, alice, carol, mary, make_lead, head):
    lead = make_lead(owner=alice)
    body = {"kind": "trial_started", "lead_id": lead.pk}
    assert HttpClient().post("/api/events", body, content_type="application/json").status_code == 401
    assert api_as(alice).post("/api/events", body, content_type="application/json").status_code == 403
    assert api_as(mary).post("/api/events", body, content_type="application/json").status_code == 201
    carols_head_is_not_head = api_as(carol).post("/api/events", body, content_type="application/json")
    assert carols_head_is_not_head.status_code == 403
    assert BehaviourEvent.objects.count() == 1


def test_a_head_cannot_reach_another_teams_lead(api_as, head, carol, make_lead, other_team):
    lead = make_lead(team=other_team)
    response = api_as(head).post("/api/events", {"kind": "purchase", "lead_id": lead.pk},
                                 content_type="application/json")
    assert response.status_code == 404
    assert BehaviourEvent.objects.count() == 0


def test_partners_cannot_name_leads_by_id(partner, make_lead):
    _, key = partner
    lead = make_lead()
    response = HttpClient(headers={"X-Api-Key": key}).post(
        "/api/events", {"kind": "purchase", "lead_id": lead.pk}, content_type="application/json")
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"lead_id"}


def test_lead_points_explained_over_the_api(api_as, alice, bob, make_lead, policy, make_rule):
    lead = make_lead(owner=alice)
    make_rule(EventKind.WEBINAR_ATTENDED, 10)
    from leadflow.warming.services import record_behaviour

    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead)
    response = api_as(alice).get(f"/api/leads/{lead.pk}/points")
    assert response.status_code == 200
    body = response.json()
    assert (round(body["points"]), body["temperature"], len(body["entries"])) == (10, "cold", 1)
    assert body["entries"][0]["explanation"].startswith("+10 webinar attended on ")
    assert api_as(bob).get(f"/api/leads/{lead.pk}/points").status_code == 404


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/events" in paths and "/api/leads/{lead_id}/points" in paths


def test_a_partner_learns_nothing_of_the_card_its_event_reached(partner, make_lead, make_rule, policy):
    """A partner may post events by a contact, but the answer names no lead, its points or temperature: otherwise
    any phone or e-mail would tell the partner whose card it is and how warm marketing thinks the person is."""
    _, key = partner
    make_rule(EventKind.PURCHASE, 25)
    lead = make_lead(phone="+79161112233", email="ivan@example.ru")
    api = HttpClient(headers={"X-Api-Key": key})
    for person in ({"phone": "+79161112233"}, {"email": "Ivan@example.ru"}):
        response = api.post("/api/events", {"kind": "purchase", **person}, content_type="application/json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert {name for name, value in body.items() if value is not None} == {"event_id", "kind"}, body
    assert lead.behaviour_events.count() == 2  # recorded all the same, points follow
    lead.refresh_from_db()
    assert lead.temperature == "hot"  # 50 points
