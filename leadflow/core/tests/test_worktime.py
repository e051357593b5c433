from datetime import UTC, datetime, time, timedelta

from leadflow.core.worktime import WorkCalendar, add_working_minutes

MOSCOW = WorkCalendar(zone="Europe/Moscow", start=time(9), end=time(18))


def msk(*args: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Moscow"))


def test_inside_working_hours_adds_plain_minutes():
    assert add_working_minutes(msk(2026, 11, 23, 10, 0), 15, MOSCOW) == msk(2026, 11, 23, 10, 15)


def test_late_evening_lead_is_due_next_morning():
    assert add_working_minutes(msk(2026, 11, 23, 17, 55), 15, MOSCOW) == msk(2026, 11, 24, 9, 10)


def test_friday_evening_lead_is_due_monday():
    assert add_working_minutes(msk(2026, 11, 27, 20, 0), 15, MOSCOW) == msk(2026, 11, 30, 9, 15)


def test_before_opening_counts_from_opening():
    assert add_working_minutes(msk(2026, 11, 23, 6, 30), 15, MOSCOW) == msk(2026, 11, 23, 9, 15)


def test_input_in_utc_returns_same_instant_in_utc():
    start = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 10:00 in Moscow
    assert add_working_minutes(start, 30, MOSCOW) == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


def test_is_working_respects_days_and_hours():
    assert MOSCOW.is_working(msk(2026, 11, 23, 12, 0))
    assert not MOSCOW.is_working(msk(2026, 11, 28, 12, 0))  # Saturday
    assert not MOSCOW.is_working(msk(2026, 11, 23, 18, 0))


def test_a_day_ending_at_2359_runs_to_midnight():
    """A round-the-clock team (00:00-23:59 or 23:59:59, every day): a lead at 23:50 is due 15 minutes later, not
    a minute (or a second) more because the calendar stops for the day's last minute."""
    for end in (time(23, 59), time(23, 59, 59)):
        always = WorkCalendar(zone="Europe/Moscow", start=time(0), end=end, days=frozenset(range(7)))
        assert add_working_minutes(msk(2026, 11, 23, 23, 50), 15, always) == msk(2026, 11, 24, 0, 5)
        assert always.is_working(msk(2026, 11, 23, 23, 59, 30))
    late = WorkCalendar(zone="Europe/Moscow", start=time(9), end=time(23, 59), days=frozenset({0, 1, 2, 3, 4}))
    assert add_working_minutes(msk(2026, 11, 23, 23, 50), 15, late) == msk(2026, 11, 24, 9, 5)


def test_sla_across_a_dst_change_counts_real_minutes():
    """A round-the-clock team in a zone with DST: the night the clocks go back has 25 hours and the night they go
    forward 23, and an SLA counts the minutes the customer waits, not the wall clock's."""
    for zone, back, forward in (("Europe/London", datetime(2027, 10, 31, 0, 50, tzinfo=UTC),
                                 datetime(2027, 3, 28, 0, 30, tzinfo=UTC)),
                                ("America/New_York", datetime(2027, 11, 7, 5, 50, tzinfo=UTC),
                                 datetime(2027, 3, 14, 6, 30, tzinfo=UTC))):
        always = WorkCalendar(zone=zone, start=time(0), end=time(23, 59), days=frozenset(range(7)))
        assert add_working_minutes(back, 15, always) - back == timedelta(minutes=15), zone  # 01:50 summer time
        assert add_working_minutes(forward, 120, always) - forward == timedelta(minutes=120), zone  # over the gap


def test_exceptions_turn_a_weekday_off_and_a_saturday_on():
    from datetime import date

    from leadflow.core.worktime import SpecialDay, next_working_day_start

    calendar = WorkCalendar(zone="Europe/Moscow", start=time(9), end=time(18), exceptions={
        date(2026, 11, 24): SpecialDay(is_working=False), date(2026, 11, 28): SpecialDay(is_working=True)})
    # Monday 17:55 + 15: Tuesday is a day off, Wednesday 09:10
    assert add_working_minutes(msk(2026, 11, 23, 17, 55), 15, calendar) == msk(2026, 11, 25, 9, 10)
    assert not calendar.is_working(msk(2026, 11, 24, 12, 0))
    assert calendar.is_working(msk(2026, 11, 28, 12, 0))  # the Saturday made a working day
    assert add_working_minutes(msk(2026, 11, 27, 17, 55), 15, calendar) == msk(2026, 11, 28, 9, 10)
    assert next_working_day_start(msk(2026, 11, 23, 20, 0), calendar) == msk(2026, 11, 25, 9, 0)
    assert calendar.first_working_day(date(2026, 11, 24)) == date(2026, 11, 25)
    assert calendar.last_day_closed_by(msk(2026, 11, 25, 8, 0)) == date(2026, 11, 23)


def test_a_shortened_day_closes_early_and_a_fully_shortened_one_is_off():
    from datetime import date

    from leadflow.core.worktime import SpecialDay

    calendar = WorkCalendar(zone="Europe/Moscow", start=time(9), end=time(18), exceptions={
        date(2026, 11, 24): SpecialDay(is_working=True, shortened_by=60),
        date(2026, 11, 25): SpecialDay(is_working=True, shortened_by=9 * 60)})
    assert calendar.closes(date(2026, 11, 24)) == msk(2026, 11, 24, 17, 0)
    assert not calendar.is_working(msk(2026, 11, 24, 17, 30))
    assert add_working_minutes(msk(2026, 11, 24, 16, 55), 15, calendar) == msk(2026, 11, 26, 9, 10)
    assert not calendar.is_working_day(date(2026, 11, 25))


def test_a_day_off_still_closes_at_the_usual_time():
    """'By the end of the day' typed for a holiday means its usual closing time, as for a Saturday."""
    from datetime import date

    from leadflow.core.worktime import SpecialDay

    calendar = WorkCalendar(zone="Europe/Moscow", exceptions={date(2027, 1, 4): SpecialDay(is_working=False)})
    assert calendar.closes(date(2027, 1, 4)) == msk(2027, 1, 4, 18, 0)


def test_a_reminder_in_a_team_working_till_midnight_comes_before_midnight():
    from leadflow.leads.services import remind_at

    late = WorkCalendar(zone="Europe/Moscow", start=time(9), end=time(23, 59), days=frozenset({0, 1, 2, 3, 4}))
    assert remind_at(msk(2026, 11, 24, 2, 0), late) == msk(2026, 11, 23, 23, 0)


def test_working_time_between_skips_the_weekend_and_nights():
    """Friday 17:55 to Monday 09:05 is 10 working minutes (5 on Friday, 5 on Monday), not 63 hours."""
    from leadflow.core.worktime import working_seconds_between

    assert working_seconds_between(msk(2026, 11, 27, 17, 55), msk(2026, 11, 30, 9, 5), MOSCOW) == 10 * 60
    assert working_seconds_between(msk(2026, 11, 23, 10, 0), msk(2026, 11, 23, 10, 20), MOSCOW) == 20 * 60
    assert working_seconds_between(msk(2026, 11, 23, 20, 0), msk(2026, 11, 24, 8, 0), MOSCOW) == 0  # a night
    # Monday 10:00 to Wednesday 11:00: 8 h, a full day of 9 h, then 2 h.
    assert working_seconds_between(msk(2026, 11, 23, 10, 0), msk(2026, 11, 25, 11, 0), MOSCOW) == 19 * 3600
    # The same moments given in UTC: the same working time.
    assert working_seconds_between(msk(2026, 11, 27, 17, 55).astimezone(UTC),
                                   msk(2026, 11, 30, 9, 5).astimezone(UTC), MOSCOW) == 10 * 60


def test_working_time_between_counts_no_holiday_and_a_working_saturday_and_a_shortened_day():
    from datetime import date

    from leadflow.core.worktime import SpecialDay, working_seconds_between

    calendar = WorkCalendar(zone="Europe/Moscow", exceptions={
        date(2026, 12, 31): SpecialDay(is_working=False),  # Thursday off
        date(2027, 1, 1): SpecialDay(is_working=False),
        date(2027, 1, 2): SpecialDay(is_working=True, shortened_by=60),  # a working Saturday, 9-17
    })
    # Wednesday 17:00 → Saturday 10:00: an hour on Wednesday, the holidays nothing, an hour on Saturday.
    assert working_seconds_between(msk(2026, 12, 30, 17, 0), msk(2027, 1, 2, 10, 0), calendar) == 2 * 3600
    # Saturday 16:30 → Monday 09:30: half an hour before the shortened day closes at 17:00, half an hour on Monday.
    assert working_seconds_between(msk(2027, 1, 2, 16, 30), msk(2027, 1, 4, 9, 30), calendar) == 3600


def test_working_time_between_a_round_the_clock_team_and_no_calendar_is_plain_time():
    from leadflow.core.worktime import working_seconds_between

    always = WorkCalendar(zone="Europe/London", start=time(0), end=time(23, 59), days=frozenset(range(7)))
    start = datetime(2027, 10, 30, 23, 0, tzinfo=UTC)  # the night the clocks go back: 25 hours in London
    assert working_seconds_between(start, start + timedelta(hours=30), always) == 30 * 3600
    plain = WorkCalendar(days=frozenset())
    assert working_seconds_between(start, start + timedelta(hours=30), plain) == 30 * 3600
    assert working_seconds_between(start + timedelta(hours=1), start, MOSCOW) == 0  # never negative


def test_working_time_between_agrees_with_adding_working_minutes():
    """A deadline N working minutes after a moment is N working minutes after it, from any moment of the week."""
    from leadflow.core.worktime import working_seconds_between

    start = msk(2026, 11, 23, 0, 0)
    for hours in range(0, 24 * 7, 5):
        moment = start + timedelta(hours=hours, minutes=7)
        for minutes in (15, 600, 3000):
            due = add_working_minutes(moment, minutes, MOSCOW)
            assert working_seconds_between(moment, due, MOSCOW) == minutes * 60, (moment, minutes)
