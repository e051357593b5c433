"""Faults that only show at particular moments of the clock, each pinned to its moment with time-machine.

The whole suite can also be run at any moment: LEADFLOW_TEST_CLOCK=... (scripts/clock-sweep.sh)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from leadflow.leads import services
from leadflow.leads.models import Lead, Task
from leadflow.nurture.conditions import members, validate_conditions
from leadflow.nurture.models import Holiday
from leadflow.nurture.services import next_holiday
from leadflow.worker import run_periodic

pytestmark = pytest.mark.django_db


def test_a_token_user_defers_to_their_own_tomorrow_after_moscow_midnight(time_machine, api_as, alice, make_lead):
    """22:30 on Monday in London is 01:30 on Tuesday in Moscow (the site's zone): by token, as on the page, "the
    future" is the user's tomorrow, not the site's."""
    time_machine.move_to(datetime(2026, 11, 23, 22, 30, tzinfo=UTC))
    alice.time_zone = "Europe/London"
    alice.save()
    lead = make_lead(owner=alice)
    client = api_as(alice)

    today = client.post(f"/api/leads/{lead.pk}/defer", {"until": "2026-11-23"}, content_type="application/json")
    assert today.status_code == 422 and list(today.json()["error"]["fields"]) == ["until"]
    tomorrow = client.post(f"/api/leads/{lead.pk}/defer", {"until": "2026-11-24"}, content_type="application/json")
    assert tomorrow.status_code == 200, tomorrow.content
    assert tomorrow.json()["state"] == "deferred"


@pytest.mark.parametrize(("zone", "eve", "midnight"), [
    ("Europe/Moscow", datetime(2026, 11, 23, 20, 59, tzinfo=UTC), datetime(2026, 11, 23, 21, 0, 30, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 11, 24, 4, 59, tzinfo=UTC), datetime(2026, 11, 24, 5, 0, 30, tzinfo=UTC)),
])
def test_the_worker_returns_a_deferred_lead_when_its_date_comes_in_the_team_zone(
        time_machine, sales, alice, make_lead, zone, eve, midnight):
    """A lead deferred until Tuesday is back at the team's midnight: not at UTC's (03:00 in Moscow, while its
    "call again" task is already due; Monday 19:00 in New York, a day early)."""
    sales.time_zone = zone
    sales.save()
    time_machine.move_to(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    lead = make_lead(owner=alice)
    services.defer_lead(lead=lead, until=date(2026, 11, 24), by=alice)

    time_machine.move_to(eve)  # 23:59 on Monday in the team's zone
    assert run_periodic()["returned"] == 0
    assert Lead.objects.get(pk=lead.pk).state == "deferred"
    time_machine.move_to(midnight)  # 00:00:30 on Tuesday there
    assert run_periodic()["returned"] == 1
    assert Lead.objects.get(pk=lead.pk).state == "open"


def test_a_segment_created_from_a_date_starts_at_the_sites_midnight_for_the_worker_and_every_page(
        time_machine, make_lead):
    """A lead that came at 00:30 on 1 November in Moscow (still 31 October in UTC) is in the segment "created
    from 1 November" both in the preview a Moscow or London user sees and when the worker enrolls it."""
    time_machine.move_to(datetime(2026, 10, 31, 21, 30, tzinfo=UTC))
    november = make_lead()
    time_machine.move_to(datetime(2026, 10, 31, 20, 30, tzinfo=UTC))  # 23:30 on 31 October in Moscow
    make_lead()
    conditions = validate_conditions("leads", {"created": {"from": "2026-11-01"}})

    assert list(members("leads", conditions)) == [november]  # the worker: no zone active
    for zone in ("Europe/Moscow", "Europe/London"):
        with timezone.override(ZoneInfo(zone)):
            assert list(members("leads", conditions)) == [november], zone


def test_tasks_due_today_by_token_are_the_users_day_in_their_teams_zone(time_machine, api_as, sales, alice, make_lead):
    """Alice has no zone of her own and works in a London team: at 22:30 on Monday in London (01:30 on Tuesday in
    Moscow, the site's zone) a task due at 00:30 London time is tomorrow's, as on her tasks page."""
    sales.time_zone = "Europe/London"
    sales.save()
    time_machine.move_to(datetime(2026, 11, 23, 22, 30, tzinfo=UTC))
    lead = make_lead(owner=alice)
    Task.objects.filter(lead=lead).delete()
    tonight = services.create_task(lead=lead, assignee=alice, title="Call", by=alice,
                                   due_at=datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    tuesday = services.create_task(lead=lead, assignee=alice, title="Call again", by=alice,
                                   due_at=datetime(2026, 11, 24, 0, 30, tzinfo=UTC))
    client = api_as(alice)

    assert [t["id"] for t in client.get("/api/tasks", {"scope": "today"}).json()] == [tonight.pk]
    assert [t["id"] for t in client.get("/api/tasks", {"scope": "upcoming"}).json()] == [tuesday.pk]


def test_a_reports_default_period_is_the_users_last_30_days_after_their_midnight(time_machine, api_as, admin_user,
                                                                                 sales):
    """00:30 on 1 September in Moscow is still 31 August in UTC: the report's default 30 days end on the user's
    1 September (with the lead that came ten minutes ago) and begin on 3 August at the user's midnight."""
    from leadflow.analytics.tests.builders import make

    time_machine.move_to(datetime(2026, 8, 31, 21, 30, tzinfo=UTC))
    make(created=datetime(2026, 8, 31, 21, 20, tzinfo=UTC), team=sales, name="September")  # 00:20 1 Sep, Moscow
    make(created=datetime(2026, 8, 2, 21, 10, tzinfo=UTC), team=sales, name="First day")  # 00:10 3 Aug
    make(created=datetime(2026, 8, 2, 20, 50, tzinfo=UTC), team=sales, name="Too old")  # 23:50 2 Aug

    body = api_as(admin_user).get("/api/analytics/funnel").json()
    assert (body["filter"]["start"], body["filter"]["end"]) == ("2026-08-03", "2026-09-01")
    leads = next(row["count"] for row in body["tables"][0]["rows"] if row["step"] == "Leads")
    assert leads == 2


def test_holiday_greetings_at_the_turn_of_the_year_and_on_29_february():
    """Greetings go out at 10:00 in the site's zone: at 01:30 on 1 January in Moscow (31 December in UTC) the next
    is this morning's New Year, and 29 February is greeted in a leap year only."""
    Holiday.objects.all().delete()
    new_year = Holiday.objects.create(name="New Year", month=1, day=1)
    leap = Holiday.objects.create(name="Leap day", month=2, day=29)
    msk = ZoneInfo("Europe/Moscow")

    assert next_holiday(datetime(2026, 12, 31, 22, 30, tzinfo=UTC)) == (new_year, datetime(2027, 1, 1, 10, tzinfo=msk))
    assert next_holiday(datetime(2028, 2, 28, 21, 0, tzinfo=UTC)) == (leap, datetime(2028, 2, 29, 10, tzinfo=msk))
    assert next_holiday(datetime(2028, 2, 29, 7, 1, tzinfo=UTC)) == (new_year, datetime(2029, 1, 1, 10, tzinfo=msk))


def test_a_lead_just_after_the_working_week_ends_waits_in_the_pool_until_monday_morning(time_machine, sales, alice,
                                                                                         make_lead):
    """A team working 9:00-18:00 on weekdays: at 18:00:30 on Friday nobody is at work, so the lead goes to the
    pool, and its first call is due 15 working minutes into Monday, not 15 minutes after the office closed."""
    from datetime import time

    from leadflow.accounts.models import RoutingScheme
    from leadflow.leads.models import RoutingRule, RoutingStrategy

    sales.work_start, sales.work_end, sales.work_days, sales.sla_minutes = time(9), time(18), [0, 1, 2, 3, 4], 15
    sales.routing_scheme = RoutingScheme.RULES
    sales.save()
    RoutingRule.objects.create(team=sales, name="everyone", strategy=RoutingStrategy.ROUND_ROBIN)
    time_machine.move_to(datetime(2026, 11, 27, 15, 0, 30, tzinfo=UTC))  # Friday 18:00:30 in Moscow

    lead = make_lead()
    assert lead.owner is None
    assert Task.objects.get(lead=lead).due_at == datetime(2026, 11, 30, 9, 15, tzinfo=ZoneInfo("Europe/Moscow"))
