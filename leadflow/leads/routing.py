"""Choosing a responsible manager (DOMAIN.md 10): pool, rules, or manual assignment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q

from leadflow.accounts.calendar import special_days
from leadflow.accounts.models import Absence, Role, RoutingScheme, Team, User
from leadflow.core.worktime import WorkCalendar
from leadflow.leads.models import Lead, RoutingRule, RoutingStrategy
from leadflow.matching.normalize import persons_place_key, place_key


def team_calendar(team: Team | None, *, user: User | None = None) -> WorkCalendar:
    """The team's working week and calendar dates (holidays, transferred working days); a user's own hours, when
    set, replace the team's. No team: the default week with the company's dates."""
    from django.conf import settings

    if team is None:
        return WorkCalendar(zone=settings.LEADFLOW_TIME_ZONE, exceptions=special_days(None))
    start = user.work_start if user and user.work_start else team.work_start
    end = user.work_end if user and user.work_end else team.work_end
    return WorkCalendar(zone=team.time_zone, start=start, end=end, days=frozenset(team.work_days or []),
                        exceptions=special_days(team))


def available(users: list[User], *, team: Team | None, now: datetime) -> list[User]:
    """Drop people who are inactive, taken out of routing by their head, absent today, or outside their working
    hours now."""
    if not users:
        return []
    today = now.astimezone(team_calendar(team).tz()).date()
    absent = set(
        Absence.objects.filter(user__in=users, starts_on__lte=today, ends_on__gte=today).values_list(
            "user_id", flat=True
        )
    )
    return [
        user
        for user in users
        if user.is_active and user.is_routed and user.pk not in absent
        and team_calendar(team, user=user).is_working(now)
    ]


def _fits(rule: RoutingRule, lead: Lead) -> bool:
    def same(expected: str, actual: str) -> bool:
        return not expected or expected.strip().casefold() == (actual or "").strip().casefold()

    # "г. Москва", "Moscow", "мск" on the lead meet a rule for "Москва" (matching.normalize.place_key)
    region_fits = not rule.region or place_key(rule.region) == persons_place_key(lead.city or "")
    return same(rule.product_interest, lead.product_interest) and same(rule.deal_type, lead.deal_type) and region_fits


def _with_load(users: list[User]) -> list[User]:
    """Annotate each user with the open leads and active clients they hold now."""
    ids = [u.pk for u in users]
    return list(
        User.objects.filter(pk__in=ids)
        .annotate(
            open_leads=Count("leads", filter=Q(leads__state__in=["open", "deferred"]), distinct=True),
            open_clients=Count("clients", filter=Q(clients__is_active=True), distinct=True),
        )
        .annotate(load=F("open_leads") + F("open_clients"))
        .order_by("load", "routed_count", "pk")
    )


def least_loaded(users: list[User]) -> User | None:
    ranked = _with_load(users)
    return ranked[0] if ranked else None


def weighted_round_robin(users: list[User]) -> User | None:
    """The candidate furthest behind their share: fewest routed leads per unit of weight."""
    weighted = [u for u in users if u.routing_weight > 0]
    if not weighted:
        return None
    return min(weighted, key=lambda u: (u.routed_count / u.routing_weight, u.routed_count, u.pk))


@dataclass
class RoutingDecision:
    owner: User | None
    scheme: str
    rule: RoutingRule | None = None
    note: str = ""


def team_managers(team: Team) -> list[User]:
    """The managers routing may pick from: active and in routing (the head's "takes new leads")."""
    return list(team.members.filter(role=Role.MANAGER, is_active=True, is_routed=True).order_by("pk"))


def decide_owner(lead: Lead, *, now: datetime) -> RoutingDecision:
    """Apply the team's scheme; a rule that finds nobody available leaves the lead in the pool."""
    team = lead.team
    if team is None or team.routing_scheme == RoutingScheme.POOL:
        return RoutingDecision(owner=None, scheme=RoutingScheme.POOL)
    if team.routing_scheme == RoutingScheme.MANUAL:
        return RoutingDecision(owner=None, scheme=RoutingScheme.MANUAL)
    if team.routing_scheme in (RoutingScheme.LEAST_LOADED, RoutingScheme.ROUND_ROBIN):
        people = available(team_managers(team), team=team, now=now)
        pick = least_loaded if team.routing_scheme == RoutingScheme.LEAST_LOADED else weighted_round_robin
        owner = pick(people)
        if owner is not None:
            return RoutingDecision(owner=owner, scheme=team.routing_scheme)
        return RoutingDecision(owner=None, scheme=RoutingScheme.POOL, note="no manager of the team is available")
    for rule in team.routing_rules.filter(is_active=True).select_related("assignee").prefetch_related("candidates"):
        if not _fits(rule, lead):
            continue
        if rule.strategy == RoutingStrategy.PERSON:
            pool = [rule.assignee] if rule.assignee else []
        else:
            pool = list(rule.candidates.all()) or team_managers(team)
        # A rule names managers of its team; one moved to another team or role since gets none of this team's leads.
        people = available([user for user in pool if user.team_id == team.pk and user.role == Role.MANAGER],
                           team=team, now=now)
        if rule.strategy == RoutingStrategy.ROUND_ROBIN:
            owner = weighted_round_robin(people)
        elif rule.strategy == RoutingStrategy.LEAST_LOADED:
            owner = least_loaded(people)
        else:
            owner = people[0] if people else None
        if owner is not None:
            return RoutingDecision(owner=owner, scheme=RoutingScheme.RULES, rule=rule)
        # Nobody available under this rule: try the next one.
    return RoutingDecision(owner=None, scheme=RoutingScheme.POOL, note="no rule found an available manager")
