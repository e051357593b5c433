"""Speed to lead in working time: a lead is judged by the working minutes of its team, the minutes its SLA deadline
(the first task's due time) was counted in, not by the nights, weekends and holidays it waited through."""

from __future__ import annotations

from datetime import date, time
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadflow.accounts.models import CalendarDay, Team
from leadflow.analytics import reports
from leadflow.analytics.filters import parse_filter
from leadflow.analytics.tests.builders import at, make
from leadflow.leads import services
from leadflow.leads.models import Lead, Task


@pytest.fixture
def office(db: None) -> Team:
    """Nine to six, Monday to Friday, in Moscow; the first call is due within 15 working minutes."""
    return Team.objects.create(name="Office", time_zone="Europe/Moscow", work_start=time(9), work_end=time(18),
                               work_days=[0, 1, 2, 3, 4], sla_minutes=15)


_phones = count(1)


def arrive(time_machine, moment: str, *, team: Team | None, name: str) -> Lead:
    time_machine.move_to(at(moment), tick=False)
    person = services.PersonFacts(first_name=name, last_name="Petrov", full_name=f"Petrov {name}",
                                  phone=f"+7912{next(_phones):07d}")
    return services.create_lead(person=person, touch=services.Touch(channel="form"), team=team)


def call(time_machine, lead: Lead, moment: str, by) -> None:
    time_machine.move_to(at(moment), tick=False)
    services.log_activity(lead=lead, kind="call", by=by, subject="Called")


def speed(user, now: str, **params: str):
    return reports.build("speed", parse_filter({"start": "2026-03-01", "end": "2026-03-15", **params}, user,
                                               now=at(now)), user)


def first_task_due(lead: Lead):
    return Task.objects.filter(lead=lead).order_by("pk").values_list("due_at", flat=True).first()


def test_a_friday_evening_lead_called_monday_morning_waited_minutes_not_a_weekend(time_machine, admin_user, office):
    quick = arrive(time_machine, "2026-03-06 17:55", team=office, name="Quick")  # a Friday
    slow = arrive(time_machine, "2026-03-06 17:55", team=office, name="Slow")
    call(time_machine, quick, "2026-03-09 09:05", admin_user)  # Monday: 5 minutes on Friday and 5 on Monday
    call(time_machine, slow, "2026-03-09 09:20", admin_user)   # 5 + 20 minutes, 10 past its deadline
    # Both first tasks say "due Monday 09:10"; the report reads the same deadline.
    assert first_task_due(quick) == first_task_due(slow) == at("2026-03-09 09:10")

    report = speed(admin_user, "2026-03-09 12:00")

    (team,) = report.table("team").rows
    assert (team["label"], team["leads"], team["contacted"], team["within"]) == ("Office", 2, 2, 1)
    assert (team["median"], team["p90"]) == (10, 25)  # working minutes, not 3,790 and 3,805
    (breach,) = report.table("breaches").rows
    assert (breach["lead"], breach["due"], breach["late"]) == ("Petrov Slow", at("2026-03-09 09:10"), 10)
    headings = [str(column.label) for column in report.table("team").columns]
    assert "To first contact, median, working min" in headings
    assert "Late by, working min" in [str(column.label) for column in report.table("breaches").columns]


def test_a_lead_without_a_team_follows_the_company_calendar(time_machine, admin_user, office):
    # Monday 9 March 2026 is a day off in Russia (8 March fell on a Sunday): a company-wide holiday.
    CalendarDay.objects.create(day=date(2026, 3, 9), team=None, is_working=False, name="Women's Day (moved)")
    called = arrive(time_machine, "2026-03-06 17:55", team=None, name="Called")
    waiting = arrive(time_machine, "2026-03-06 17:58", team=None, name="Waiting")
    office_lead = arrive(time_machine, "2026-03-06 17:58", team=office, name="Office")  # the team keeps its own
    call(time_machine, called, "2026-03-10 09:05", admin_user)  # Tuesday, after the holiday: 10 working minutes
    call(time_machine, office_lead, "2026-03-10 09:05", admin_user)  # the company's holiday is the office team's too
    assert first_task_due(called) == at("2026-03-10 09:10")
    assert first_task_due(waiting) == first_task_due(office_lead) == at("2026-03-10 09:13")

    report = speed(admin_user, "2026-03-10 12:00")

    rows = {str(row["label"]): row for row in report.table("team").rows}
    assert (rows["(none)"]["leads"], rows["(none)"]["within"], rows["(none)"]["median"]) == (2, 1, 10)
    assert (rows["Office"]["within"], rows["Office"]["median"]) == (1, 7)  # 2 on Friday, 5 on Tuesday
    (breach,) = report.table("breaches").rows
    # Not called yet at 12:00 on Tuesday: late since 09:13, 167 working minutes (not four days).
    assert (breach["lead"], breach["contacted"], breach["late"]) == ("Petrov Waiting", None, 167)


def test_a_team_without_the_company_calendar_works_through_its_holiday(time_machine, admin_user, office):
    CalendarDay.objects.create(day=date(2026, 3, 9), team=None, is_working=False, name="Holiday")
    office.uses_company_calendar = False
    office.save()
    lead = arrive(time_machine, "2026-03-06 17:55", team=office, name="Abroad")
    call(time_machine, lead, "2026-03-10 09:05", admin_user)

    (team,) = speed(admin_user, "2026-03-10 12:00").table("team").rows

    # Friday 5 minutes, all of Monday (9 hours), Tuesday 5 minutes: past its deadline of Monday 09:10.
    assert (team["within"], team["median"]) == (0, 5 + 9 * 60 + 5)


def test_speed_report_reads_as_many_queries_for_many_leads_and_teams(admin_user, office, sales):
    other = Team.objects.create(name="Night", time_zone="Asia/Vladivostok", work_start=time(20), work_end=time(23))

    def run():
        with CaptureQueriesContext(connection) as queries:
            report = speed(admin_user, "2026-03-15 12:00")
        return report, len(queries)

    make(created=at("2026-03-02 10:00"), team=office, sla_due=at("2026-03-02 10:15"),
         first_contacted_at=at("2026-03-02 10:05"))
    run()  # the working calendar's dates are read once a minute, not per report
    _, few = run()
    for n in range(12):
        day = f"2026-03-{2 + n % 10:02d}"
        for team in (office, sales, other, None):
            make(created=at(f"{day} 10:00"), team=team, sla_due=at(f"{day} 10:15"),
                 first_contacted_at=at(f"{day} 10:30") if n % 3 else None)
    report, many = run()

    assert many == few
    assert sum(row["leads"] for row in report.table("team").rows) == 49
