"""Behaviour events, points and temperature: every write of the warming room.

Other rooms react to the `behaviour.recorded` outbox event (nurture sequences). Points are kept per lead
incrementally (models.LeadScore); crossing a threshold changes the temperature through `set_temperature`,
and reaching "hot" hands a lead that is still with marketing to sales (`hand_to_sales`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leadflow.core import rows
from leadflow.core.memo import Memo
from leadflow.events.services import record_event
from leadflow.leads.models import (
    Activity,
    ActivityKind,
    FieldChange,
    Lead,
    LeadState,
    Temperature,
    system_result,
    system_text,
)
from leadflow.warming.models import (
    BehaviourEvent,
    EntryKind,
    FitAttribute,
    FitRule,
    LeadScore,
    PointsPolicy,
    PointsRule,
    ScoreEntry,
    Visitor,
)

BEHAVIOUR_TEXT = gettext_noop("%(points)s %(event)s on %(date)s")
CAPPED_TEXT = gettext_noop("%(points)s %(event)s on %(date)s (capped: at most %(cap)s per %(days)s days)")
FIT_TEXT = gettext_noop("%(points)s fits the profile: %(rule)s")
UNFIT_TEXT = gettext_noop("%(points)s no longer fits: %(rule)s")
RANK = {Temperature.COLD: 0, Temperature.WARM: 1, Temperature.HOT: 2}
# Sales states: a lead in one of them is already with sales, so reaching "hot" hands nothing over.
CLOSED_STATES = {LeadState.REFUSED, LeadState.CONVERTED, LeadState.MERGED}

_config = Memo("warming.PointsPolicy", "warming.PointsRule", "warming.FitRule")

HOT_AGAIN = system_result(gettext_noop("The lead is hot again"))  # a task closed because marketing warmed it


def policy() -> PointsPolicy:
    """The one settings row (created with defaults on first use)."""

    def load() -> PointsPolicy:
        return PointsPolicy.objects.order_by("pk").first() or PointsPolicy.objects.create()

    return _config.get("policy", load)


def _rules_for(kind: str) -> list[PointsRule]:
    return _config.get(("rules", kind), lambda: list(PointsRule.objects.filter(kind=kind, is_active=True)))


def _fit_rules() -> list[FitRule]:
    return _config.get("fit", lambda: list(FitRule.objects.filter(is_active=True)))


# ---------------------------------------------------------------- the arithmetic


def fade(points: float, *, since: datetime, now: datetime, half_life_days: float) -> float:
    """What `points` earned at `since` are worth at `now`: halved every half-life (never grown for a future date)."""
    age_days = max((now - since).total_seconds(), 0.0) / 86400.0
    return points * 0.5 ** (age_days / half_life_days)


def points_now(score: LeadScore, *, now: datetime, settings: PointsPolicy | None = None) -> float:
    settings = settings or policy()
    # Exact both ways: before `as_of` too (the stored sum is a value at one moment of the same curve).
    age_days = (now - score.as_of).total_seconds() / 86400.0
    return score.fit_points + score.behaviour_points * 0.5 ** (age_days / settings.half_life_days)


def fading_anchor(behaviour_points: float, *, as_of: datetime, half_life_days: float) -> float | None:
    """log2(|points|) + as_of in half-lives since 1970: see LeadScore.fading_anchor (None for no points)."""
    if behaviour_points == 0:
        return None
    return math.log2(abs(behaviour_points)) + as_of.timestamp() / 86400.0 / half_life_days


def half_lives_since_epoch(moment: datetime, half_life_days: float) -> float:
    return moment.timestamp() / 86400.0 / half_life_days


def _anchor(score: LeadScore, settings: PointsPolicy) -> None:
    score.fading_anchor = fading_anchor(score.behaviour_points, as_of=score.as_of,
                                        half_life_days=settings.half_life_days)


def temperature_for(points: float, settings: PointsPolicy | None = None) -> str:
    settings = settings or policy()
    if points >= settings.hot_at:
        return Temperature.HOT
    if points >= settings.warm_at:
        return Temperature.WARM
    return Temperature.COLD


def cooling_moment(score: LeadScore, *, temperature: str, settings: PointsPolicy | None = None) -> datetime | None:
    """When the fading points drop below the floor of `temperature` (None: never by fading alone)."""
    settings = settings or policy()
    floor = {Temperature.HOT: settings.hot_at, Temperature.WARM: settings.warm_at}.get(temperature)
    if floor is None or score.behaviour_points <= 0:
        return None
    above = floor - score.fit_points  # what the fading part must stay at or above
    if above <= 0:
        return None
    if score.behaviour_points < above:
        return score.as_of  # already below (e.g. a manager set it warmer than the points say)
    days = settings.half_life_days * math.log2(score.behaviour_points / above)
    # One second later: at the exact moment the points equal the floor, which still counts as inside.
    return score.as_of + timedelta(days=days, seconds=1)


def _locked_score(lead: Lead, now: datetime) -> LeadScore:
    """The lead's points row under a row lock (created on first use)."""
    try:
        with transaction.atomic():
            LeadScore.objects.get_or_create(lead=lead, defaults={"as_of": now})
    except IntegrityError:  # created by a concurrent event meanwhile
        pass
    return LeadScore.objects.select_for_update().get(lead=lead)


