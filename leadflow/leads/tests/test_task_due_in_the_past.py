"""A new task is never due in the past: "last Thursday" typed for "next Thursday" would be overdue at birth and
count in the overdue figures. The due time is read in the sender's zone; a minute of clock skew and a date
without a time are accepted; tasks already overdue stay as they are and can still be edited and completed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client as WebClient

from leadflow.leads import services
from leadflow.leads.models import LeadState, Task

pytestmark = pytest.mark.django_db

# Tuesday 24 November 2026, 15:00 in Moscow.
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def moscow(time_machine, alice, head):  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)
    for user in (alice, head):
        user.time_zone = "Europe/Moscow"
        user.save(update_fields=["time_zone"])
    return alice


def _web(user, language: str = "en") -> WebClient:  # type: ignore[no-untyped-def]
    user.language = language
    user.save(update_fields=["language"])
    web = WebClient()
    web.force_login(user)
    return web


def _open_tasks(lead) -> list[Task]:  # type: ignore[no-untyped-def]
    return list(Task.objects.filter(lead=lead, completed_at__isnull=True).order_by("pk"))


def test_the_card_refuses_last_thursday_and_keeps_what_was_typed(moscow, make_lead):
    lead = make_lead(owner=moscow)
    before = _open_tasks(lead)

    page = _web(moscow).post(f"/leads/{lead.pk}/task/", {
        "title": "Send the contract", "due_at": "2026-11-19T10:00", "kind": "email"}, follow=True)

    text = page.content.decode()
    assert "Due: 11/19/2026 10 a.m. has already passed; a new task must be due from now on." in text
    assert 'value="Send the contract"' in text  # the form comes back with the title typed
    assert _open_tasks(lead) == before


def test_the_refusal_is_in_russian_for_a_russian_user(moscow, make_lead):
    lead = make_lead(owner=moscow)
    page = _web(moscow, "ru").post(f"/leads/{lead.pk}/task/", {
        "title": "Отправить договор", "due_at": "2026-11-19T10:00", "kind": "email"}, follow=True)
    assert "Срок: 19.11.2026 10:00 уже прошёл; новая задача может быть назначена только на будущее время." \
        in page.content.decode()


def test_today_six_pm_in_moscow_is_accepted_from_a_moscow_user_and_refused_after_it(moscow, make_lead, api_as,
                                                                                     time_machine):
    lead = make_lead(owner=moscow)
    api = api_as(moscow)
    response = api.post("/api/tasks", {"lead_id": lead.pk, "title": "Call back", "due_at": "2026-11-24T18:00"},
                        content_type="application/json")
    assert response.status_code == 201, response.content
    assert Task.objects.get(pk=response.json()["id"]).due_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

    page = _web(moscow).post(f"/leads/{lead.pk}/task/", {"title": "Call again", "due_at": "2026-11-24T18:00",
                                                         "kind": "call"}, follow=True)
    assert "Task added." in page.content.decode()

    # At 19:00 in Moscow, 18:00 today has passed there, though 18:00 UTC is still ahead.
    time_machine.move_to(datetime(2026, 11, 24, 16, 0, tzinfo=UTC), tick=False)
    count = Task.objects.filter(lead=lead).count()
    response = api.post("/api/tasks", {"lead_id": lead.pk, "title": "Call back", "due_at": "2026-11-24T18:00"},
                        content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["due_at"] == [
        "Due: 11/24/2026 6 p.m. has already passed; a new task must be due from now on."]
    assert Task.objects.filter(lead=lead).count() == count


def test_a_minute_of_clock_skew_is_not_the_past(moscow, make_lead, api_as):
    lead = make_lead(owner=moscow)
    half_a_minute_ago = (NOW - timedelta(seconds=30)).isoformat()
    response = api_as(moscow).post("/api/tasks", {"lead_id": lead.pk, "title": "Call now", "due_at": half_a_minute_ago},
                                   content_type="application/json")
    assert response.status_code == 201, response.content

    two_minutes_ago = (NOW - timedelta(minutes=2)).isoformat()
    response = api_as(moscow).post("/api/tasks", {"lead_id": lead.pk, "title": "Call now", "due_at": two_minutes_ago},
                                   content_type="application/json")
    assert response.status_code == 422


def test_todays_date_without_a_time_means_today(moscow, sales, make_lead, api_as, time_machine):
    """The team closes at 18:00 Moscow: a task for "today" is due then; after closing, by the day's end."""
    from datetime import time

    sales.work_start, sales.work_end, sales.time_zone = time(9, 0), time(18, 0), "Europe/Moscow"
    sales.save()
    lead = make_lead(owner=moscow)
    api = api_as(moscow)
    response = api.post("/api/tasks", {"lead_id": lead.pk, "title": "Call today", "due_at": "2026-11-24"},
                        content_type="application/json")
    assert response.status_code == 201, response.content
    assert Task.objects.get(pk=response.json()["id"]).due_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

    time_machine.move_to(datetime(2026, 11, 24, 17, 0, tzinfo=UTC), tick=False)  # 20:00 in Moscow
    response = api.post("/api/tasks", {"lead_id": lead.pk, "title": "Call today", "due_at": "2026-11-24"},
                        content_type="application/json")
    assert response.status_code == 201, response.content
    assert Task.objects.get(pk=response.json()["id"]).due_at == datetime(2026, 11, 24, 20, 59, tzinfo=UTC)

    response = api.post("/api/tasks", {"lead_id": lead.pk, "title": "Call", "due_at": "2026-11-23"},
                        content_type="application/json")
    assert response.status_code == 422  # yesterday's date is the past


