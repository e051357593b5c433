"""A task is reminded an hour before it is due, but within the assignee's working hours: a 09:00 call in a team that
opens at 9 was reminded at 08:00 (an e-mail before anyone is in); a task due after hours, at night, at the weekend or
on a holiday is reminded in the last working hour before it, not after it was due (DOMAIN.md 11)."""

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


def test_a_task_due_after_hours_is_reminded_in_the_last_working_hour_before_it(office, task_due, time_machine):
    """A call set for 20:00 in a team closing at 18:00 was reminded at 09:00 the next day, after it was due."""
    task_due(_msk(25, 20))  # Wednesday 20:00
    assert _reminded_at(time_machine, _msk(25, 16, 59)) == 0
    assert _reminded_at(time_machine, _msk(25, 17)) == 1
    assert Notification.objects.get(kind="task.due").created_at == _msk(25, 17)

    task_due(_msk(25, 18))  # at closing time: an hour before, as in working hours
    assert _reminded_at(time_machine, _msk(25, 17)) == 2


def test_a_task_due_at_night_or_at_the_weekend_is_reminded_before_the_last_working_day_closes(
        office, task_due, time_machine):
    task_due(_msk(25, 2))  # Wednesday 02:00: Tuesday in the last hour
    assert _reminded_at(time_machine, _msk(24, 16, 59)) == 0
    assert _reminded_at(time_machine, _msk(24, 17)) == 1

    task_due(_msk(28, 12))  # Saturday noon: Friday in the last hour
    assert _reminded_at(time_machine, _msk(27, 16, 59)) == 1
    assert _reminded_at(time_machine, _msk(27, 17)) == 2

    task_due(_msk(30, 8, 30))  # Monday 08:30, before the office opens: Friday in the last hour too
    assert _reminded_at(time_machine, _msk(27, 17, 30)) == 3


def test_a_task_after_the_holidays_is_reminded_before_them(office, task_due, time_machine):
    """Russia's New Year: 31 December 2026 and 1-10 January 2027 are days off. A call set for 11 January at 08:30
    is reminded on the last working day of the year, 30 December, not on the morning it was due."""
    from leadflow.accounts.calendar import load_public_holidays

    load_public_holidays(country="RU", year=2026)
    load_public_holidays(country="RU", year=2027)
    task_due(datetime(2027, 1, 11, 8, 30, tzinfo=ZoneInfo("Europe/Moscow")))
    assert _reminded_at(time_machine, _msk(30, 17)) == 0  # 30 November: too early
    assert _reminded_at(time_machine, datetime(2026, 12, 30, 16, 59, tzinfo=ZoneInfo("Europe/Moscow"))) == 0
    assert _reminded_at(time_machine, datetime(2026, 12, 30, 17, 0, tzinfo=ZoneInfo("Europe/Moscow"))) == 1


def test_a_shortened_day_moves_the_reminder_earlier(office, task_due, time_machine):
    """A pre-holiday day ending at 17:00: a task due at 18:00 is reminded at 16:00, while people are in."""
    from leadflow.accounts.models import CalendarDay

    CalendarDay.objects.create(day=_msk(25, 0).date(), is_working=True, shortened_by=60)
    task_due(_msk(25, 18))
    assert _reminded_at(time_machine, _msk(25, 15, 59)) == 0
    assert _reminded_at(time_machine, _msk(25, 16)) == 1


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
    task_due(_msk(25, 10, 30))
    assert _reminded_at(time_machine, _msk(25, 9, 59)) == 0
    assert _reminded_at(time_machine, _msk(25, 10)) == 1
    task_due(_msk(26, 9, 30))  # before she comes in: the evening before, while she is still there
    assert _reminded_at(time_machine, _msk(25, 16, 59)) == 1
    assert _reminded_at(time_machine, _msk(25, 17)) == 2


def test_an_overdue_task_is_reminded_on_its_day_but_not_days_later(office, task_due, time_machine):
    """A task whose day went by unreminded (imported overdue, handed over a week late, the worker down) is in the
    overdue lists; reminding every such task at once would bury the reminders that matter."""
    task_due(_msk(23, 10))  # Monday 10:00, not reminded on Monday
    task_due(_msk(25, 10))  # Wednesday 10:00, the worker picks it up late in the afternoon
    assert _reminded_at(time_machine, _msk(25, 16)) == 1
    assert Notification.objects.get(kind="task.due").lead.tasks.get().due_at == _msk(25, 10)
