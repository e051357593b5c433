"""The production calendar in everything counted in working time: a first task's SLA, routing, escalation of the
pool, deferral and due dates skip public holidays and count a Saturday made a working day (Russia's 2026-2027
calendar as the `holidays` package has it: 31 December 2026 and 1-10 January 2027 off, Saturday 20 February 2027
a working day, Thursday 4 November 2027 Unity Day and Friday 5 November a day off moved from 2 January)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadflow.accounts.calendar import load_public_holidays
from leadflow.accounts.models import CalendarDay, RoutingScheme
from leadflow.leads import services
from leadflow.leads.models import Lead, LeadState, RoutingRule, RoutingStrategy, Task

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


@pytest.fixture
def russia(sales):  # type: ignore[no-untyped-def]
    """An office in Moscow, 9 to 6, Monday to Friday, with Russia's 2026 and 2027 loaded company-wide."""
    sales.work_start, sales.work_end, sales.work_days, sales.time_zone = time(9), time(18), [0, 1, 2, 3, 4], \
        "Europe/Moscow"
    sales.save()
    load_public_holidays(country="RU", year=2026)
    load_public_holidays(country="RU", year=2027)
    return sales


def _first_task_due(make_lead, time_machine, moment: datetime, **fields) -> datetime:  # type: ignore[no-untyped-def]
    time_machine.move_to(moment, tick=False)
    return Task.objects.get(lead=make_lead(**fields)).due_at


def test_a_lead_on_new_years_eve_is_due_on_the_first_working_day_of_january(russia, make_lead, time_machine):
    """It was due on 1 January at 09:10, when nobody is at work for ten days."""
    assert _first_task_due(make_lead, time_machine, msk(2026, 12, 30, 17, 55)) == msk(2027, 1, 11, 9, 10)
    # 31 December 2026 is itself a day off (moved from Sunday 4 January): the 15 minutes start on 11 January
    assert _first_task_due(make_lead, time_machine, msk(2026, 12, 31, 17, 55)) == msk(2027, 1, 11, 9, 15)


def test_new_years_eve_as_a_working_day_when_only_the_next_year_is_loaded(sales, make_lead, time_machine):
    sales.work_start, sales.work_end, sales.work_days, sales.time_zone = time(9), time(18), [0, 1, 2, 3, 4], \
        "Europe/Moscow"
    sales.save()
    load_public_holidays(country="RU", year=2027)
    assert _first_task_due(make_lead, time_machine, msk(2026, 12, 31, 17, 55)) == msk(2027, 1, 11, 9, 10)


def test_a_saturday_made_a_working_day_counts(russia, make_lead, time_machine):
    assert _first_task_due(make_lead, time_machine, msk(2027, 2, 19, 17, 55)) == msk(2027, 2, 20, 9, 10)
    assert _first_task_due(make_lead, time_machine, msk(2027, 2, 20, 12, 0)) == msk(2027, 2, 20, 12, 15)
    # the Saturday after is a weekend again
    assert _first_task_due(make_lead, time_machine, msk(2027, 2, 26, 17, 55)) == msk(2027, 3, 1, 9, 10)


def test_a_shortened_pre_holiday_day_closes_an_hour_early(russia, make_lead, time_machine):
    CalendarDay.objects.create(day=date(2027, 11, 3), is_working=True, shortened_by=60, name="Pre-holiday")
    # 16:55 on the shortened Wednesday: 5 minutes that day, 10 on Monday (Unity Day, then the moved day off)
    assert _first_task_due(make_lead, time_machine, msk(2027, 11, 3, 16, 55)) == msk(2027, 11, 8, 9, 10)


def test_routing_skips_people_on_a_public_holiday(russia, alice, make_lead, time_machine):
    russia.routing_scheme = RoutingScheme.RULES
    russia.save()
    RoutingRule.objects.create(team=russia, name="all", strategy=RoutingStrategy.PERSON, assignee=alice)
    time_machine.move_to(msk(2027, 11, 4, 11, 0), tick=False)  # Unity Day, a Thursday
    on_holiday = make_lead()
    assert on_holiday.owner is None
    assert Task.objects.get(lead=on_holiday).due_at == msk(2027, 11, 8, 9, 15)
    time_machine.move_to(msk(2027, 11, 5, 11, 0), tick=False)  # the day off moved from 2 January
    assert make_lead().owner is None
    time_machine.move_to(msk(2027, 11, 8, 11, 0), tick=False)
    assert make_lead().owner == alice


