"""The score's "arrived" feature reads the lead's team's working calendar, the one its SLA is counted in: its hours
and days, and public holidays as days off (not a fixed 9-18 on weekdays)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from leadflow.accounts.models import CalendarDay, Team
from leadflow.leads.models import Lead
from leadflow.leads.services import initial_stage
from leadflow.scoring import features

MOSCOW = ZoneInfo("Europe/Moscow")


def arrived(moment: str, team: Team | None, zone: ZoneInfo = MOSCOW) -> str:
    lead = Lead.objects.create(full_name="Ivan Petrov", stage=initial_stage(), team=team,
                               created_at=datetime.fromisoformat(moment).replace(tzinfo=zone))
    lead = Lead.objects.select_related("source", "campaign", "team").get(pk=lead.pk)
    row = features.rows_for([lead])[0]
    return str(row["arrival"])


@pytest.fixture
def late_shift(db: None) -> Team:
    """Noon to nine in the evening, Tuesday to Saturday, in Yekaterinburg."""
    return Team.objects.create(name="Late shift", time_zone="Asia/Yekaterinburg", work_start=time(12),
                               work_end=time(21), work_days=[1, 2, 3, 4, 5])


def test_arrival_follows_the_teams_hours_and_days(late_shift):
    ekb = ZoneInfo("Asia/Yekaterinburg")
    assert arrived("2026-03-10 20:30", late_shift, ekb) == "working"  # Tuesday: 9-18 called it the evening
    assert arrived("2026-03-14 13:00", late_shift, ekb) == "working"  # Saturday is a working day of the team
    assert arrived("2026-03-10 22:00", late_shift, ekb) == "evening"
    assert arrived("2026-03-10 10:00", late_shift, ekb) == "night"  # before it opens
    assert arrived("2026-03-09 11:00", late_shift, ekb) == "weekend"  # Monday is the team's day off
    # The moment is read in the team's zone: 15:00 in Moscow is 17:00 in Yekaterinburg.
    assert arrived("2026-03-10 15:00", late_shift, MOSCOW) == "working"


def test_a_public_holiday_is_a_day_off(db):
    CalendarDay.objects.create(day=date(2026, 3, 9), team=None, is_working=False, name="Holiday")
    CalendarDay.objects.create(day=date(2026, 3, 14), team=None, is_working=True, name="Working Saturday")
    assert arrived("2026-03-09 11:00", None) == "weekend"  # a Monday off by the company's calendar
    assert arrived("2026-03-14 11:00", None) == "working"  # a Saturday made a working day
    assert arrived("2026-03-10 11:00", None) == "working"
    assert arrived("2026-03-10 19:00", None) == "evening"
    assert arrived("2026-03-10 23:30", None) == "night"


def test_a_day_off_reads_as_such_to_the_user():
    assert features.describe({"field": "arrival", "value": "weekend", "effect": -0.3}) == "− arrived: on a day off"
