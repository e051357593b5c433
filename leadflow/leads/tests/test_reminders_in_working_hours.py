"""A task is reminded an hour before it is due, but within the assignee's working hours: a 09:00 call in a team that
opens at 9 was reminded at 08:00 (an e-mail before anyone is in), a task due at night at 02:00 (DOMAIN.md 11: the
system reminds on the day, at work)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from leadflow.leads import services
from leadflow.leads.models import Notification, Task

pytestmark = pytest.mark.django_db



def _msk(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026 given in Moscow time (24 November is a Tuesday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.fixture
def office(sales):  # type: ignore[no-untyped-def]
    sales.work_start, sales.work_end, sales.work_days, sales.time_zone = time(9), time(18), [0, 1, 2, 3, 4], \
        "Europe/Moscow"
    sales.save()
    return sales


@pytest.fixture
def task_due(time_machine, alice, make_lead):  # type: ignore[no-untyped-def]
    def make(due_at: datetime) -> Task:
        time_machine.move_to(_msk(23, 12), tick=False)  # set on Monday noon
        lead = make_lead(owner=alice)
        Task.objects.filter(lead=lead).update(due_at=due_at)
        return Task.objects.get(lead=lead)
    return make


def _reminded_at(time_machine, moment: datetime) -> int:  # type: ignore[no-untyped-def]
    time_machine.move_to(moment, tick=False)
    services.remind_due_tasks()
    return Notification.objects.filter(kind="task.due").count()


def test_a_nine_oclock_task_is_reminded_when_the_day_opens_not_at_eight(office, task_due, time_machine):
    task_due(_msk(25, 9))
    assert _reminded_at(time_machine, _msk(25, 8)) == 0
    assert _reminded_at(time_machine, _msk(25, 8, 59)) == 0
    assert _reminded_at(time_machine, _msk(25, 9)) == 1
    assert _reminded_at(time_machine, _msk(25, 9, 1)) == 1  # once


def test_an_afternoon_task_is_reminded_an_hour_ahead(office, task_due, time_machine):
    task_due(_msk(25, 15))
    assert _reminded_at(time_machine, _msk(25, 13, 59)) == 0
    assert _reminded_at(time_machine, _msk(25, 14)) == 1


def test_a_task_due_at_night_or_at_the_weekend_is_reminded_when_the_next_working_day_opens(
        office, task_due, time_machine):
    task_due(_msk(25, 2))  # Wednesday 02:00
    assert _reminded_at(time_machine, _msk(25, 1)) == 0
    assert _reminded_at(time_machine, _msk(25, 8, 59)) == 0
    assert _reminded_at(time_machine, _msk(25, 9)) == 1

    task_due(_msk(28, 12))  # Saturday noon: Monday morning
    assert _reminded_at(time_machine, _msk(28, 11)) == 1
    assert _reminded_at(time_machine, _msk(30, 8, 59)) == 1
    assert _reminded_at(time_machine, _msk(30, 9)) == 2


def test_a_round_the_clock_team_is_reminded_an_hour_ahead_even_at_night(sales, task_due, time_machine):
    task_due(_msk(25, 9))
    assert _reminded_at(time_machine, _msk(25, 7, 59)) == 0
    assert _reminded_at(time_machine, _msk(25, 8)) == 1

    task_due(_msk(26, 0, 30))  # half past midnight: reminded before midnight, the day before
    assert _reminded_at(time_machine, _msk(25, 23, 29)) == 1
    assert _reminded_at(time_machine, _msk(25, 23, 30)) == 2


def test_the_hours_are_the_teams_own_zone_not_the_servers(office, task_due, time_machine, settings):
    """The server runs in UTC (and defaults to Moscow); a Vladivostok team's 09:00 is 23:00 UTC the day before."""
    assert settings.TIME_ZONE == "UTC"
    office.time_zone = "Asia/Vladivostok"
    office.save()
    task_due(datetime(2026, 11, 24, 23, 0, tzinfo=UTC))  # Wednesday 09:00 in Vladivostok
    assert _reminded_at(time_machine, datetime(2026, 11, 24, 22, 0, tzinfo=UTC)) == 0  # 08:00 there
    assert _reminded_at(time_machine, datetime(2026, 11, 24, 23, 0, tzinfo=UTC)) == 1


def test_a_persons_own_later_hours_move_the_reminder(office, alice, task_due, time_machine):
    alice.work_start = time(10)
    alice.save(update_fields=["work_start"])
    task_due(_msk(25, 9, 30))
    assert _reminded_at(time_machine, _msk(25, 9, 59)) == 0
    assert _reminded_at(time_machine, _msk(25, 10)) == 1


def test_an_overdue_task_is_reminded_on_its_day_but_not_days_later(office, task_due, time_machine):
    """A task whose day went by unreminded (imported overdue, handed over a week late, the worker down) is in the
    overdue lists; reminding every such task at once would bury the reminders that matter."""
    task_due(_msk(23, 10))  # Monday 10:00, not reminded on Monday
    task_due(_msk(25, 10))  # Wednesday 10:00, the worker picks it up late in the afternoon
    assert _reminded_at(time_machine, _msk(25, 16)) == 1
    assert Notification.objects.get(kind="task.due").lead.tasks.get().due_at == _msk(25, 10)