def test_completing_with_a_next_task_in_the_past_completes_nothing(moscow, make_lead, api_as):
    lead = make_lead(owner=moscow)
    task = _open_tasks(lead)[0]
    response = api_as(moscow).post(f"/api/tasks/{task.pk}/complete", {
        "result": "Asked to call on Thursday", "next_title": "Call", "next_due_at": "2026-11-19T11:00"},
        content_type="application/json")
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["next_due_at"]
    assert "Next task due: 11/19/2026 11 a.m. has already passed" in response.json()["error"]["fields"][
        "next_due_at"][0]
    task.refresh_from_db()
    assert task.completed_at is None and task.result == ""


def test_completing_from_my_tasks_keeps_the_result_typed(moscow, make_lead):
    lead = make_lead(owner=moscow)
    task = _open_tasks(lead)[0]
    web = _web(moscow)
    page = web.post(f"/tasks/{task.pk}/complete/", {
        "result": "Agreed a demo", "next_title": "Demo", "next_due_at": "2026-11-19T11:00"}, follow=True)
    text = page.content.decode()
    assert "Next task due: 11/19/2026 11 a.m. has already passed" in text
    assert "Agreed a demo</textarea>" in text and 'value="Demo"' in text
    task.refresh_from_db()
    assert task.completed_at is None


def test_a_client_task_and_a_first_task_on_conversion_are_checked_too(moscow, make_lead, api_as):
    lead = make_lead(owner=moscow)
    api = api_as(moscow)
    response = api.post(f"/api/leads/{lead.pk}/convert", {"first_task_title": "Send the invoice",
                                                          "first_task_due_at": "2026-11-20T10:00"},
                        content_type="application/json")
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["first_task_due_at"]
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN

    client = services.convert_lead(lead=lead, by=moscow)
    count = client.tasks.count()
    response = api.post(f"/api/clients/{client.pk}/tasks", {"title": "Call", "due_at": "2026-11-20T10:00"},
                        content_type="application/json")
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["due_at"]
    page = _web(moscow).post(f"/clients/{client.pk}/task/", {"title": "Call about the invoice", "kind": "call",
                                                             "due_at": "2026-11-20T10:00"}, follow=True)
    text = page.content.decode()
    assert "Due: 11/20/2026 10 a.m. has already passed" in text and 'value="Call about the invoice"' in text
    assert client.tasks.count() == count


def test_a_deferral_to_a_past_day_is_refused(moscow, make_lead, api_as):
    lead = make_lead(owner=moscow)
    response = api_as(moscow).post(f"/api/leads/{lead.pk}/defer", {"until": "2026-11-19"},
                                   content_type="application/json")
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["until"]
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_an_overdue_task_stays_editable_and_completes_with_a_next_one(moscow, make_lead, admin_user, api_as):
    lead = make_lead(owner=moscow)
    task = _open_tasks(lead)[0]
    Task.objects.filter(pk=task.pk).update(due_at=NOW - timedelta(days=3))  # set last week, overdue since
    web = WebClient()
    web.force_login(admin_user)
    form = web.get(f"/admin/leads/task/{task.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"title": "Call, finally", "due_at_0": "2026-11-21", "due_at_1": "10:00:00", "lead": lead.pk,
                 "assignee": moscow.pk, "created_at_0": "2026-11-21", "created_at_1": "09:00:00"})
    data = {key: value for key, value in data.items() if key not in ("due_at", "created_at", "completed_at",
                                                                      "reminded_at", "previous", "client")}
    response = web.post(f"/admin/leads/task/{task.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].errors if response.context else response
    task.refresh_from_db()
    assert task.title == "Call, finally" and task.completed_at is None

    response = api_as(moscow).post(f"/api/tasks/{task.pk}/complete", {
        "result": "Called", "next_title": "Call again", "next_due_at": "2026-11-26T11:00"},
        content_type="application/json")
    assert response.status_code == 200, response.content


def test_a_later_date_without_a_time_means_by_the_end_of_that_working_day(moscow, sales, make_lead, api_as):
    """"Call on Thursday" sent as a date is due when Thursday's working day closes, not at the midnight that
    starts it (overdue all Thursday, reminded at 23:00 on Wednesday)."""
    from datetime import time

    sales.work_start, sales.work_end, sales.time_zone = time(9, 0), time(18, 0), "Europe/Moscow"
    sales.save()
    lead = make_lead(owner=moscow)
    response = api_as(moscow).post("/api/tasks", {"lead_id": lead.pk, "title": "Call", "due_at": "2026-11-26"},
                                   content_type="application/json")
    assert response.status_code == 201, response.content
    assert Task.objects.get(pk=response.json()["id"]).due_at == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
