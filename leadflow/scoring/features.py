"""What the score learns from: facts a lead carries early in its life, the same for closed and open leads.

Label leakage is the danger here. A closed lead's card holds facts written *because* it closed: its
stage (won / lost), converted_at / refused_at, the system entries "Converted into a client" /
"Refused: ..." on its timeline, the tasks closed with it, a new owner after conversion. A model that saw
those would look perfect on the closed leads and know nothing about the open ones, which cannot have them.
So the features are only:

- what the lead arrived with (channel, source, campaign, medium, product, deal type, which fields the
  person filled in, the kind of e-mail address, consent, when it arrived by its team's working calendar), and
- what happened in its first LEADFLOW_SCORING_WINDOW_DAYS days *and before it closed*: the calls, e-mails,
  meetings, proposals and notes people logged (never the system entries), repeat requests, and how fast
  it was first contacted (in its team's working time, as speed to lead is counted).

Every closed lead is therefore described as it looked at min(created + window, closing time), and an
open lead as it looks at min(created + window, now): the same point of its life for both. Stage, owner,
team, lost reason and the closing times are never features (tests/test_leakage.py changes them and
checks the score does not move). The temperature is the one the lead had at that same point: its
changes are in the card's field history, so a purchase or a campaign after the cutoff (which often follow
a conversion and warm the card) does not reach the model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from leadflow.core.worktime import WorkCalendar, WorkingClock
from leadflow.leads.models import Activity, ActivityKind, FieldChange, Lead, LeadState, Request
from leadflow.leads.routing import team_calendar
from leadflow.matching.record import is_free_mail_domain

CATEGORY, FLAG, COUNT = "category", "flag", "count"
NONE = ""  # a category the lead does not have (no source, no product ...)


@dataclass(frozen=True)
class Feature:
    """One input of the model: its name (stable, stored in the model), kind and the label a reader sees."""

    name: str
    kind: str
    label: Promise


FEATURES: tuple[Feature, ...] = (
    Feature("channel", CATEGORY, _("channel")),
    Feature("source", CATEGORY, _("source")),
    Feature("campaign", CATEGORY, _("campaign")),
    Feature("medium", CATEGORY, _("medium")),
    Feature("product", CATEGORY, _("product interest")),
    Feature("deal_type", CATEGORY, _("deal type")),
    Feature("email_kind", CATEGORY, _("e-mail address")),
    Feature("arrival", CATEGORY, _("arrived")),
    Feature("first_contact", CATEGORY, _("first contact")),
    Feature("temperature", CATEGORY, _("temperature")),
    Feature("has_company", FLAG, _("company")),
    Feature("has_position", FLAG, _("position")),
    Feature("has_city", FLAG, _("city / region")),
    Feature("has_phone", FLAG, _("phone")),
    Feature("consent", FLAG, _("consent to be contacted")),
    Feature("calls", COUNT, _("calls")),
    Feature("emails", COUNT, _("e-mails")),
    Feature("meetings", COUNT, _("meetings")),
    Feature("proposals", COUNT, _("proposals sent")),
    Feature("notes", COUNT, _("notes")),
    Feature("repeat_requests", COUNT, _("repeat requests")),
)
BY_NAME = {feature.name: feature for feature in FEATURES}

ACTIVITY_FEATURE = {
    ActivityKind.CALL: "calls", ActivityKind.EMAIL: "emails", ActivityKind.MEETING: "meetings",
    ActivityKind.PROPOSAL: "proposals", ActivityKind.NOTE: "notes",
}

# Values Leadflow itself names (not typed by people): worded for the reader when shown.
VALUE_LABELS: dict[str, dict[str, Promise]] = {
    "email_kind": {"free": _("a free mail service"), "corporate": _("a company domain"), NONE: _("none")},
    "arrival": {"working": _("in working hours"), "evening": _("in the evening"), "night": _("at night"),
                "weekend": _("on a day off")},
    "first_contact": {
        "15m": _("within 15 working minutes"), "1h": _("within a working hour"), "1d": _("within a working day"),
        "later": _("later than a working day"), "none": _("none yet"),
    },
}
FLAG_LABELS = {True: pgettext_lazy("a field of the card", "given"), False: pgettext_lazy("a field", "not given")}
NONE_LABEL = pgettext_lazy("no value", "none")

Row = dict[str, str | float]


def window() -> timedelta:
    return timedelta(days=settings.LEADFLOW_SCORING_WINDOW_DAYS)


def closed_at(lead: Lead) -> datetime | None:
    """When a lead closed: converted or refused. Deferred and merged leads are not closed."""
    if lead.state == LeadState.CONVERTED:
        return lead.converted_at or lead.updated_at
    if lead.state == LeadState.REFUSED:
        return lead.refused_at or lead.updated_at
    return None


def cutoff(lead: Lead, now: datetime) -> datetime:
    """The moment a lead is described at: the end of its window, or its closing, or now, whichever is first."""
    return min(lead.created_at + window(), closed_at(lead) or now, now)


def _first_contact_band(lead: Lead, until: datetime, clock: WorkingClock) -> str:
    """How soon the lead was first contacted, counted as speed to lead is: from its reaching sales, in its team's
    working time. A lead in on Friday 17:55 and called on Monday 09:05 was called within 15 working minutes."""
    if lead.first_contacted_at is None or lead.first_contacted_at >= until:
        return "none"
    minutes = clock.seconds_between(lead.sales_since or lead.created_at, lead.first_contacted_at) / 60
    if minutes <= 15:
        return "15m"
    if minutes <= 60:
        return "1h"
    if minutes <= _working_day_minutes(clock.calendar):
        return "1d"
    return "later"


def _working_day_minutes(calendar: WorkCalendar) -> int:
    """The length of the team's usual working day in minutes (a whole day for a team without hours)."""
    if not calendar.has_hours:
        return 24 * 60
    closing = 24 * 60 if calendar.till_midnight else calendar.end.hour * 60 + calendar.end.minute
    return closing - (calendar.start.hour * 60 + calendar.start.minute)