def _carry(score: LeadScore, *, now: datetime, settings: PointsPolicy) -> None:
    """Move the fading sum forward to `now` (same value, later reference moment)."""
    if now > score.as_of:
        score.behaviour_points = fade(score.behaviour_points, since=score.as_of, now=now,
                                      half_life_days=settings.half_life_days)
        score.as_of = now


# ---------------------------------------------------------------- recording events


def lead_of_visitor(visitor_id: str) -> Lead | None:
    if not visitor_id:
        return None
    # Most tracked visitors are anonymous: one indexed read of the id (plain SQL, on every page view), and the
    # lead is loaded only for a visitor known to be one.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT lead_id FROM {connection.ops.quote_name(Visitor._meta.db_table)} "  # noqa: S608
                       "WHERE visitor_id = %s", [visitor_id])
        row = cursor.fetchone()
    if row is None:
        return None
    lead = Lead.objects.get(pk=row[0])
    if lead.state == LeadState.MERGED and lead.merged_into_id:
        return Lead.objects.get(pk=lead.merged_into_id)
    return lead


@transaction.atomic(savepoint=False)  # no savepoint of its own: an error rolls the caller's transaction back anyway
def record_behaviour(
    kind: str, *, lead: Any = None, client: Any = None, visitor_id: str = "", occurred_at: datetime | None = None,
    url: str = "", duration_seconds: int | None = None, properties: dict[str, Any] | None = None,
) -> BehaviourEvent:
    """Store one event and announce it (payload: event_id, kind, lead_id, client_id, visitor_id).

    An event of a visitor already known to be a lead joins that lead at once; the lead's points follow."""
    if lead is None and client is None and visitor_id:
        lead = lead_of_visitor(visitor_id)
    event = rows.create(
        BehaviourEvent, kind=kind, lead=lead, client=client, visitor_id=visitor_id,
        occurred_at=occurred_at or timezone.now(), url=url, duration_seconds=duration_seconds,
        properties=properties or {},
    )
    record_event(
        "behaviour.recorded", event_id=event.pk, kind=kind, lead_id=getattr(lead, "pk", None),
        client_id=getattr(client, "pk", None), visitor_id=visitor_id,
    )
    if lead is not None:
        score_events(lead=lead, events=[event])
    return event


def rule_matches(rule: PointsRule, event: BehaviourEvent) -> bool:
    if rule.kind != event.kind:
        return False
    if rule.url_contains and rule.url_contains.casefold() not in event.url.casefold():
        return False
    if rule.path_prefix and not urlsplit(event.url).path.startswith(rule.path_prefix):
        return False
    if rule.min_duration_seconds and (event.duration_seconds or 0) < rule.min_duration_seconds:
        return False
    if rule.property_name:
        value = (event.properties or {}).get(rule.property_name)
        if value is None:
            return False
        shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
        if shown.casefold() != rule.property_value.casefold():
            return False
    return True


