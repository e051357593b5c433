"""The working calendar's dates (public holidays, transferred working days) for WorkCalendar, and loading a
country's year of them from the `holidays` package.

Every working-time question (a new lead's SLA, routing, escalation, reminders, due dates) asks for a team's dates,
intake once per lead: they are read in one query for all teams and kept per process for a minute (core.memo), so a
change in the admin is seen at once in the server and within a minute in the worker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import holidays
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from leadflow.accounts.models import CalendarDay, Team
from leadflow.core.errors import InvalidInput
from leadflow.core.memo import Memo
from leadflow.core.worktime import SpecialDay

_days = Memo("accounts.CalendarDay", "accounts.Team")
FIRST_YEAR, LAST_YEAR = 1990, 2100


class _Loaded:
    """Every calendar date by team (None: company-wide), and each team's merged view, built when first asked."""

    def __init__(self) -> None:
        self.by_team: dict[int | None, dict[date, SpecialDay]] = {}
        for team_id, day, is_working, shortened_by in CalendarDay.objects.values_list(
                "team_id", "day", "is_working", "shortened_by"):
            self.by_team.setdefault(team_id, {})[day] = SpecialDay(is_working=is_working, shortened_by=shortened_by)
        self.merged: dict[tuple[int | None, bool], Mapping[date, SpecialDay]] = {}

    def for_team(self, team_id: int | None, with_company: bool) -> Mapping[date, SpecialDay]:
        key = (team_id, with_company)
        if key not in self.merged:
            company = self.by_team.get(None, {}) if with_company else {}
            own = self.by_team.get(team_id, {}) if team_id is not None else {}
            self.merged[key] = {**company, **own}  # a team's own date replaces the company's
        return self.merged[key]


def forget_calendar() -> None:
    """Forget the dates read (a bulk write sends no signal)."""
    _days.clear()


def special_days(team: Team | None) -> Mapping[date, SpecialDay]:
    """The dates that differ from `team`'s week: the company's (unless the team opted out) and its own; the
    company's for no team."""
    loaded: _Loaded = _days.get("all", _Loaded)
    if team is None:
        return loaded.for_team(None, True)
    return loaded.for_team(team.pk, team.uses_company_calendar)


@dataclass(frozen=True)
class LoadedYear:
    created: int
    kept: int


def supported_countries() -> list[str]:
    return sorted(holidays.list_supported_countries())


def load_public_holidays(*, country: str, year: int, team: Team | None = None) -> LoadedYear:
    """Add a country's public holidays and days off (substituted ones included) for `year` as days off, and its
    weekend days made working days by decree as working days, to the company's calendar or a team's.

    Dates already in that calendar are kept as they are: an admin's correction (a shortened day, a company's own
    day off) is never overwritten by loading the year again. Names are in the active language when the country's
    data has it. The data comes with the installed `holidays` package (nothing is downloaded): a decree published
    after its release needs a newer package or the dates typed in."""
    code = country.strip().upper()
    if code not in holidays.list_supported_countries():
        raise InvalidInput({"country": [_("%(country)s: no holiday calendar for this country code (two letters, "
                                          "e.g. RU, KZ, US).") % {"country": country}]})
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput({"year": [_("The year must be between %(first)s and %(last)s.")
                                     % {"first": FIRST_YEAR, "last": LAST_YEAR}]})
    calendar = holidays.country_holidays(code, years=year, language=_holidays_language(code))
    wanted: dict[date, dict[str, Any]] = {
        day: {"is_working": False, "name": str(name)[:200]} for day, name in calendar.items()}
    for day in getattr(calendar, "weekend_workdays", set()):
        if day.year == year:
            wanted[day] = {"is_working": True, "name": _("Working day (transferred)")}
    if not wanted:
        raise InvalidInput({"year": [_("No holidays are known for %(country)s in %(year)s.")
                                     % {"country": code, "year": year}]})
    with transaction.atomic():
        existing = set(CalendarDay.objects.filter(team=team, day__in=wanted).values_list("day", flat=True))
        # In the routing history of the teams the dates apply to, and the memo of dates forgotten
        # (RecordedQuerySet.bulk_create).
        CalendarDay.objects.bulk_create([CalendarDay(day=day, team=team, **fields)
                                         for day, fields in sorted(wanted.items()) if day not in existing])
    return LoadedYear(created=len(wanted) - len(existing), kept=len(existing))


def _holidays_language(code: str) -> str | None:
    """The active language, or its nearest the country's data has ("en" → "en_US"); None: the data's own."""
    entity = holidays.country_holidays(code)
    supported = getattr(entity, "supported_languages", ()) or ()
    language = (translation.get_language() or "").replace("-", "_")
    for candidate in supported:
        if candidate.lower() == language.lower() or candidate.split("_")[0].lower() == language.lower():
            return candidate
    return None
