"""Who asks for which figures, and over what: the period (local days), the slice and the scope."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.accounts.models import Role, Team, TeamMembership, User
from leadflow.core.errors import Forbidden, InvalidInput
from leadflow.core.inputs import MAX_INT, text_problem
from leadflow.leads.querysets import headed_team_ids

INTERVALS = ("day", "week", "month")
DEFAULT_DAYS = 30
MAX_DAYS = 3660
DIMENSIONS = ("team", "manager", "source", "medium", "campaign", "form", "partner")


def user_zone(user: User) -> ZoneInfo:
    """The zone the pages show this user (their own, else their team's, else the site's): days are its days."""
    from leadflow.accounts.middleware import zone_name_of

    try:
        return ZoneInfo(zone_name_of(user))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.LEADFLOW_TIME_ZONE)


def is_marketer(user: User) -> bool:
    return user.role == Role.MARKETER and not user.is_admin


@dataclass
class ReportFilter:
    """A report's question: local days `start`..`end` (inclusive) in `zone`, and an optional slice."""

    start: date
    end: date
    zone: ZoneInfo
    interval: str = "day"
    team: int | None = None
    manager: int | None = None
    source: int | None = None
    medium: str = ""
    campaign: int | None = None
    form: int | None = None
    partner: int | None = None
    now: datetime = field(default_factory=timezone.now)

    @property
    def since(self) -> datetime:
        """The first instant of the first local day (stored times are UTC; the day is the user's)."""
        return datetime.combine(self.start, time.min, tzinfo=self.zone)

    @property
    def until(self) -> datetime:
        """The first instant after the last local day."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def has_sales_slice(self) -> bool:
        """Sliced by something clicks and ad spend cannot be attributed to."""
        return any(v is not None for v in (self.team, self.manager, self.form, self.partner))

    def as_params(self) -> dict[str, str]:
        params = {"start": self.start.isoformat(), "end": self.end.isoformat(), "interval": self.interval}
        for name in DIMENSIONS:
            value = getattr(self, name)
            if value not in (None, ""):
                params[name] = str(value)
        return params


def _int(params: Mapping[str, str], name: str, errors: dict[str, list[str]]) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):  # "²" is a digit to str.isdigit, not to int()
        errors[name] = [_("Expected a number (an id), got “%(value)s”.") % {"value": raw[:40]}]
        return None
    if int(raw) > MAX_INT:
        errors[name] = [_("The number is too large.")]
        return None
    return int(raw)


def _date(params: Mapping[str, str], name: str, errors: dict[str, list[str]]) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = [_("Expected a date as YYYY-MM-DD, got “%(value)s”.") % {"value": raw[:40]}]
        return None


def parse_filter(params: Mapping[str, str], user: User, *, now: datetime | None = None) -> ReportFilter:
    """Read a report's filter from query parameters; a bad value names its field (InvalidInput)."""
    errors: dict[str, list[str]] = {}
    for name, value in params.items():
        problem = text_problem(name) or text_problem(value or "")
        if problem:
            errors[name] = [problem]
    if errors:
        raise InvalidInput(errors)
    zone = user_zone(user)
    now = now or timezone.now()
    today = now.astimezone(zone).date()
    end = _date(params, "end", errors) or today
    start = _date(params, "start", errors) or end - timedelta(days=DEFAULT_DAYS - 1)
    if "start" not in errors and "end" not in errors:
        if start > end:
            errors["start"] = [_("The period starts after it ends.")]
        elif (end - start).days > MAX_DAYS:
            errors["start"] = [_("The period may be at most ten years long.")]
    interval = (params.get("interval") or "day").strip()
    if interval not in INTERVALS:
        errors["interval"] = [_("Expected day, week or month.")]
    values = {name: _int(params, name, errors) for name in ("team", "manager", "source", "campaign", "form",
                                                             "partner")}
    medium = (params.get("medium") or "").strip()[:120]
    if errors:
        raise InvalidInput(errors)
    report_filter = ReportFilter(start=start, end=end, zone=zone, interval=interval, medium=medium, now=now,
                                 **values)
    check_slice(report_filter, user)
    return report_filter