def _capped(rule: PointsRule, lead: Lead, event: BehaviourEvent) -> int:
    """The rule's points for this event after its cap per period (0: the cap is used up)."""
    if rule.cap_points is None:
        return rule.points
    since = event.occurred_at - timedelta(days=rule.cap_days)
    given = ScoreEntry.objects.filter(
        lead=lead, rule=rule, occurred_at__gt=since, occurred_at__lte=event.occurred_at,
    ).aggregate(total=Sum("points"))["total"] or 0
    room = rule.cap_points - abs(given)
    if room <= 0:
        return 0
    return min(rule.points, room) if rule.points > 0 else max(rule.points, -room)


def score_events(*, lead: Lead, events: Iterable[BehaviourEvent], now: datetime | None = None) -> list[ScoreEntry]:
    """Apply the points rules to a lead's events (new, or earlier anonymous ones that just joined)."""
    now = now or timezone.now()
    settings = policy()
    with transaction.atomic():
        score = _locked_score(lead, now)
        before = points_now(score, now=now, settings=settings)
        _carry(score, now=now, settings=settings)
        entries = []
        for event in sorted(events, key=lambda e: (e.occurred_at, e.pk)):
            for rule in _rules_for(event.kind):
                if not rule_matches(rule, event):
                    continue
                points = _capped(rule, lead, event)
                if points == 0:
                    continue
                params: dict[str, Any] = {"kind": event.kind}
                text = BEHAVIOUR_TEXT
                if points != rule.points:
                    text, params = CAPPED_TEXT, {**params, "cap": rule.cap_points, "days": rule.cap_days}
                try:
                    with transaction.atomic():
                        entry = ScoreEntry.objects.create(
                            lead=lead, points=points, rule=rule, event=event, text_key=text, text_params=params,
                            occurred_at=event.occurred_at, created_at=now,
                        )
                except IntegrityError:  # this event already scored by this rule
                    continue
                entries.append(entry)
                score.behaviour_points += fade(points, since=event.occurred_at, now=now,
                                               half_life_days=settings.half_life_days)
        if not entries:
            return []
        _settle(lead, score, before=before, now=now, settings=settings, reason="points")
    return entries


def _settle(lead: Lead, score: LeadScore, *, before: float, now: datetime, settings: PointsPolicy,
            reason: str) -> None:
    """Save the points; a crossed threshold changes the temperature; note when it cools down next."""
    after = points_now(score, now=now, settings=settings)
    _anchor(score, settings)
    score.save()
    old_band, new_band = temperature_for(before, settings), temperature_for(after, settings)
    temperature = lead.temperature
    if new_band != old_band:
        lead = set_temperature(lead, new_band, by=None, reason=reason)
        temperature = lead.temperature
    score.cools_at = cooling_moment(score, temperature=temperature, settings=settings) \
        if temperature == new_band else None
    LeadScore.objects.filter(pk=score.pk).update(cools_at=score.cools_at)


# ---------------------------------------------------------------- anonymous visitors identify themselves


def join_visitor(*, visitor_id: str, lead: Lead, now: datetime | None = None) -> int:
    """The visitor turned out to be this lead: remember it, and their earlier anonymous events join the lead
    (and score). Returns how many events joined."""
    if not visitor_id or lead.state == LeadState.MERGED:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        Visitor.objects.update_or_create(visitor_id=visitor_id, defaults={"lead": lead, "identified_at": now})
        anonymous = BehaviourEvent.objects.select_for_update().filter(
            visitor_id=visitor_id, lead__isnull=True, client__isnull=True)
        events = list(anonymous)
        if not events:
            return 0
        BehaviourEvent.objects.filter(pk__in=[e.pk for e in events]).update(lead=lead)
        for event in events:
            event.lead = lead
        score_events(lead=lead, events=events, now=now)
        record_event("behaviour.joined", lead_id=lead.pk, visitor_id=visitor_id, events=len(events))
    return len(events)


# ---------------------------------------------------------------- fit: who the person is


def fit_matches(rule: FitRule, lead: Lead) -> bool:
    if rule.attribute == FitAttribute.COMPANY_SIZE:
        size = lead.company_size
        if size is None:
            return False
        return (rule.min_size is None or size >= rule.min_size) and (rule.max_size is None or size <= rule.max_size)
    if rule.attribute == FitAttribute.POSITION:
        title = lead.position.casefold()
        return bool(title) and any(word in title for word in rule.value_list())
    value = {FitAttribute.REGION: lead.city, FitAttribute.PRODUCT: lead.product_interest}[rule.attribute]
    return bool(value) and value.strip().casefold() in rule.value_list()