def _arrival(lead: Lead, calendar: WorkCalendar) -> str:
    """When the lead arrived by its team's working calendar (the one its SLA is counted in): in working hours; on a
    day off (a weekend, a day the team does not work, a public holiday); or on a working day outside the hours, in
    the evening (after closing, until 23:00) or at night (until it opens)."""
    if calendar.is_working(lead.created_at):
        return "working"
    local = lead.created_at.astimezone(calendar.tz())
    if not calendar.is_working_day(local.date()):
        return "weekend"
    return "evening" if calendar.closes(local.date()) <= local and local.hour < 23 else "night"


def _email_kind(email: str) -> str:
    if not email or "@" not in email:
        return NONE
    return "free" if is_free_mail_domain(email.rsplit("@", 1)[1].lower()) else "corporate"


def rows_for(leads: Sequence[Lead], *, now: datetime | None = None) -> list[Row]:
    """The feature rows of these leads (their source, campaign and team loaded), in their order.

    Three queries for any number of leads: the leads are given, then their activities and requests.
    """
    now = now or timezone.now()
    ids = [lead.pk for lead in leads]
    limits = {lead.pk: cutoff(lead, now) for lead in leads}
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    activities = Activity.objects.filter(lead_id__in=ids, kind__in=list(ACTIVITY_FEATURE)).values_list(
        "lead_id", "kind", "occurred_at")
    for lead_id, kind, occurred_at in activities.iterator(chunk_size=5000):
        if occurred_at < limits[lead_id]:
            counts[lead_id][ACTIVITY_FEATURE[kind]] += 1
    for lead_id, created_at in Request.objects.filter(lead_id__in=ids).values_list("lead_id", "created_at"):
        if created_at < limits[lead_id]:
            counts[lead_id]["requests"] += 1
    temperatures = {lead.pk: lead.temperature for lead in leads}
    # Walk each lead's temperature changes from the newest back: the value before the first change at or after
    # the cutoff is the value at the cutoff.
    changes = FieldChange.objects.filter(lead_id__in=ids, field="temperature").order_by("-changed_at", "-id")
    for lead_id, old_value, changed_at in changes.values_list("lead_id", "old_value", "changed_at").iterator(
            chunk_size=5000):
        if changed_at >= limits[lead_id]:
            temperatures[lead_id] = old_value
    clocks: dict[int | None, WorkingClock] = {}
    for lead in leads:
        if lead.team_id not in clocks:
            clocks[lead.team_id] = WorkingClock(team_calendar(lead.team if lead.team_id else None))
    return [_row(lead, limits[lead.pk], counts[lead.pk], temperatures[lead.pk], clocks[lead.team_id])
            for lead in leads]


