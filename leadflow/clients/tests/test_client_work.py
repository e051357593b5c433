"""Working a client like a lead (DOMAIN.md 11-13, 20): its first task at conversion, calls and notes on its card,
tasks added and completed there, in the owner's My tasks, counted for the client's owner; only who sees it acts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.accounts.models import Role, User
from leadflow.analytics import reports
from leadflow.analytics.filters import parse_filter
from leadflow.clients.models import Client
from leadflow.clients.tests.conftest import STRANGERS
from leadflow.core.worktime import WorkCalendar, next_working_day_start
from leadflow.events.models import OutboxEvent
from leadflow.leads import services
from leadflow.leads.models import Activity, Task

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
OFFICE = {"work_start": time(9, 0), "work_end": time(18, 0), "work_days": [0, 1, 2, 3, 4],
          "time_zone": "Europe/Moscow"}


def browser(user: User) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def converted(make_lead, owner: User, **kwargs) -> Client:
    return services.convert_lead(lead=make_lead(owner=owner), by=owner, **kwargs)


def page_text(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- the next working day


@pytest.mark.parametrize(("local_now", "expected"), [
    ("2026-11-27 17:00", "2026-11-30 09:00"),  # Friday evening: Monday morning
    ("2026-11-28 11:00", "2026-11-30 09:00"),  # Saturday
    ("2026-11-24 08:00", "2026-11-25 09:00"),  # Tuesday before opening: still the next day, not today
    ("2026-11-24 23:30", "2026-11-25 09:00"),
])
def test_next_working_day_start_in_the_calendars_zone(local_now, expected) -> None:
    calendar = WorkCalendar(zone="Europe/Moscow")
    moment = datetime.fromisoformat(local_now).replace(tzinfo=MOSCOW).astimezone(UTC)
    assert next_working_day_start(moment, calendar) == datetime.fromisoformat(expected).replace(tzinfo=MOSCOW)


def test_next_working_day_counts_the_day_in_the_teams_zone_not_utc() -> None:
    # 22:00 UTC on Thursday is already Friday 09:00 in Vladivostok: its next working day is Monday.
    calendar = WorkCalendar(zone="Asia/Vladivostok")
    moment = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    assert next_working_day_start(moment, calendar) == datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo(
        "Asia/Vladivostok"))


def test_a_round_the_clock_team_gets_the_same_time_next_day_not_midnight() -> None:
    calendar = WorkCalendar(zone="Europe/Moscow", start=time(0, 0), end=time(23, 59, 59),
                            days=frozenset(range(7)))
    moment = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert next_working_day_start(moment, calendar) == moment + timedelta(days=1)


# ---------------------------------------------------------------- conversion: the first task


def test_conversion_gives_the_client_a_first_call_for_its_owner_on_the_next_working_day(make_lead, sales, alice):
    for name, value in OFFICE.items():
        setattr(sales, name, value)
    sales.save()
    lead = make_lead(owner=alice)
    with time_machine.travel(datetime(2026, 11, 27, 14, 0, tzinfo=UTC), tick=False):  # Friday 17:00 in Moscow
        client = services.convert_lead(lead=lead, by=alice)

    task = Task.objects.get(client=client)
    assert task.assignee == alice and task.completed_at is None and task.kind == "call"
    assert task.due_at == datetime(2026, 11, 30, 9, 0, tzinfo=MOSCOW)  # Monday morning, the team's opening
    assert task.shown_title == f"Call the new client: {client.name}"
    # The lead's own tasks are closed as cancelled, not done: nobody did them.
    assert not Task.objects.open().filter(lead=lead).exists()
    assert OutboxEvent.objects.filter(name="task.created", payload__task_id=task.pk,
                                      payload__client_id=client.pk).exists()


def test_the_first_task_goes_to_the_new_owner_and_shows_in_their_tasks_with_a_link(make_lead, head, alice, bob):
    lead = make_lead(owner=alice)
    client = services.convert_lead(lead=lead, by=head, owner=bob)
    task = Task.objects.get(client=client)
    assert task.assignee == bob

    tasks_page = page_text(browser(bob).get("/tasks/"))
    assert task.shown_title in tasks_page
    assert f'href="/clients/{client.pk}/"' in tasks_page


def test_the_converter_may_set_the_first_task(make_lead, alice):
    lead = make_lead(owner=alice)
    response = browser(alice).post(f"/leads/{lead.pk}/convert/", {
        "first_task_title": "Send the contract", "first_task_due_at": "2026-12-02T11:30"})
    client = Client.objects.get(lead=lead)
    assert response.status_code == 302 and response["Location"] == f"/clients/{client.pk}/"
    task = Task.objects.get(client=client)
    assert task.title == "Send the contract"
    # Typed in the user's zone (Moscow by default), stored as that moment.
    assert task.due_at == datetime(2026, 12, 2, 11, 30, tzinfo=MOSCOW)


# ---------------------------------------------------------------- the client card


def test_the_owner_logs_a_call_on_the_client_card(make_lead, alice):
    client = converted(make_lead, alice)
    lead_contacted = client.lead.first_contacted_at
    as_alice = browser(alice)
    card = page_text(as_alice.get(f"/clients/{client.pk}/"))
    assert f'action="/clients/{client.pk}/activity/"' in card and f'action="/clients/{client.pk}/task/"' in card

    response = as_alice.post(f"/clients/{client.pk}/activity/", {
        "kind": "call", "subject": "Agreed on the delivery", "body": "<b>bold</b> call back on Monday",
        "duration_minutes": "7"})
    assert response.status_code == 302 and response["Location"] == f"/clients/{client.pk}/"
    activity = Activity.objects.get(client=client, kind="call")
    assert (activity.author, activity.subject, activity.duration_seconds, activity.lead_id) == (
        alice, "Agreed on the delivery", 420, None)
    card = page_text(as_alice.get(f"/clients/{client.pk}/"))
    assert "Agreed on the delivery" in card and "7 min" in card
    assert "&lt;b&gt;bold&lt;/b&gt;" in card and "<b>bold</b>" not in card  # text stays text
    client.lead.refresh_from_db()
    assert client.lead.first_contacted_at == lead_contacted  # the client's call is not the lead's speed to lead
    assert OutboxEvent.objects.filter(name="activity.logged", payload__client_id=client.pk).exists()


def test_the_owner_adds_a_task_for_themselves_by_default(make_lead, alice):
    client = converted(make_lead, alice)
    response = browser(alice).post(f"/clients/{client.pk}/task/", {
        "title": "Send the price list", "kind": "proposal", "due_at": "2026-12-03T15:00"})
    assert response.status_code == 302
    task = Task.objects.get(client=client, title="Send the price list")
    assert (task.assignee, task.kind, task.created_by, task.lead_id) == (alice, "proposal", alice, None)
    assert task.due_at == datetime(2026, 12, 3, 15, 0, tzinfo=MOSCOW)


def test_a_heads_task_goes_to_the_clients_owner_unless_given_to_someone(make_lead, head, alice, bob):
    client = converted(make_lead, alice)
    as_head = browser(head)
    card = page_text(as_head.get(f"/clients/{client.pk}/"))
    assert "The client&#x27;s owner" in card or "The client's owner" in card
    as_head.post(f"/clients/{client.pk}/task/", {"title": "Written proposal", "kind": "proposal",
                                                  "due_at": "2026-12-03T15:00", "assignee": ""})
    as_head.post(f"/clients/{client.pk}/task/", {"title": "Help with the contract", "kind": "other",
                                                  "due_at": "2026-12-03T15:00", "assignee": str(bob.pk)})
    assert Task.objects.get(title="Written proposal").assignee == alice
    assert Task.objects.get(title="Help with the contract").assignee == bob
    # Alice is told about the task the head gave her.
    assert alice.notifications.filter(kind="task.assigned", client=client).exists()


def test_a_refused_task_says_which_field_and_keeps_what_was_typed(make_lead, alice):
    client = converted(make_lead, alice)
    as_alice = browser(alice)
    before = Task.objects.count()
    response = as_alice.post(f"/clients/{client.pk}/task/", {"title": "Call about the invoice", "kind": "call",
                                                              "due_at": "tomorrow-ish"}, follow=True)
    text = page_text(response)
    assert Task.objects.count() == before
    assert "Due: Enter a valid date/time." in text
    assert 'value="Call about the invoice"' in text  # the form comes back as typed
    response = as_alice.post(f"/clients/{client.pk}/activity/", {"kind": "telegram"}, follow=True)
    assert "What: Select a valid choice." in page_text(response)
    assert not Activity.objects.filter(client=client).exists()


def test_completing_a_client_task_with_the_next_one_from_the_card(make_lead, alice):
    client = converted(make_lead, alice)
    first = Task.objects.get(client=client)
    as_alice = browser(alice)
    card = page_text(as_alice.get(f"/clients/{client.pk}/"))
    assert f'action="/tasks/{first.pk}/complete/"' in card
    assert f'name="next" value="/clients/{client.pk}/"' in card

    response = as_alice.post(f"/tasks/{first.pk}/complete/", {
        "result": "Talked, wants a meeting", "next_title": "Meeting at their office",
        "next_due_at": "2026-12-04T10:00", "next": f"/clients/{client.pk}/"})
    assert response["Location"] == f"/clients/{client.pk}/"
    first.refresh_from_db()
    assert first.completed_at is not None and first.result == "Talked, wants a meeting" and not first.is_cancelled
    following = Task.objects.get(previous=first)
    assert (following.client, following.assignee, following.title) == (client, alice, "Meeting at their office")
    assert following.due_at == datetime(2026, 12, 4, 10, 0, tzinfo=MOSCOW)
    card = page_text(as_alice.get(f"/clients/{client.pk}/"))
    assert "Meeting at their office" in card and "Talked, wants a meeting" in card


# ---------------------------------------------------------------- who may act


def client_state(client: Client) -> tuple:
    return (list(Task.objects.filter(client=client).values_list("pk", "title", "assignee_id", "completed_at")),
            list(Activity.objects.filter(client=client).values_list("pk", "kind")))


@pytest.mark.parametrize("who", STRANGERS)
def test_others_get_404_and_nothing_changes(make_lead, alice, stranger, who):
    client = converted(make_lead, alice)
    task = Task.objects.get(client=client)
    someone = stranger(who)
    outsider = browser(someone)
    before = client_state(client)
    assert outsider.post(f"/clients/{client.pk}/activity/", {"kind": "call", "subject": "x"}).status_code == 404
    assert outsider.post(f"/clients/{client.pk}/task/", {"title": "x", "kind": "call",
                                                         "due_at": "2026-12-03T15:00"}).status_code == 404
    assert outsider.post(f"/tasks/{task.pk}/complete/", {"result": "done"}).status_code == 404
    assert outsider.get(f"/clients/{client.pk}/activity/").status_code in (404, 405)
    assert client_state(client) == before


@pytest.mark.parametrize("who", ["head", "admin_user"])
def test_the_teams_head_and_an_admin_work_the_client(make_lead, alice, request, who):
    client = converted(make_lead, alice)
    user = request.getfixturevalue(who)
    as_them = browser(user)
    as_them.post(f"/clients/{client.pk}/activity/", {"kind": "note", "subject": f"Checked by {who}"})
    assert Activity.objects.filter(client=client, author=user, subject=f"Checked by {who}").exists()
    first = Task.objects.get(client=client)
    if who == "head":  # a head completes the team's client tasks (My tasks and the card use the same view)
        as_them.post(f"/tasks/{first.pk}/complete/", {"result": "Called for Alice"})
        first.refresh_from_db()
        assert first.result == "Called for Alice"


def test_services_refuse_a_task_or_activity_on_no_card_or_two(make_lead, alice):
    from leadflow.core.errors import InvalidInput

    client = converted(make_lead, alice)
    with pytest.raises(InvalidInput):
        services.log_activity(kind="call", by=alice)
    with pytest.raises(InvalidInput):
        services.create_task(lead=client.lead, client=client, assignee=alice, title="x", due_at=timezone.now(),
                             by=alice)
    with pytest.raises(services.Forbidden):
        services.require_manage_client(client, User.objects.create_user(username="zed", password="pw",
                                                                        role=Role.MANAGER))


# ---------------------------------------------------------------- analytics (DOMAIN.md 20)


def test_managers_report_counts_client_tasks_for_the_clients_owner_and_not_the_cancelled_lead_tasks(
        make_lead, head, alice, bob):
    start = timezone.now()
    lead = make_lead(owner=alice)  # its first task (for alice) is cancelled by the conversion
    client = services.convert_lead(lead=lead, by=head, owner=bob)
    first = Task.objects.get(client=client)
    Task.objects.filter(pk=first.pk).update(due_at=start - timedelta(hours=1))  # overdue now

    def figures(now: datetime) -> tuple[dict, dict]:
        params = {"start": (start - timedelta(days=1)).date().isoformat(),
                  "end": (now + timedelta(days=1)).date().isoformat()}
        report = reports.build("managers", parse_filter(params, head, now=now), head)
        return ({r["manager"]: r for r in report.table("leads").rows},
                {r["manager"]: r for r in report.table("clients").rows})

    leads, clients = figures(timezone.now())
    assert (leads["Alice"]["tasks_done"], leads["Alice"]["tasks_overdue"]) == (0, 0)
    assert (clients["Bob"]["tasks_done"], clients["Bob"]["tasks_overdue"]) == (0, 1)
    assert (leads["Bob"]["tasks_done"], leads["Bob"]["tasks_overdue"]) == (0, 0)

    browser(bob).post(f"/tasks/{first.pk}/complete/", {"result": "Called", "next_title": "Call again",
                                                       "next_due_at": "2030-01-10T10:00"})
    browser(bob).post(f"/clients/{client.pk}/activity/", {"kind": "call", "subject": "Called"})
    leads, clients = figures(timezone.now())
    assert (clients["Bob"]["tasks_done"], clients["Bob"]["tasks_overdue"], clients["Bob"]["activities"]) == (1, 0, 1)
    assert (leads["Bob"]["tasks_done"], leads["Bob"]["activities"]) == (0, 0)


def test_the_api_conversion_takes_the_first_task_or_gives_the_default(make_lead, alice, api_as):
    given, default = make_lead(owner=alice), make_lead(owner=alice)
    response = api_as(alice).post(f"/api/leads/{given.pk}/convert", {
        "first_task_title": "Send the contract", "first_task_due_at": "2026-12-02T08:30:00Z"},
        content_type="application/json")
    assert response.status_code == 201, response.content
    task = Task.objects.get(client_id=response.json()["client_id"])
    assert (task.title, task.due_at, task.assignee) == ("Send the contract", datetime(2026, 12, 2, 8, 30, tzinfo=UTC),
                                                        alice)
    response = api_as(alice).post(f"/api/leads/{default.pk}/convert", {}, content_type="application/json")
    task = Task.objects.get(client_id=response.json()["client_id"])
    assert task.title.startswith("Call the new client") and task.due_at > timezone.now()
