"""The fields a segment may filter on: a registry, each entry validating its value and building a Q.

A segment's conditions are a JSON object {field key: value}; every condition must hold. Rooms that
add facts about people register a field here in one line, e.g. (scoring, points)::

    register(NumberAtLeast("score", _("Predictive score at least"), "prediction__probability"))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadflow.core.errors import InvalidInput

LEADS, CLIENTS = "leads", "clients"


class Problem(ValueError):
    """A condition's value is wrong; the message names the problem."""


@dataclass
class Field:
    """One filterable fact. `lookup` is per audience (None: not available there)."""

    key: str
    label: Any
    lookups: dict[str, str | None]
    choices: Callable[[], list[tuple[str, str]]] | None = None

    def applies_to(self, audience: str) -> bool:
        return self.lookups.get(audience) is not None

    def clean(self, value: Any) -> Any:
        raise NotImplementedError

    def q(self, value: Any, audience: str, now: datetime | None = None) -> Q:
        raise NotImplementedError

    def is_empty(self, value: Any) -> bool:
        return value in (None, "", [], {})


@dataclass
class OneOf(Field):
    """The value is one of a list (state in [open, deferred]); empty list: no condition."""

    def clean(self, value: Any) -> list[str]:
        values = [value] if isinstance(value, (str, int)) else value
        if not isinstance(values, list) or not all(isinstance(v, (str, int)) for v in values):
            raise Problem(_("Give a list of values."))
        values = [str(v) for v in values]
        if self.choices is not None:
            allowed = {str(key) for key, _label in self.choices()}
            unknown = [v for v in values if v not in allowed]
            if unknown:
                raise Problem(_("Unknown value: %(values)s.") % {"values": ", ".join(unknown)})
        return values

    def q(self, value: list[str], audience: str, now: datetime | None = None) -> Q:
        lookup = self.lookups[audience]
        wanted = [v for v in value if v != "none"]
        condition = Q(**{f"{lookup}__in": wanted}) if wanted else Q(pk__in=[])
        if "none" in value:
            condition |= Q(**{f"{lookup}__isnull": True})
        return condition


@dataclass
class TextIs(Field):
    """Equal to one of the given texts, ignoring case (city, product interest, UTM medium)."""

    def clean(self, value: Any) -> list[str]:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise Problem(_("Give a text or a list of texts."))
        return [v.strip() for v in values if v.strip()]

    def q(self, value: list[str], audience: str, now: datetime | None = None) -> Q:
        lookup = self.lookups[audience]
        condition = Q(pk__in=[])
        for text in value:
            condition |= Q(**{f"{lookup}__iexact": text})
        return condition


