"""Working-hours arithmetic: SLAs are counted in a team's working minutes, not wall-clock ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_END = time(23, 59)


@dataclass(frozen=True)
class WorkCalendar:
    """A working week: days (0 = Monday), daily hours, and the zone they are in."""

    zone: str = "Europe/Moscow"
    start: time = time(9, 0)
    end: time = time(18, 0)
    days: frozenset[int] = field(default_factory=lambda: frozenset({0, 1, 2, 3, 4}))

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def till_midnight(self) -> bool:
        """A day that ends at 23:59 (or 23:59:59) ends at midnight: no team stops for its last minute, and a
        round-the-clock team (00:00-23:59, every day) must not push a late lead's deadline past its SLA."""
        return self.end >= DAY_END

    def closes(self, day: date) -> datetime:
        if self.till_midnight:
            return datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.tz())
        return datetime.combine(day, self.end, tzinfo=self.tz())

    def is_working(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz())
        return local.weekday() in self.days and self.start <= local.time() and (
            self.till_midnight or local.time() < self.end)


def add_working_minutes(start: datetime, minutes: int, calendar: WorkCalendar) -> datetime:
    """The moment `minutes` working minutes after `start` (a lead at 17:55 with 15 min is due 9:10 next day)."""
    if not calendar.days or calendar.start >= calendar.end:
        return start + timedelta(minutes=minutes)  # no working calendar: plain minutes
    zone = calendar.tz()
    local = start.astimezone(zone)
    remaining = timedelta(minutes=minutes)
    for _ in range(3700):  # bounded: at most ten years of days, even with one working day a week
        day = local.date()
        opens = datetime.combine(day, calendar.start, tzinfo=zone)
        closes = calendar.closes(day)
        if day.weekday() in calendar.days and local < closes:
            # Real minutes, counted in UTC: arithmetic on two times of one zone is wall-clock arithmetic, which
            # gives a DST change day's night an hour too many or too few (a round-the-clock London team).
            begin = max(local, opens).astimezone(UTC)
            available = closes.astimezone(UTC) - begin
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
        next_day = day + timedelta(days=1)
        local = datetime.combine(next_day, time.min, tzinfo=zone)
    raise ValueError("working calendar has no working time")


def next_working_day_start(moment: datetime, calendar: WorkCalendar) -> datetime:
    """The opening time of the first working day after `moment`'s day in the calendar's zone (Friday evening or
    Saturday: Monday morning). A day that opens at midnight (a round-the-clock team) gives the same time of day
    as `moment` instead, not a call at 00:00; no working day at all gives the next day at the same time."""
    if not calendar.days:
        return moment + timedelta(days=1)
    zone = calendar.tz()
    local = moment.astimezone(zone)
    opens = calendar.start if calendar.start > time.min else local.time().replace(tzinfo=None)
    day = local.date()
    for _ in range(7):
        day += timedelta(days=1)
        if day.weekday() in calendar.days:
            return datetime.combine(day, opens, tzinfo=zone).astimezone(moment.tzinfo)
    return moment + timedelta(days=1)  # days outside 0-6 only: no day of the week is a working one