def evaluate_fit(*, lead: Lead, now: datetime | None = None) -> int:
    """Give or take back the fit rules' points as the person's profile now says; returns the fit points."""
    now = now or timezone.now()
    settings = policy()
    with transaction.atomic():
        score = _locked_score(lead, now)
        before = points_now(score, now=now, settings=settings)
        # Which fit rules currently hold their points: the sum of their entries per rule.
        held = {row["fit_rule"]: row["total"] for row in ScoreEntry.objects.filter(
            lead=lead, fit_rule__isnull=False).values("fit_rule").annotate(total=Sum("points")) if row["total"]}
        rules = {rule.pk: rule for rule in _fit_rules()}
        changed = False
        for rule in rules.values():
            fits = fit_matches(rule, lead)
            if fits and rule.pk not in held:
                ScoreEntry.objects.create(lead=lead, entry_kind=EntryKind.FIT, points=rule.points, fit_rule=rule,
                                          text_key=FIT_TEXT, text_params={"rule": rule.name}, occurred_at=now,
                                          created_at=now)
                changed = True
            elif not fits and rule.pk in held:
                ScoreEntry.objects.create(lead=lead, entry_kind=EntryKind.UNFIT, points=-held[rule.pk],
                                          fit_rule=rule, text_key=UNFIT_TEXT, text_params={"rule": rule.name},
                                          occurred_at=now, created_at=now)
                changed = True
        for rule_id, total in held.items():  # a rule switched off or deleted stops counting
            if rule_id not in rules and rule_id is not None:
                name = FitRule.objects.filter(pk=rule_id).values_list("name", flat=True).first() or str(rule_id)
                ScoreEntry.objects.create(lead=lead, entry_kind=EntryKind.UNFIT, points=-total, fit_rule_id=rule_id,
                                          text_key=UNFIT_TEXT, text_params={"rule": name}, occurred_at=now,
                                          created_at=now)
                changed = True
        if not changed:
            return score.fit_points
        score.fit_points = ScoreEntry.objects.filter(lead=lead, fit_rule__isnull=False).aggregate(
            total=Sum("points"))["total"] or 0
        _carry(score, now=now, settings=settings)
        _settle(lead, score, before=before, now=now, settings=settings, reason="fit")
    return score.fit_points


# ---------------------------------------------------------------- temperature and the hand-off to sales


def set_temperature(lead: Lead, value: str, *, by: Any, reason: str) -> Lead:
    """Change a lead's temperature (points, fading, fit or a manager's edit); reaching "hot" hands a lead
    that marketing is nurturing, or a deferred one, to sales. Every route to "hot" comes through here."""
    from leadflow.leads.services import _lock

    if value not in Temperature.values:
        from leadflow.core.errors import InvalidInput

        raise InvalidInput({"temperature": [_("Unknown temperature.")]})
    with transaction.atomic():
        lead = _lock(lead)
        old = lead.temperature
        if old == value:
            return lead
        lead.temperature = value
        lead.save(update_fields=["temperature", "updated_at"])
        FieldChange.objects.create(lead=lead, field="temperature", old_value=old, new_value=value, changed_by=by)
        record_event("lead.temperature_changed", lead_id=lead.pk, old=old, new=value, reason=reason,
                     by_id=getattr(by, "pk", None))
        if value == Temperature.HOT:
            lead = hand_to_sales(lead=lead, by=by, reason=reason)
        if by is not None:  # a manager's setting holds until the points cross a threshold again
            LeadScore.objects.filter(lead=lead).update(cools_at=None)
    return lead