def check_slice(report_filter: ReportFilter, user: User) -> None:
    """A head may slice by own teams and their people only; a manager sees own figures only."""
    if user.is_admin or is_marketer(user):
        return
    if user.role == Role.HEAD:
        teams = headed_team_ids(user)
        if report_filter.team is not None and report_filter.team not in teams:
            raise Forbidden(_("You may see the figures of your own teams only."))
        # A person who was in the head's team for part of the period: the head reads that part (members_during).
        if report_filter.manager is not None and report_filter.manager != user.pk and not members_during(
            teams, report_filter
        ).filter(user_id=report_filter.manager).exists():
            raise Forbidden(_("You may see the figures of your own teams only."))
        return
    if user.role == Role.MANAGER:
        if report_filter.manager not in (None, user.pk):
            raise Forbidden(_("You may see your own figures only."))
        report_filter.manager = user.pk
        return
    raise Forbidden(_("Your role has no reports."))


def lead_scope(user: User) -> Q:
    """Leads whose figures the user may see (marketers see aggregates over all, never a lead's data)."""
    if user.is_admin or is_marketer(user):
        return Q()
    if user.role == Role.HEAD:
        return Q(team_id__in=headed_team_ids(user)) | Q(owner=user)
    return Q(owner=user)


def client_scope(user: User) -> Q:
    if user.is_admin or is_marketer(user):
        return Q()
    if user.role == Role.HEAD:
        return Q(team_id__in=headed_team_ids(user)) | Q(owner=user)
    return Q(owner=user)


def members_during(teams: list[int], report_filter: ReportFilter) -> QuerySet[TeamMembership]:
    """Memberships of `teams` that overlap the report's period (a manager who moved mid-month is in both teams'
    month, each for their part of it)."""
    return TeamMembership.objects.filter(
        Q(since__isnull=True) | Q(since__lt=report_filter.until),
        Q(until__isnull=True) | Q(until__gt=report_filter.since), team_id__in=teams,
    )


def in_teams_at(teams: list[int], person: str, moment: str | None) -> Q:
    """Rows whose person (the field `person`) was in one of `teams` at the row's `moment` (a field; None: now).

    Work counts for the team its doer was in when it was done (DOMAIN.md 19: past periods stay as they were when a
    manager moves on). One correlated lookup per row on the (user, team, since) index, inside the report's query."""
    held = TeamMembership.objects.filter(user_id=OuterRef(person), team_id__in=teams)
    if moment is None:
        held = held.filter(until__isnull=True)
    else:
        held = held.filter(Q(since__isnull=True) | Q(since__lte=OuterRef(moment)),
                           Q(until__isnull=True) | Q(until__gt=OuterRef(moment)))
    return Q(Exists(held))


def report_teams(user: User, report_filter: ReportFilter) -> list[int] | None:
    """The teams whose work a people report counts: the one sliced by, else a head's own; None: everyone's."""
    if report_filter.team is not None:
        return [report_filter.team]
    if user.role == Role.HEAD and not user.is_admin:
        return headed_team_ids(user)
    return None


def people_in_scope(user: User, report_filter: ReportFilter, *, include_inactive: bool = False) -> QuerySet[User]:
    """The managers (and heads) a managers' work report lists; `include_inactive` adds those who left (their past
    work stays in the reports of the periods they worked). A team's people are those in it during the period, by
    the membership history, not those in it today."""
    people = User.objects.filter(role__in=[Role.MANAGER, Role.HEAD])
    if not include_inactive:
        people = people.filter(is_active=True)
    if user.role == Role.MANAGER and not user.is_admin:
        people = User.objects.filter(pk=user.pk)
    elif user.role == Role.HEAD and not user.is_admin:
        people = people.filter(Q(pk__in=members_during(headed_team_ids(user), report_filter).values("user_id"))
                               | Q(pk=user.pk))
    if report_filter.team is not None:
        people = people.filter(pk__in=members_during([report_filter.team], report_filter).values("user_id"))
    if report_filter.manager is not None:
        people = people.filter(pk=report_filter.manager)
    return people.order_by("first_name", "last_name", "username")


def teams_in_scope(user: User) -> QuerySet[Team]:
    if user.is_admin or is_marketer(user):
        return Team.objects.order_by("name")
    if user.role == Role.HEAD:
        return Team.objects.filter(pk__in=headed_team_ids(user)).order_by("name")
    return Team.objects.none()