def _row(lead: Lead, until: datetime, counts: dict[str, int], temperature: str, clock: WorkingClock) -> Row:
    return {
        "channel": lead.channel or NONE,
        "source": (lead.source.name if lead.source_id and lead.source else lead.utm_source.strip().lower()) or NONE,
        "campaign": (lead.campaign.name if lead.campaign_id and lead.campaign
                     else lead.utm_campaign.strip().lower()) or NONE,
        "medium": lead.utm_medium.strip().lower() or NONE,
        "product": lead.product_interest.strip().casefold() or NONE,
        "deal_type": lead.deal_type or NONE,
        "email_kind": _email_kind(lead.email),
        "arrival": _arrival(lead, clock.calendar),
        "first_contact": _first_contact_band(lead, until, clock),
        "temperature": temperature or NONE,
        "has_company": float(bool(lead.company_name)),
        "has_position": float(bool(lead.position)),
        "has_city": float(bool(lead.city)),
        "has_phone": float(bool(lead.phone)),
        "consent": float(lead.consent_given),
        "calls": float(counts.get("calls", 0)),
        "emails": float(counts.get("emails", 0)),
        "meetings": float(counts.get("meetings", 0)),
        "proposals": float(counts.get("proposals", 0)),
        "notes": float(counts.get("notes", 0)),
        "repeat_requests": float(max(counts.get("requests", 0) - 1, 0)),
    }


def closed_leads() -> Iterable[Lead]:
    """Converted (the positive outcome) and refused leads, newest first, ready for rows_for."""
    return (Lead.objects.filter(state__in=[LeadState.CONVERTED, LeadState.REFUSED])
            .select_related("source", "campaign", "team").order_by("-created_at", "-id"))


def label(lead: Lead) -> int:
    return int(lead.state == LeadState.CONVERTED)


def _value_label(name: str, value: object) -> str:
    from leadflow.leads.models import Channel, DealType, Temperature

    feature = BY_NAME.get(name)
    if feature is None:
        return str(value)
    if feature.kind == FLAG:
        return str(FLAG_LABELS[bool(value)])
    if feature.kind == COUNT:
        return f"{float(value):g}"  # type: ignore[arg-type]
    if value == NONE and name not in VALUE_LABELS:
        return str(NONE_LABEL)
    choices = {"channel": Channel, "deal_type": DealType, "temperature": Temperature}.get(name)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(VALUE_LABELS.get(name, {}).get(str(value), value))


def describe(reason: dict[str, object]) -> str:
    """"+ source: Partner X", "− first contact: none yet": a reason in the reader's language."""
    name = str(reason.get("field", ""))
    feature = BY_NAME.get(name)
    label = str(feature.label) if feature else name
    sign = "+" if float(reason.get("effect", 0) or 0) >= 0 else "−"  # type: ignore[arg-type]
    return f"{sign} {label}: {_value_label(name, reason.get('value'))}"