def test_a_team_in_another_country_keeps_its_own_calendar(russia, other_team, make_lead, time_machine):
    """A team in Kazakhstan: Russia's company-wide Unity Day is not its holiday; its own date is."""
    other_team.work_start, other_team.work_end, other_team.work_days = time(9), time(18), [0, 1, 2, 3, 4]
    other_team.time_zone, other_team.uses_company_calendar = "Asia/Almaty", False
    other_team.save()
    CalendarDay.objects.create(day=date(2027, 12, 16), team=other_team, name="Independence Day")
    almaty = ZoneInfo("Asia/Almaty")
    time_machine.move_to(datetime(2027, 11, 4, 11, 0, tzinfo=almaty), tick=False)
    assert Task.objects.get(lead=make_lead(team=other_team)).due_at == datetime(2027, 11, 4, 11, 15, tzinfo=almaty)
    time_machine.move_to(datetime(2027, 12, 16, 11, 0, tzinfo=almaty), tick=False)
    assert Task.objects.get(lead=make_lead(team=other_team)).due_at == datetime(2027, 12, 17, 9, 15, tzinfo=almaty)
    # and the Russian team's own entry replaces the company's date for it alone
    CalendarDay.objects.create(day=date(2027, 11, 4), team=russia, is_working=True, name="We work")
    time_machine.move_to(msk(2027, 11, 4, 11, 0), tick=False)
    assert Task.objects.get(lead=make_lead()).due_at == msk(2027, 11, 4, 11, 15)


def test_the_pool_escalates_after_the_holidays_not_during_them(russia, head, make_lead, time_machine):
    russia.pool_claim_minutes = 30
    russia.save()
    time_machine.move_to(msk(2026, 12, 30, 17, 50), tick=False)
    make_lead()
    assert services.escalate_unclaimed(now=msk(2027, 1, 3, 12, 0)) == 0
    assert services.escalate_unclaimed(now=msk(2027, 1, 11, 9, 19)) == 0
    assert services.escalate_unclaimed(now=msk(2027, 1, 11, 9, 20)) == 1


def test_a_lead_deferred_to_a_holiday_comes_back_on_the_first_working_day(russia, alice, make_lead, time_machine):
    time_machine.move_to(msk(2026, 12, 20, 12, 0), tick=False)
    lead = make_lead(owner=alice)
    services.defer_lead(lead=lead, until=date(2027, 1, 1), by=alice)
    assert Task.objects.open().get(lead=lead).due_at == msk(2027, 1, 11, 9, 0)
    assert services.return_deferred(now=msk(2027, 1, 1, 12, 0)) == 0
    assert services.return_deferred(now=msk(2027, 1, 10, 12, 0)) == 0
    assert Lead.objects.get(pk=lead.pk).state == LeadState.DEFERRED
    assert services.return_deferred(now=msk(2027, 1, 11, 8, 0)) == 1
    assert Lead.objects.get(pk=lead.pk).state == LeadState.OPEN


def test_a_date_without_a_time_on_a_shortened_day_is_due_when_it_closes(russia, alice, time_machine):
    CalendarDay.objects.create(day=date(2027, 4, 30), is_working=True, shortened_by=60)
    time_machine.move_to(msk(2027, 4, 28, 12, 0), tick=False)
    assert services.due_ahead(msk(2027, 4, 30, 0, 0), field="due_at", by=alice) == msk(2027, 4, 30, 17, 0)
    assert services.due_ahead(msk(2027, 4, 29, 0, 0), field="due_at", by=alice) == msk(2027, 4, 29, 18, 0)


def test_intake_reads_the_calendar_once_not_per_lead(russia, make_lead, time_machine):
    """Intake makes a first task for every lead: the calendar's dates are kept, not read again for each."""
    time_machine.move_to(msk(2027, 3, 1, 12, 0), tick=False)
    make_lead()
    with CaptureQueriesContext(connection) as queries:
        make_lead()
        make_lead()
    assert not [query for query in queries.captured_queries if "accounts_calendarday" in query["sql"]]
