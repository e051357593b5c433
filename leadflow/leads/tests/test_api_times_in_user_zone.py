"""A time sent to the lead API without a zone is the sender's local time, as on the card's forms.

Alice works from Yekaterinburg (UTC+5) while the site runs on Moscow time: "due at 15:00" from her means 15:00 in
Yekaterinburg, 10:00 UTC, not 15:00 Moscow or UTC. A time with an offset is kept as sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadflow.leads.models import Activity, Task

pytestmark = pytest.mark.django_db

FIFTEEN_IN_YEKATERINBURG = datetime(2030, 1, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def alice_in_yekaterinburg(alice):  # type: ignore[no-untyped-def]
    alice.time_zone = "Asia/Yekaterinburg"
    alice.save(update_fields=["time_zone"])
    return alice


def test_a_new_task_without_a_zone_is_due_in_the_senders_time(alice_in_yekaterinburg, make_lead, api_as):
    lead = make_lead(owner=alice_in_yekaterinburg)
    response = api_as(alice_in_yekaterinburg).post(
        "/api/tasks", {"lead_id": lead.pk, "title": "Call back", "due_at": "2030-01-10T15:00:00"},
        content_type="application/json")
    assert response.status_code == 201, response.content
    assert Task.objects.get(pk=response.json()["id"]).due_at == FIFTEEN_IN_YEKATERINBURG


def test_a_time_with_an_offset_is_kept_as_sent(alice_in_yekaterinburg, make_lead, api_as):
    lead = make_lead(owner=alice_in_yekaterinburg)
    response = api_as(alice_in_yekaterinburg).post(
        "/api/tasks", {"lead_id": lead.pk, "title": "Call back", "due_at": "2030-01-10T15:00:00+03:00"},
        content_type="application/json")
    assert response.status_code == 201, response.content
    assert Task.objects.get(pk=response.json()["id"]).due_at == datetime(2030, 1, 10, 12, 0, tzinfo=UTC)


def test_the_next_task_on_completion_and_an_activitys_time_are_the_senders(alice_in_yekaterinburg, make_lead,
                                                                            api_as):
    lead = make_lead(owner=alice_in_yekaterinburg)
    api = api_as(alice_in_yekaterinburg)
    first = Task.objects.get(lead=lead, completed_at__isnull=True)
    response = api.post(f"/api/tasks/{first.pk}/complete", {
        "result": "Asked to call after the holidays", "next_title": "Call again", "next_due_at": "2030-01-10T15:00:00"},
        content_type="application/json")
    assert response.status_code == 200, response.content
    assert Task.objects.get(pk=response.json()["next"]["id"]).due_at == FIFTEEN_IN_YEKATERINBURG

    response = api.post(f"/api/leads/{lead.pk}/activities", {
        "kind": "call", "subject": "Talked", "occurred_at": "2030-01-10T15:00:00"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Activity.objects.get(pk=response.json()["id"]).occurred_at == FIFTEEN_IN_YEKATERINBURG


def test_the_clients_first_task_on_conversion_is_due_in_the_senders_time(alice_in_yekaterinburg, make_lead, api_as):
    lead = make_lead(owner=alice_in_yekaterinburg)
    response = api_as(alice_in_yekaterinburg).post(f"/api/leads/{lead.pk}/convert", {
        "first_task_title": "Send the contract", "first_task_due_at": "2030-01-10T15:00:00"},
        content_type="application/json")
    assert response.status_code == 201, response.content
    task = Task.objects.get(client_id=response.json()["client_id"], title="Send the contract")
    assert task.due_at == FIFTEEN_IN_YEKATERINBURG
