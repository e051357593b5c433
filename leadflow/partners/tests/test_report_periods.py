"""Periods of the partner report follow the local calendar, including days when the clocks change."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from leadflow.intake.models import Partner, Submission
from leadflow.partners.report import partner_report, period_starts

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")  # clocks go forward on 2026-03-29 and back on 2026-10-25


def test_period_starts():
    assert period_starts(date(2026, 1, 15), date(2026, 3, 1), "month") == [
        date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert period_starts(date(2026, 3, 4), date(2026, 3, 16), "week") == [
        date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]
    assert period_starts(date(2026, 12, 31), date(2027, 1, 1), "day") == [date(2026, 12, 31), date(2027, 1, 1)]


def test_submissions_fall_into_their_local_day_across_a_clock_change(db):
    partner = Partner.objects.create(name="P")
    moments = {
        datetime(2026, 3, 28, 22, 59, tzinfo=UTC): date(2026, 3, 28),  # 23:59 CET
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC): date(2026, 3, 29),  # 00:30 CET
        datetime(2026, 3, 29, 21, 30, tzinfo=UTC): date(2026, 3, 29),  # 23:30 CEST
        datetime(2026, 3, 29, 22, 10, tzinfo=UTC): date(2026, 3, 30),  # 00:10 CEST
        datetime(2026, 10, 25, 22, 30, tzinfo=UTC): date(2026, 10, 25),  # 23:30 CET, the long day
        datetime(2026, 10, 25, 23, 0, tzinfo=UTC): date(2026, 10, 26),
    }
    Submission.objects.bulk_create([Submission(channel="partner", partner=partner, received_at=moment,
                                               status="created") for moment in moments])
    report = partner_report(partners=Partner.objects.all(), start=date(2026, 3, 1), end=date(2026, 10, 31),
                            period="day", zone=BERLIN)
    assert [(r.period, r.submitted) for r in report.rows] == [
        (date(2026, 3, 28), 1), (date(2026, 3, 29), 2), (date(2026, 3, 30), 1),
        (date(2026, 10, 25), 1), (date(2026, 10, 26), 1)]
    monthly = partner_report(partners=Partner.objects.all(), start=date(2026, 3, 15), end=date(2026, 10, 25),
                             period="month", zone=BERLIN)
    # From mid-March to the 25th of October inclusive: the one at midnight starting the 26th falls outside.
    assert [(r.period, r.submitted) for r in monthly.rows] == [(date(2026, 3, 1), 4), (date(2026, 10, 1), 1)]
    assert monthly.totals.submitted == 5 and monthly.totals.amount_due == 0