def hand_to_sales(*, lead: Lead, by: Any, reason: str, now: datetime | None = None) -> Lead:
    """Marketing-qualified: a lead with marketing enters sales (routed by the team's rules, first task within
    the SLA); a deferred one comes back to its owner (or is routed). A lead already with sales stays put."""
    from leadflow.leads import services as leads

    now = now or timezone.now()
    with transaction.atomic():
        lead = leads._lock(lead)
        if lead.state == LeadState.NURTURING:
            old_state = lead.state
            lead.state = LeadState.OPEN
            lead.save(update_fields=["state", "updated_at"])
            leads._record_stage(lead, old_stage=lead.stage, old_state=old_state, by=by)
            leads.route_lead(lead=lead, now=now, by=by)
        elif lead.state == LeadState.DEFERRED:
            lead = leads.reopen_lead(lead=lead, by=None)
            if lead.owner_id:
                leads.Task.objects.open().filter(lead=lead).update(completed_at=now, result=_(HOT_AGAIN),
                                                                   is_cancelled=True)
                leads._first_task(lead, assignee=lead.owner, due=leads._due_after_sla(lead.team, now), by=by)
                leads.notify(user=lead.owner, kind="lead.marketing_qualified", lead=lead,
                             template=gettext_noop("A deferred lead is hot again: %(name)s"), name=lead.full_name)
            else:
                leads.route_lead(lead=lead, now=now, by=by)
        else:
            return lead
        LeadScore.objects.filter(lead=lead).update(marketing_qualified_at=now)
        if not LeadScore.objects.filter(lead=lead).exists():
            LeadScore.objects.create(lead=lead, as_of=now, marketing_qualified_at=now)
        Activity.objects.create(lead=lead, kind=ActivityKind.SYSTEM, author=by, occurred_at=now, **system_text(
            "subject", gettext_noop("Hot: handed from marketing to sales")))
        lead.refresh_from_db()
        record_event("lead.marketing_qualified", lead_id=lead.pk, owner_id=lead.owner_id, team_id=lead.team_id,
                     reason=reason)
    return lead


# ---------------------------------------------------------------- periodic: points fade


def cool_down(*, now: datetime | None = None, batch: int = 500) -> int:
    """Leads whose fading points dropped below their temperature's floor get the cooler temperature.
    Reads only the leads that are due (index on cools_at). A lead already with sales stays with its owner."""
    now = now or timezone.now()
    settings = policy()
    changed = 0
    last = 0
    while True:
        due = list(LeadScore.objects.filter(cools_at__lte=now, lead_id__gt=last).order_by("lead_id")
                   .values_list("lead_id", flat=True)[:batch])
        if not due:
            return changed
        last = due[-1]
        # One transaction per batch, not per lead: on SQLite every commit is a sync to disk.
        with transaction.atomic():
            for lead_id in due:
                score = LeadScore.objects.select_for_update(skip_locked=True).filter(
                    lead_id=lead_id, cools_at__lte=now).first()
                if score is None:
                    continue  # another worker took it
                lead = Lead.objects.only("pk", "temperature").get(pk=lead_id)
                band = temperature_for(points_now(score, now=now, settings=settings), settings)
                if RANK[band] < RANK.get(lead.temperature, 0):
                    lead = set_temperature(lead, band, by=None, reason="decay")
                    changed += 1
                temperature = lead.temperature
                _carry(score, now=now, settings=settings)
                score.cools_at = cooling_moment(score, temperature=temperature, settings=settings) \
                    if temperature == band else None
                _anchor(score, settings)
                score.save(update_fields=["behaviour_points", "as_of", "cools_at", "fading_anchor"])


def rescore(*, lead: Lead, now: datetime | None = None) -> LeadScore:
    """Rebuild a lead's points from its history (after the half-life changed): Σ points × 0.5^(age/half-life)."""
    now = now or timezone.now()
    settings = policy()
    with transaction.atomic():
        score = _locked_score(lead, now)
        behaviour = 0.0
        fit = 0
        for points, occurred_at, fit_rule_id in ScoreEntry.objects.filter(lead=lead).values_list(
                "points", "occurred_at", "fit_rule_id"):
            if fit_rule_id is not None:
                fit += points
            else:
                behaviour += fade(points, since=occurred_at, now=now, half_life_days=settings.half_life_days)
        score.behaviour_points, score.fit_points, score.as_of = behaviour, fit, now
        band = temperature_for(points_now(score, now=now, settings=settings), settings)
        score.cools_at = cooling_moment(score, temperature=lead.temperature, settings=settings) \
            if lead.temperature == band else None
        _anchor(score, settings)
        score.save()
    return score