@dataclass
class NumberAtLeast(Field):
    def clean(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise Problem(_("Give a number."))
        try:
            return float(value)
        except ValueError:
            raise Problem(_("Give a number.")) from None

    def q(self, value: float, audience: str, now: datetime | None = None) -> Q:
        return Q(**{f"{self.lookups[audience]}__gte": value})


@dataclass
class CreatedRange(Field):
    """{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "last_days": N}: any of them."""

    def clean(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or set(value) - {"from", "to", "last_days"}:
            raise Problem(_("Give from, to (dates) or last_days."))
        cleaned: dict[str, Any] = {}
        for end in ("from", "to"):
            if value.get(end):
                if not isinstance(value[end], str) or _date_or_none(value[end]) is None:
                    raise Problem(_("%(end)s is not a date (YYYY-MM-DD).") % {"end": end})
                cleaned[end] = value[end]
        if "from" in cleaned and "to" in cleaned and cleaned["from"] > cleaned["to"]:  # ISO dates sort as text
            raise Problem(_("from %(start)s is after to %(end)s: no one was created in between.")
                          % {"start": cleaned["from"], "end": cleaned["to"]})
        if value.get("last_days") not in (None, ""):
            cleaned["last_days"] = _positive(value["last_days"], "last_days")
        return cleaned

    def q(self, value: dict[str, Any], audience: str, now: datetime | None = None) -> Q:
        lookup = self.lookups[audience]
        condition = Q()
        # The site's days: the worker (UTC) and every viewer's page must agree on who is in the segment.
        zone = ZoneInfo(settings.LEADFLOW_TIME_ZONE)
        if value.get("from"):
            day = parse_date(value["from"])
            condition &= Q(**{f"{lookup}__gte": timezone.datetime.combine(day, timezone.datetime.min.time(), zone)})
        if value.get("to"):
            day = parse_date(value["to"]) + timedelta(days=1)
            condition &= Q(**{f"{lookup}__lt": timezone.datetime.combine(day, timezone.datetime.min.time(), zone)})
        if value.get("last_days"):
            condition &= Q(**{f"{lookup}__gte": (now or timezone.now()) - timedelta(days=value["last_days"])})
        return condition


def _positive(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Problem(_("%(name)s must be a whole number.") % {"name": name}) from None
    if number < 0:
        raise Problem(_("%(name)s may not be negative.") % {"name": name})
    return number


def _tag_choices() -> list[tuple[str, str]]:
    from leadflow.nurture.models import Tag

    return [(name, name) for name in Tag.objects.values_list("name", flat=True)]


@dataclass
class Tags(Field):
    """{"any": [names]} or {"all": [names]}."""

    def clean(self, value: Any) -> dict[str, list[str]]:
        if not isinstance(value, dict) or set(value) - {"any", "all"}:
            raise Problem(_("Give any or all with a list of tag names."))
        cleaned = {}
        known = {name for name, _label in _tag_choices()}
        for mode in ("any", "all"):
            names = value.get(mode) or []
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise Problem(_("Give a list of tag names."))
            unknown = [n for n in names if n not in known]
            if unknown:
                raise Problem(_("No such tag: %(names)s.") % {"names": ", ".join(unknown)})
            if names:
                cleaned[mode] = names
        return cleaned

    def q(self, value: dict[str, list[str]], audience: str, now: datetime | None = None) -> Q:
        from leadflow.nurture.models import Tag

        through = Tag.leads.through if audience == LEADS else Tag.clients.through
        column = "lead_id" if audience == LEADS else "client_id"
        condition = Q()
        if value.get("any"):
            condition &= Q(Exists(through.objects.filter(**{column: OuterRef("pk")}, tag__name__in=value["any"])))
        for name in value.get("all", []):
            condition &= Q(Exists(through.objects.filter(**{column: OuterRef("pk")}, tag__name=name)))
        return condition


def _event_choices() -> list[tuple[str, str]]:
    from leadflow.warming.models import EventKind

    return [(str(k), str(label)) for k, label in EventKind.choices]


@dataclass
class Events(Field):
    """A list of {"kind", "min_count" (≥, default 1), "days" (within the last days, default 30), "none": bool}.

    "none": true means no such event in that window (e.g. no purchase in 30 days).
    """

    def clean(self, value: Any) -> list[dict[str, Any]]:
        rows = [value] if isinstance(value, dict) else value
        if not isinstance(rows, list):
            raise Problem(_("Give a list of event conditions."))
        kinds = {k for k, _label in _event_choices()}
        cleaned = []
        for row in rows:
            if not isinstance(row, dict) or set(row) - {"kind", "min_count", "days", "none"}:
                raise Problem(_("An event condition has kind, min_count, days and none."))
            if not row.get("kind"):
                continue
            if row["kind"] not in kinds:
                raise Problem(_("Unknown event: %(kind)s.") % {"kind": row["kind"]})
            min_count = _positive(row.get("min_count") or 1, "min_count") or 1
            days = _positive(row.get("days") or 30, "days") or 30
            cleaned.append({"kind": row["kind"], "min_count": min_count, "days": days, "none": bool(row.get("none"))})
        return cleaned

    def q(self, value: list[dict[str, Any]], audience: str, now: datetime | None = None) -> Q:
        from django.db.models import Count

        from leadflow.warming.models import BehaviourEvent

        column = "lead" if audience == LEADS else "client"
        condition = Q()
        for row in value:
            since = (now or timezone.now()) - timedelta(days=row["days"])
            events = BehaviourEvent.objects.filter(**{column: OuterRef("pk")}, kind=row["kind"], occurred_at__gte=since)
            if row["none"]:
                condition &= ~Q(Exists(events))
            elif row["min_count"] <= 1:
                condition &= Q(Exists(events))
            else:
                # EXISTS over a grouped count: the (lead, kind, occurred_at) index answers it per person.
                counted = events.values(column).annotate(n=Count("pk")).filter(n__gte=row["min_count"])
                condition &= Q(Exists(counted))
        return condition


@dataclass
class Browsing(Field):
    """{"minutes": N, "days": D}: page views totalling at least N minutes within the last D days."""

    def clean(self, value: Any) -> dict[str, int]:
        if not isinstance(value, dict) or set(value) - {"minutes", "days"}:
            raise Problem(_("Give minutes and days."))
        if value.get("minutes") in (None, ""):
            return {}
        return {"minutes": _positive(value["minutes"], "minutes"), "days": _positive(value.get("days") or 7, "days")}

    def q(self, value: dict[str, int], audience: str, now: datetime | None = None) -> Q:
        return Q(Exists(browsing_subquery(audience, minutes=value["minutes"], days=value["days"], now=now)))


def browsing_subquery(audience: str, *, minutes: int, days: int, now: Any = None) -> QuerySet:
    from leadflow.warming.models import BehaviourEvent, EventKind

    column = "lead" if audience == LEADS else "client"
    since = (now or timezone.now()) - timedelta(days=days)
    return (
        BehaviourEvent.objects.filter(**{column: OuterRef("pk")}, kind=EventKind.PAGE_VIEW, occurred_at__gte=since)
        .values(column).annotate(seconds=Sum("duration_seconds")).filter(seconds__gte=minutes * 60)
    )


@dataclass
class MarketingConsent(Field):
    """True: the latest marketing consent record (by card or address) gives consent; False: it does not."""

    def clean(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise Problem(_("Give true or false."))
        return value

    def is_empty(self, value: Any) -> bool:
        return value is None or value == ""

    def q(self, value: bool, audience: str, now: datetime | None = None) -> Q:
        from django.db.models import BooleanField, Subquery, Value
        from django.db.models.functions import Coalesce
        from django.db.models.lookups import Exact

        from leadflow.privacy.models import Consent, Purpose

        column = "lead" if audience == LEADS else "client"
        email = "email" if audience == LEADS else "contact__email"
        # The latest record wins, whether it is on the card or on the address (has_consent's rule).
        latest = Consent.objects.filter(
            Q(**{column: OuterRef("pk")}) | Q(email=OuterRef(email), email__gt=""), purpose=Purpose.MARKETING,
        ).order_by("-at", "-pk").values("given")[:1]
        given = Coalesce(Subquery(latest, output_field=BooleanField()), Value(False))
        return Q(Exact(given, value))


@dataclass
class PointsAtLeast(NumberAtLeast):
    """Warming points now (fit points plus behaviour points faded to this moment) at least x, exactly.

    Points = f + b × 2^(−(now − as_of) / half-life) with f the fit points and b the fading points as of their
    last change. With LeadScore.fading_anchor = log2|b| + as_of / half-life, and for one value of f:
    f ≥ x holds for b ≥ 0; for f < x and b > 0 it is anchor ≥ log2(x − f) + now / half-life; for f > x and
    b < 0 (points taken away, fading back up) anchor ≤ log2(f − x) + now / half-life; never otherwise.
    Fit values are few (sums of the fit rules), so this is one index range on (fit_points, fading_anchor)
    per fit value, read from the points as stored, with no point recomputed row by row."""

    def q(self, value: float, audience: str, now: datetime | None = None) -> Q:
        from leadflow.warming import services as warming
        from leadflow.warming.models import LeadScore

        half_life_days = warming.policy().half_life_days
        moment = warming.half_lives_since_epoch(now or timezone.now(), half_life_days)
        least = float(value)
        rows = Q(fit_points__gte=least, behaviour_points__gte=0)
        for fit in LeadScore.objects.order_by().values_list("fit_points", flat=True).distinct():
            if fit < least:
                rows |= Q(fit_points=fit, behaviour_points__gt=0,
                          fading_anchor__gte=math.log2(least - fit) + moment)
            elif fit > least:
                rows |= Q(fit_points=fit, behaviour_points__lt=0,
                          fading_anchor__lte=math.log2(fit - least) + moment)
        column = "pk" if audience == LEADS else "lead_id"
        condition = Q(**{f"{column}__in": LeadScore.objects.filter(rows).values("lead_id")})
        if least <= 0:  # no points row at all is zero points
            scored = LeadScore.objects.filter(lead_id=OuterRef(column))
            condition |= ~Q(Exists(scored)) if audience == LEADS else (Q(lead__isnull=False) & ~Q(Exists(scored)))
        return condition


def _choices_of(model_path: str, label_field: str = "name", key: str = "pk",
                translated: bool = False) -> Callable[[], list[tuple[str, str]]]:
    """`translated`: the stored label is an English name the catalogue words (the default stages: "Proposal sent")."""
    def read() -> list[tuple[str, str]]:
        model = apps.get_model(model_path)
        return [(str(k), _(v) if translated and v else str(v)) for k, v in model.objects.values_list(key, label_field)]

    return read


def _users() -> list[tuple[str, str]]:
    from leadflow.accounts.models import User

    return [("none", str(gettext_lazy("nobody"))), *[(str(u.pk), u.display_name()) for u in User.objects.all()]]


def _text_choices(path: str) -> Callable[[], list[tuple[str, str]]]:
    def read() -> list[tuple[str, str]]:
        module, name = path.rsplit(".", 1)
        import importlib

        return [(str(k), str(v)) for k, v in getattr(importlib.import_module(module), name).choices]

    return read


FIELDS: dict[str, Field] = {}


def register(entry: Field) -> Field:
    FIELDS[entry.key] = entry
    return entry


register(OneOf("state", gettext_lazy("State"), {LEADS: "state"}, _text_choices("leadflow.leads.models.LeadState")))
register(OneOf("stage", gettext_lazy("Stage"), {LEADS: "stage__code"}, _choices_of("leads.Stage", "name", "code",
                                                                                    translated=True)))
register(OneOf("temperature", gettext_lazy("Temperature"), {LEADS: "temperature", CLIENTS: "lead__temperature"},
               _text_choices("leadflow.leads.models.Temperature")))
register(OneOf("source", gettext_lazy("Source"), {LEADS: "source_id", CLIENTS: "lead__source_id"},
               _choices_of("marketing.Source")))
register(OneOf("campaign", gettext_lazy("Campaign"), {LEADS: "campaign_id", CLIENTS: "lead__campaign_id"},
               _choices_of("marketing.Campaign")))
register(TextIs("medium", gettext_lazy("UTM medium"), {LEADS: "utm_medium", CLIENTS: "lead__utm_medium"}))
register(OneOf("team", gettext_lazy("Team"), {LEADS: "team_id", CLIENTS: "team_id"}, _choices_of("accounts.Team")))
register(OneOf("owner", gettext_lazy("Owner"), {LEADS: "owner_id", CLIENTS: "owner_id"}, _users))
register(TextIs("city", gettext_lazy("City / region"), {LEADS: "city", CLIENTS: "company__city"}))
register(TextIs("product_interest", gettext_lazy("Product interest"),
                {LEADS: "product_interest", CLIENTS: "lead__product_interest"}))
register(OneOf("deal_type", gettext_lazy("Deal type"), {LEADS: "deal_type", CLIENTS: "lead__deal_type"},
               _text_choices("leadflow.leads.models.DealType")))
register(CreatedRange("created", gettext_lazy("Created"), {LEADS: "created_at", CLIENTS: "created_at"}))
register(Tags("tags", gettext_lazy("Tags"), {LEADS: "tags", CLIENTS: "tags"}))
register(Events("events", gettext_lazy("Behaviour events"), {LEADS: "behaviour_events", CLIENTS: "behaviour_events"}))
register(Browsing("browsing", gettext_lazy("Browsing time"), {LEADS: "behaviour_events", CLIENTS: "behaviour_events"}))
register(MarketingConsent("marketing_consent", gettext_lazy("Marketing consent"),
                          {LEADS: "consents", CLIENTS: "consents"}))


def _optional_fields() -> None:
    """Facts other rooms keep, available only when the room is installed."""
    if apps.is_installed("leadflow.scoring") and "score" not in FIELDS:
        register(NumberAtLeast("score", gettext_lazy("Predictive score at least (0-1)"),
                               {LEADS: "prediction__probability", CLIENTS: "lead__prediction__probability"}))
    if apps.is_installed("leadflow.warming") and "points" not in FIELDS:
        # A client's points are those of the lead it came from (warming keeps points per lead only).
        register(PointsAtLeast("points", gettext_lazy("Points now at least (with fading)"),
                               {LEADS: "score", CLIENTS: "lead__score"}))


def fields_for(audience: str) -> list[Field]:
    _optional_fields()
    return [entry for entry in FIELDS.values() if entry.applies_to(audience)]


def validate_conditions(audience: str, conditions: Any) -> dict[str, Any]:
    """Conditions cleaned, or InvalidInput naming each bad field and its problem."""
    if audience not in (LEADS, CLIENTS):
        raise InvalidInput({"audience": [_("Choose leads or clients.")]})
    if not isinstance(conditions, dict):
        raise InvalidInput({"conditions": [_("Conditions are an object of field: value.")]})
    available = {entry.key: entry for entry in fields_for(audience)}
    cleaned: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for key, value in conditions.items():
        entry = available.get(key)
        if entry is None:
            problems[key] = [_("Not a field segments of this kind can filter on.")]
            continue
        if entry.is_empty(value):
            continue
        try:
            value = entry.clean(value)
        except Problem as error:
            problems[key] = [str(error)]
            continue
        if not entry.is_empty(value):
            cleaned[key] = value
    if problems:
        raise InvalidInput(problems)
    return cleaned


def base_queryset(audience: str) -> QuerySet:
    from leadflow.clients.models import Client
    from leadflow.leads.models import Lead

    return Lead.objects.live() if audience == LEADS else Client.objects.all()


def members(audience: str, conditions: dict[str, Any], *, now: datetime | None = None) -> QuerySet:
    """The people matching cleaned conditions at `now` (EXISTS subqueries; no joins that multiply rows)."""
    _optional_fields()
    qs = base_queryset(audience)
    for key, value in conditions.items():
        qs = qs.filter(FIELDS[key].q(value, audience, now=now))
    return qs


def _date_or_none(text: str) -> date | None:
    """The date, or None for text that is no date, including well-formed ones like 2026-02-30."""
    try:
        return parse_date(text)
    except ValueError:
        return None
