"""Working-hours arithmetic: SLAs are counted in a team's working minutes, not wall-clock ones.

A calendar is a working week (days and hours in a zone) and its exceptions: dates that are days off though the week
says otherwise (public holidays, a Monday given off by decree) and dates that are working days though the week says
otherwise (a Saturday made a working day by decree), a working one maybe shortened (a pre-holiday day ends an hour
earlier). Every question about working time is answered here, so the SLA, routing, escalation, reminders and
due dates all agree on what a working day is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_END = time(23, 59)
# How far the day-by-day searches look: ten years of days, even with one working day a week and long holidays.
SEARCH_DAYS = 3700


@dataclass(frozen=True)
class SpecialDay:
    """A date that differs from the working week: a day off, or a working day (shortened by some minutes)."""

    is_working: bool
    shortened_by: int = 0  # minutes taken off the end of a working day


@dataclass(frozen=True)
class WorkCalendar:
    """A working week: days (0 = Monday), daily hours, the zone they are in, and its exceptions by date."""

    zone: str = "Europe/Moscow"
    start: time = time(9, 0)
    end: time = time(18, 0)
    days: frozenset[int] = field(default_factory=lambda: frozenset({0, 1, 2, 3, 4}))
    exceptions: Mapping[date, SpecialDay] = field(default_factory=dict, hash=False)

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def till_midnight(self) -> bool:
        """A day that ends at 23:59 (or 23:59:59) ends at midnight: no team stops for its last minute, and a
        round-the-clock team (00:00-23:59, every day) must not push a late lead's deadline past its SLA."""
        return self.end >= DAY_END

    @property
    def has_hours(self) -> bool:
        """A week with working time in it; without (no days, or a day ending before it starts) time is plain."""
        return bool(self.days) and self.start < self.end

    def opens(self, day: date) -> datetime:
        return datetime.combine(day, self.start, tzinfo=self.tz())

    def closes(self, day: date) -> datetime:
        """When `day`'s work ends: the week's closing time, earlier on a shortened day. A day off closes at the
        week's usual time too (a task set for a holiday "by the end of the day" is due then, as on a Saturday)."""
        if self.till_midnight:
            usual = datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.tz())
        else:
            usual = datetime.combine(day, self.end, tzinfo=self.tz())
        exception = self.exceptions.get(day)
        if exception is not None and exception.is_working and exception.shortened_by:
            return usual - timedelta(minutes=exception.shortened_by)
        return usual

    def is_working_day(self, day: date) -> bool:
        """A day of the week's working days unless an exception says otherwise (a holiday, a working Saturday),
        and with working time left after a shortening."""
        exception = self.exceptions.get(day)
        working = exception.is_working if exception is not None else day.weekday() in self.days
        return working and self.opens(day) < self.closes(day)

    def is_working(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz())
        day = local.date()
        return self.is_working_day(day) and self.opens(day) <= local < self.closes(day)

    def first_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the next one (a return set for 1 January: the first
        working day of the year); `day` when the calendar has no working day at all."""
        for offset in range(SEARCH_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        return day

    def last_day_closed_by(self, moment: datetime) -> date | None:
        """The last working day that closed at or before `moment` (Friday for a Saturday, 30 December for the
        New Year holidays), None when there is none in the search range."""
        local = moment.astimezone(self.tz())
        day = local.date()
        for _ in range(SEARCH_DAYS):
            if self.is_working_day(day) and self.closes(day) <= local:
                return day
            day -= timedelta(days=1)
        return None


def add_working_minutes(start: datetime, minutes: int, calendar: WorkCalendar) -> datetime:
    """The moment `minutes` working minutes after `start` (a lead at 17:55 with 15 min is due 9:10 next working
    day: after the weekend, after the New Year holidays)."""
    if not calendar.has_hours:
        return start + timedelta(minutes=minutes)  # no working calendar: plain minutes
    zone = calendar.tz()
    local = start.astimezone(zone)
    remaining = timedelta(minutes=minutes)
    for _ in range(SEARCH_DAYS):
        day = local.date()
        if calendar.is_working_day(day) and local < (closes := calendar.closes(day)):
            # Real minutes, counted in UTC: arithmetic on two times of one zone is wall-clock arithmetic, which
            # gives a DST change day's night an hour too many or too few (a round-the-clock London team).
            begin = max(local, calendar.opens(day)).astimezone(UTC)
            available = closes.astimezone(UTC) - begin
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
        next_day = day + timedelta(days=1)
        local = datetime.combine(next_day, time.min, tzinfo=zone)
    raise ValueError("working calendar has no working time")


def next_working_day_start(moment: datetime, calendar: WorkCalendar) -> datetime:
    """The opening time of the first working day after `moment`'s day in the calendar's zone (Friday evening or
    Saturday: Monday morning; 31 December: the first working day of January). A day that opens at midnight (a
    round-the-clock team) gives the same time of day as `moment` instead, not a call at 00:00; no working day at
    all gives the next day at the same time."""
    if not calendar.days:
        return moment + timedelta(days=1)
    zone = calendar.tz()
    local = moment.astimezone(zone)
    opens = calendar.start if calendar.start > time.min else local.time().replace(tzinfo=None)
    day = local.date()
    for _ in range(SEARCH_DAYS):
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            return datetime.combine(day, opens, tzinfo=zone).astimezone(moment.tzinfo)
    return moment + timedelta(days=1)  # days outside 0-6 only: no day of the week is a working one


class WorkingClock:
    """Working time between moments in one calendar: a figure a user judges by (how fast a lead was called, how late
    past its deadline) counted as the SLA is, in working minutes. A lead arriving Friday 17:55 and called Monday 09:05
    waited 10 working minutes, not 63 hours.

    Each date's working span is worked out once and kept, so many intervals in one calendar (a report's leads of a
    team) cost a lookup per date they cover."""

    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar
        self._zone, self._plain = calendar.tz(), not calendar.has_hours
        self._spans: dict[date, tuple[datetime, datetime] | None] = {}

    def span(self, day: date) -> tuple[datetime, datetime] | None:
        """`day`'s working time in UTC (opening, closing), None for a day off."""
        if day not in self._spans:
            calendar = self.calendar
            self._spans[day] = ((calendar.opens(day).astimezone(UTC), calendar.closes(day).astimezone(UTC))
                                if calendar.is_working_day(day) else None)
        return self._spans[day]

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Working seconds from `start` to `end`; 0 when `end` is not after `start` (a call logged before the lead
        reached sales kept nobody waiting). A calendar without working hours counts plain time."""
        if end <= start:
            return 0.0
        if self._plain:
            return (end - start).total_seconds()
        day, last = start.astimezone(self._zone).date(), end.astimezone(self._zone).date()
        total = 0.0
        spans = self._spans
        while day <= last:
            span = spans[day] if day in spans else self.span(day)
            if span is not None:
                begin, finish = max(span[0], start), min(span[1], end)
                if finish > begin:
                    total += (finish - begin).total_seconds()
            day += timedelta(days=1)
        return total


def working_seconds_between(start: datetime, end: datetime, calendar: WorkCalendar) -> float:
    """The working seconds from `start` to `end` in `calendar` (see WorkingClock)."""
    return WorkingClock(calendar).seconds_between(start, end)
