"""A team's routing set by its head (DOMAIN.md 10): the scheme, the speed-to-lead SLA, the pool limit, each manager's
weight and "takes new leads", and the rules, in order.

Every write here goes through the same models routing reads (Team, User, RoutingRule), so the next lead routed
follows it; each change is kept as a FieldChange of the team (who, when, old, new), the audit cards already use.
A rule's old and new values are kept as JSON of its fields, so the history reads in each reader's language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.actor import acting_as
from leadflow.accounts.models import Absence, CalendarDay, Role, Team, User
from leadflow.core.errors import DomainError, Forbidden, InvalidInput
from leadflow.leads.models import DealType, FieldChange, RoutingRule, RoutingStrategy
from leadflow.leads.querysets import headed_team_ids

TEAM_FIELDS = ("routing_scheme", "sla_minutes", "pool_claim_minutes")
MANAGER_FIELDS = ("routing_weight", "is_routed")


def may_set_routing(user: User, team: Team) -> bool:
    """The head of the team (or of several teams, each their own) and the administrator; nobody else."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin:
        return True
    return user.role == Role.HEAD and team.pk in headed_team_ids(user)


def inactive_team_message(team: Team) -> str:
    return gettext("The team %(name)s is switched off: it gets no new leads and its routing cannot be changed. "
                   "An administrator may switch it on again in the admin.") % {"name": team.name}


class TeamSwitchedOff(DomainError):
    """A switched-off team's routing is read, not changed: it gets no leads to route, and a change made there would
    quietly apply the day it is switched on again."""

    def __init__(self, team: Team) -> None:
        super().__init__("team_inactive", inactive_team_message(team))


def _check(user: User, team: Team) -> None:
    if not may_set_routing(user, team):
        raise Forbidden(gettext("Only the head of this team or the administrator sets its routing."))
    if not team.is_active:
        raise TeamSwitchedOff(team)


def routing_managers(team: Team) -> list[User]:
    """The team's active managers, whose weight and "takes new leads" the head sets."""
    return list(User.objects.filter(team=team, role=Role.MANAGER, is_active=True).order_by("first_name", "username"))


def _kept(value: Any) -> str:
    """A value as the history keeps it: a list (the working days) as JSON, nothing as ""."""
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _audit(*, team: Team | int, field: str, old: Any, new: Any, by: User | None) -> None:
    FieldChange.objects.create(team_id=team if isinstance(team, int) else team.pk, field=field,
                               old_value=_kept(old), new_value=_kept(new), changed_by=by)


def _valid(row: Team | User, fields: list[str]) -> None:
    """The model's own checks of the fields being written (a negative SLA, an unknown scheme), as field errors."""
    try:
        row.full_clean(exclude=[f.name for f in row._meta.fields if f.name not in fields], validate_unique=False,
                       validate_constraints=False)
    except ValidationError as error:
        raise InvalidInput({name: [str(m) for m in problems] for name, problems in error.message_dict.items()}) \
            from error


@transaction.atomic
def update_team_routing(*, team: Team, by: User, routing_scheme: str, sla_minutes: int, pool_claim_minutes: int,
                        managers: dict[int, tuple[int, bool]]) -> int:
    """Set the team's scheme, SLA and pool limit and its managers' weights; audited; the number of changes."""
    # Under the team's lock: two heads saving at once each audit what the other left, not what both first saw.
    locked = Team.objects.select_for_update().get(pk=team.pk)
    _check(by, locked)
    people = {person.pk: person for person in routing_managers(locked)}
    unknown = set(managers) - set(people)
    if unknown:
        raise InvalidInput({"managers": [gettext("Not managers of this team: %(ids)s.") % {
            "ids": ", ".join(map(str, sorted(unknown)))}]})
    routed_weights = [weight for weight, routed in managers.values() if routed]
    if routed_weights and not any(routed_weights):
        raise InvalidInput({"routing_weight": [gettext(
            "Every manager taking new leads has weight 0: give at least one of them a weight above 0.")]})
    changes = 0
    new_values = {"routing_scheme": routing_scheme, "sla_minutes": sla_minutes,
                  "pool_claim_minutes": pool_claim_minutes}
    changed_fields = [name for name in TEAM_FIELDS if getattr(locked, name) != new_values[name]]
    for name in changed_fields:
        setattr(locked, name, new_values[name])
    if changed_fields:
        _valid(locked, changed_fields)
        save_team(team=locked, by=by, update_fields=changed_fields)  # post_save: memos reading the team forget it
        changes += len(changed_fields)
    for pk, (weight, routed) in managers.items():
        person = people[pk]
        fields = [name for name, value in (("routing_weight", weight), ("is_routed", routed))
                  if getattr(person, name) != value]
        for name, value in (("routing_weight", weight), ("is_routed", routed)):
            if name in fields:
                setattr(person, name, value)
        if fields:
            _valid(person, fields)
            save_person(person=person, by=by, update_fields=fields)
            changes += len(fields)
    for name in changed_fields:
        setattr(team, name, new_values[name])
    return changes


def rule_snapshot(rule: RoutingRule) -> str:
    """The rule as the audit keeps it: its fields' values, not words (read in each reader's language)."""
    return json.dumps({
        "name": rule.name, "position": rule.position, "product_interest": rule.product_interest,
        "deal_type": rule.deal_type, "region": rule.region, "strategy": rule.strategy,
        "assignee": rule.assignee_id, "candidates": sorted(rule.candidates.values_list("pk", flat=True)),
        "is_active": rule.is_active}, ensure_ascii=False, sort_keys=True)


@transaction.atomic
def save_routing_rule(*, rule: RoutingRule, candidates: list[User], by: User) -> RoutingRule:
    """Add a rule to the team (last in the order) or save an edited one; audited with the rule before and after.

    `rule` comes validated (leads.forms.RoutingRuleForm: its people are the team's); a new one has no pk yet."""
    team = Team.objects.select_for_update().get(pk=rule.team_id)
    _check(by, team)
    outside = [person for person in candidates if person.team_id != team.pk]
    if outside or (rule.assignee_id and not User.objects.filter(pk=rule.assignee_id, team=team).exists()):
        raise InvalidInput({"assignee" if not outside else "candidates": [
            gettext("Not one of this team's managers: pick one from the list.")]})
    old = ""
    if rule.pk is None:
        last = team.routing_rules.aggregate(last=Max("position"))["last"]
        rule.position = 1 if last is None else last + 1
    else:
        before = RoutingRule.objects.get(pk=rule.pk, team=team)
        old = rule_snapshot(before)
    rule.save()
    rule.candidates.set(candidates)
    new = rule_snapshot(rule)
    if new != old:
        _audit(team=team, field=f"rule.{rule.pk}", old=old, new=new, by=by)
    return rule


@transaction.atomic
def delete_routing_rule(*, rule: RoutingRule, by: User) -> None:
    """Remove a rule from the team's routing; the audit keeps what it said."""
    team = Team.objects.select_for_update().get(pk=rule.team_id)
    _check(by, team)
    _audit(team=team, field=f"rule.{rule.pk}", old=rule_snapshot(rule), new="", by=by)
    rule.delete()


@transaction.atomic
def move_routing_rule(*, rule: RoutingRule, offset: int, by: User) -> bool:
    """Move a rule up (-1) or down (+1) in the order routing tries them; the rules are numbered 1, 2, 3... after
    it, and each one whose place changed is audited. False when it is already first (last)."""
    team = Team.objects.select_for_update().get(pk=rule.team_id)
    _check(by, team)
    rules = list(team.routing_rules.order_by("position", "pk"))
    index = next(i for i, row in enumerate(rules) if row.pk == rule.pk)
    target = index + offset
    if not 0 <= target < len(rules):
        return False
    rules[index], rules[target] = rules[target], rules[index]
    for position, row in enumerate(rules, start=1):
        if row.position != position:
            old = rule_snapshot(row)
            RoutingRule.objects.filter(pk=row.pk).update(position=position)
            row.position = position
            _audit(team=team, field=f"rule.{row.pk}", old=old, new=rule_snapshot(row), by=by)
    return True


# ---------------------------------------------------------------- changes made anywhere else
# The admin, the demo loader and any script edit the same fields and rules; audited the same way, so the head's
# history shows every change, not only the page's own: the fields the page shows (TEAM_FIELDS, MANAGER_FIELDS, the
# rules), and what only the admin changes but decides whether the team gets leads at all: the team's creation and
# its switching on or off, and people joining or leaving it, and who heads it (the one its waiting leads,
# escalations and this page go to), and what routing skips a person for (DOMAIN.md 10: inactive, no longer a manager,
# absent, outside working hours: theirs, the team's, the working calendar's). The models record it themselves, in
# the write's transaction, whoever writes: Team.save / User.save / Absence.save / CalendarDay.save with the old values
# read once under the row's lock, their querysets' update() (and bulk_create of dates and absences), and Django's
# pre_delete for deletions (an absence, a date, a head's account leaving its teams headless). Who: whoever is acting
# (accounts.actor: the request's user, or the `by` a service below is given); nobody in a script. So there is one
# diff of what changed, not one per caller, and a service or the admin adds no second line.

CREATED_TEAM_FIELDS = (*TEAM_FIELDS, "is_active", "head")
# The team's working week decides when its managers are "inside working hours" (routing passes them by outside it):
# a change is recorded; a new team's defaults are not, the history tells what changed since.
TEAM_HOURS_FIELDS = ("time_zone", "work_start", "work_end", "work_days", "uses_company_calendar")
# The default team gets the leads no form or rule sends elsewhere: becoming it (or no longer being it) is recorded.
ADMIN_TEAM_FIELDS = (*CREATED_TEAM_FIELDS, "is_default", *TEAM_HOURS_FIELDS)
# What routing reads of a person besides their team (routing.available, team_managers): active, a manager, their
# weight and "takes new leads", their own working hours; their absences are recorded by Absence.save.
PERSON_FIELDS = ("is_active", "role", *MANAGER_FIELDS, "work_start", "work_end")


def _saved_value(team: Team, name: str) -> Any:
    """A team field's value as the audit keeps it: a foreign key's id (the head's), not the related row."""
    return getattr(team, Team._meta.get_field(name).attname)


def written_fields(model: Any, fields: tuple[str, ...], update_fields: Any) -> tuple[str, ...]:
    """Which of `fields` a save with `update_fields` writes (None: all of them); a field may be named by its
    column (a foreign key's "team_id")."""
    if update_fields is None:
        return fields
    named = set(update_fields)
    return tuple(name for name in fields if name in named or model._meta.get_field(name).attname in named)


def team_routing_values(team_id: int | None, fields: tuple[str, ...] = ADMIN_TEAM_FIELDS) -> dict[str, Any]:
    """The team's routing fields as saved (under the team's lock, as the page's own saves take it); {} for a team
    not saved yet."""
    if team_id is None or not fields:
        return {}
    return Team.objects.select_for_update().filter(pk=team_id).values(*fields).first() or {}


def audit_team_change(*, team: Team, before: dict[str, Any], by: User | None, created: bool = False) -> None:
    """The team saved elsewhere (the admin): each routing field it changed, from `before` to what it holds now; a
    new team's history starts with what it was created with (from nothing), so its first lead is explained."""
    for name in ADMIN_TEAM_FIELDS:
        now = _saved_value(team, name)
        if created:
            # A team made without a head says nothing of it until one is set.
            if name in CREATED_TEAM_FIELDS and now is not None:
                _audit(team=team, field=name, old=None, new=now, by=by)
        elif name in before and before[name] != now:
            _audit(team=team, field=name, old=before[name], new=now, by=by)


def manager_routing_values(user_id: int | None, fields: tuple[str, ...] = ("team", *PERSON_FIELDS)) -> dict[str, Any]:
    """A person's team ("team_id") and what routing reads of them (PERSON_FIELDS), of `fields`, as saved (under the
    person's lock); a person not saved yet is in no team."""
    if user_id is None:
        return {"team_id": None}
    columns = ["team_id" if name == "team" else name for name in fields]
    return User.objects.select_for_update().filter(pk=user_id).values(*columns).first() or {"team_id": None}


def audit_manager_change(*, person: User, before: dict[str, Any], by: User | None) -> None:
    """A person saved elsewhere (the admin, a bulk update): what routing reads of them (PERSON_FIELDS: active, role,
    weight, "takes new leads", own working hours), in the history of their team.

    Moved to another team in the same save, the old team's history shows them leaving and the new team's shows
    them joining, with the weight and "takes new leads" they bring, and their own hours or their being inactive
    when they have them (a change of weight is the new team's business: the old team's head would read it as a
    weight still counting in their routing)."""
    old_team = before.get("team_id", person.team_id)
    if old_team != person.team_id:
        for team_id in (old_team, person.team_id):
            if team_id is not None:
                _audit(team=team_id, field=f"manager.{person.pk}.team", old=old_team, new=person.team_id, by=by)
        if person.team_id is not None and person.role == Role.MANAGER:
            brought = [*MANAGER_FIELDS, *(name for name in ("work_start", "work_end") if getattr(person, name))]
            if not person.is_active:
                brought.insert(0, "is_active")
            for name in brought:
                _audit(team=person.team_id, field=f"manager.{person.pk}.{name}", old=None, new=getattr(person, name),
                       by=by)
        return
    if person.team_id is None:
        return
    for name in PERSON_FIELDS:
        if name in before and before[name] != getattr(person, name):
            _audit(team=person.team_id, field=f"manager.{person.pk}.{name}", old=before[name],
                   new=getattr(person, name), by=by)


def save_team(*, team: Team, by: User | None, update_fields: list[str] | None = None) -> Team:
    """Create or save a team as `by` (None: nobody who logs in, e.g. the demo loader): Team.save records its
    routing fields' changes (its creation with what it starts with) in its history, by whoever is acting."""
    with acting_as(by):
        team.save(update_fields=None if team._state.adding else update_fields)
    return team


def save_person(*, person: User, by: User | None, update_fields: list[str] | None = None) -> User:
    """Create or save a person as `by`: User.save records their joining or leaving a team and what routing reads of
    them in the history of their team(s)."""
    with acting_as(by):
        person.save(update_fields=None if person._state.adding else update_fields)
    return person


def _absence_snapshot(absence: dict[str, Any] | None) -> str:
    """An absence as the history keeps it: its dates and reason as JSON (read as dates in the reader's language)."""
    if absence is None:
        return ""
    return json.dumps({"starts_on": str(absence["starts_on"]), "ends_on": str(absence["ends_on"]),
                       "reason": absence["reason"]}, ensure_ascii=False, sort_keys=True)


def save_absence(*, absence: Absence, by: User | None) -> Absence:
    """Add or change a person's absence as `by` (Absence.save records it in their team's history)."""
    with acting_as(by):
        absence.save()
    return absence


def delete_absence(*, absence: Absence, by: User | None) -> None:
    """Remove a person's absence as `by` (the pre_delete signal records it in their team's history)."""
    with acting_as(by):
        absence.delete()


def audit_absence_change(*, before: dict[str, Any] | None, after: dict[str, Any] | None, by: User | None) -> None:
    """An absence added (`before` None), changed or removed (`after` None), as its fields (accounts.models
    ABSENCE_FIELDS), in its person's team's history: the dates before and after. Moved to another person (a
    script): off the one, on the other. A person in no team has no routing to tell."""
    old, new = _absence_snapshot(before), _absence_snapshot(after)
    old_person = before["user_id"] if before is not None else None
    new_person = after["user_id"] if after is not None else None
    if old_person is not None and new_person is not None and old_person != new_person:
        _audit_absence(person_id=old_person, old=old, new="", by=by)
        old = ""
    if old != new:
        _audit_absence(person_id=new_person if new_person is not None else old_person, old=old, new=new, by=by)


def _audit_absence(*, person_id: int, old: str, new: str, by: User | None) -> None:
    team_id = User.objects.filter(pk=person_id).values_list("team_id", flat=True).first()
    if team_id is not None:
        _audit(team=team_id, field=f"manager.{person_id}.absence", old=old, new=new, by=by)


def audit_head_deleted(*, person: User, by: User | None) -> None:
    """The teams `person` headed lose their head with the account (SET_NULL sends no save signal): in each one's
    history, the head by name, the id naming nobody once the account is gone."""
    for team_id in Team.objects.filter(head_id=person.pk).values_list("pk", flat=True):
        _audit(team=team_id, field="head.deleted", old=person.display_name(), new=None, by=by)


def _calendar_snapshot(day: dict[str, Any] | None) -> str:
    """A calendar date as the history keeps it: the date, company-wide or the team's own, working or not, how much
    shorter, its name, as JSON (read in the reader's language)."""
    if day is None:
        return ""
    return json.dumps({"day": str(day["day"]), "company": day["team_id"] is None, "is_working": bool(day["is_working"]),
                       "shortened_by": day["shortened_by"] or 0, "name": day["name"] or ""},
                      ensure_ascii=False, sort_keys=True)


def audit_calendar_changes(changes: list[tuple[dict[str, Any] | None, dict[str, Any] | None]], *,
                           by: User | None) -> None:
    """Calendar dates added (before None), changed or removed (after None), as their fields (accounts.models
    CALENDAR_FIELDS), in the history of each team whose working time they change: a company-wide date in every
    team that applies the company's holidays (switched off or not: it applies the day it is on again) and has no
    date of its own that day (its own replaces the company's); a team's own date in that team's. One query for the
    teams and one for their own dates, however many dates (a country's year is loaded at once)."""
    if not changes:
        return
    company_days = {str(row["day"]) for pair in changes for row in pair if row is not None and row["team_id"] is None}
    company_teams: list[int] = []
    own: set[tuple[int, str]] = set()
    if company_days:
        company_teams = list(Team.objects.filter(uses_company_calendar=True).order_by("pk").values_list(
            "pk", flat=True))
        own = {(team_id, str(day)) for team_id, day in CalendarDay.objects.filter(
            team__isnull=False, day__in=sorted(company_days)).values_list("team_id", "day")}

    def teams_of(row: dict[str, Any] | None) -> list[int]:
        if row is None:
            return []
        if row["team_id"] is not None:
            return [row["team_id"]]
        return [team_id for team_id in company_teams if (team_id, str(row["day"])) not in own]

    lines = []
    now = timezone.now()
    for before, after in changes:
        old_teams, new_teams = teams_of(before), teams_of(after)
        for team_id in dict.fromkeys([*old_teams, *new_teams]):
            old = _calendar_snapshot(before) if team_id in old_teams else ""
            new = _calendar_snapshot(after) if team_id in new_teams else ""
            if old != new:
                lines.append(FieldChange(team_id=team_id, field="calendar", old_value=old, new_value=new,
                                         changed_by=by, changed_at=now))
    FieldChange.objects.bulk_create(lines)


def rule_as_saved(rule_id: int | None) -> tuple[int, str] | None:
    """(team id, snapshot) of a rule as the database holds it, before an edit elsewhere (None: a new rule)."""
    row = RoutingRule.objects.filter(pk=rule_id).first() if rule_id else None
    return (row.team_id, rule_snapshot(row)) if row is not None else None


def audit_rule_change(*, rule: RoutingRule, before: tuple[int, str] | None, by: User | None,
                      deleted: bool = False) -> None:
    """A rule added, edited or deleted elsewhere (the admin), its people saved; one moved to another team leaves
    the first team's history and enters the other's."""
    old_team, old = before or (rule.team_id, "")
    new = "" if deleted else rule_snapshot(rule)
    if old_team != rule.team_id:
        _audit(team=old_team, field=f"rule.{rule.pk}", old=old, new="", by=by)
        old = ""
    if new != old:
        _audit(team=rule.team_id, field=f"rule.{rule.pk}", old=old, new=new, by=by)


# ---------------------------------------------------------------- reading the history


@dataclass
class RoutingChange:
    """One line of a team's routing history, in the reader's language."""

    at: datetime
    by: User | None
    what: str
    old: str
    new: str


def _yes_no(value: str) -> str:
    yes, no = gettext("yes,no,maybe").split(",")[:2]  # Django's own catalogue has this one
    return yes if value == "True" else no if value == "False" else value


def _rule_text(value: str, people: dict[int, User]) -> str:
    """A rule's snapshot as a sentence: its conditions, whom it sends to, its place and whether it is on."""
    if not value:
        return ""
    data = json.loads(value)
    name = lambda pk: people[pk].display_name() if pk in people else f"#{pk}"  # noqa: E731
    parts = [f"{capfirst(gettext('order'))} {data.get('position')}"]
    for field, label in (("product_interest", _("product interest is")), ("region", _("city / region is"))):
        if data.get(field):
            parts.append(f"{label} «{data[field]}»")
    if data.get("deal_type"):
        parts.append(f"{_('deal type is')} {DealType(data['deal_type']).label}")
    strategy = RoutingStrategy(data["strategy"]).label if data.get("strategy") in RoutingStrategy.values else ""
    if data.get("strategy") == RoutingStrategy.PERSON and data.get("assignee"):
        strategy = f"{strategy}: {name(data['assignee'])}"
    elif data.get("candidates"):
        strategy = f"{strategy}: {', '.join(name(pk) for pk in data['candidates'])}"
    parts.append(str(strategy))
    if not data.get("is_active", True):
        parts.append(gettext("switched off"))
    return f"«{data.get('name', '')}»: " + "; ".join(str(part) for part in parts)


def routing_history(team: Team, *, limit: int = 50) -> list[RoutingChange]:
    """The team's latest routing changes, newest first, each field named and valued as the page shows it."""
    rows = list(FieldChange.objects.filter(team=team).select_related("changed_by").order_by("-changed_at", "-pk")
                [:limit])
    ids: set[int] = set()
    for row in rows:
        kind, _dot, rest = row.field.partition(".")
        if kind == "manager":
            ids.add(int(rest.partition(".")[0]))
        elif row.field == "head":
            ids.update(int(value) for value in (row.old_value, row.new_value) if value)
        elif kind == "rule":
            for value in (row.old_value, row.new_value):
                if value:
                    data = json.loads(value)
                    ids.update(pk for pk in [data.get("assignee"), *data.get("candidates", [])] if pk)
    people = {person.pk: person for person in User.objects.filter(pk__in=ids)}
    team_ids = {int(value) for row in rows if row.field.endswith(".team") for value in (row.old_value, row.new_value)
                if value}
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name")) if team_ids else {}
    changes = []
    for row in rows:
        kind, _dot, rest = row.field.partition(".")
        old, new = row.old_value, row.new_value
        if kind == "manager":
            pk, _dot, name = rest.partition(".")
            person = people.get(int(pk))
            label = Absence._meta.verbose_name if name == "absence" else User._meta.get_field(name).verbose_name
            what = f"{person.display_name() if person else '#' + pk}: {label}"
            if name == "team":  # joined or left: the teams by name (a team's id would say nothing)
                old, new = (teams.get(int(value), f"#{value}") if value else "" for value in (old, new))
            else:
                old, new = (_person_value(name, value) for value in (old, new))
        elif kind == "rule":
            what = str(capfirst(RoutingRule._meta.verbose_name))
            old, new = _rule_text(old, people), _rule_text(new, people)
        elif row.field == "calendar":
            what = str(capfirst(CalendarDay._meta.verbose_name_plural))
            old, new = _calendar_text(old), _calendar_text(new)
        elif row.field == "head.deleted":  # the account deleted: its name as kept, the id names nobody now
            what = str(capfirst(Team._meta.get_field("head").verbose_name))
            old = gettext("%(name)s (account deleted)") % {"name": old} if old else ""
        else:
            field = Team._meta.get_field(row.field)
            what = str(capfirst(field.verbose_name))
            if field.choices:
                labels = dict(field.flatchoices)
                old, new = str(labels.get(old, old)), str(labels.get(new, new))
            elif row.field == "head":  # the people by name, as a rule's person
                old, new = ((people[int(value)].display_name() if int(value) in people else f"#{value}")
                            if value else "" for value in (old, new))
            else:
                old, new = (_team_value(row.field, value) for value in (old, new))
        changes.append(RoutingChange(at=row.changed_at, by=row.changed_by, what=what, old=old, new=new))
    return changes


def _calendar_text(value: str) -> str:
    """A calendar date's snapshot in the reader's words: "01.01.2027: day off (New Year), company-wide"."""
    if not value:
        return ""
    data = json.loads(value)
    if not data["is_working"]:
        kind = gettext("day off")
    elif data["shortened_by"]:
        kind = gettext("working day, %(minutes)s min shorter") % {"minutes": data["shortened_by"]}
    else:
        kind = gettext("working day")
    text = f"{date_format(date.fromisoformat(data['day']), 'SHORT_DATE_FORMAT')}: {kind}"
    if data.get("name"):
        text = f"{text} ({data['name']})"
    scope = gettext("company-wide") if data["company"] else gettext("this team only")
    return f"{text}, {scope}"


def _clock(value: str) -> str:
    """A kept time of day ("09:30:00") as the page shows hours: 09:30."""
    try:
        return time.fromisoformat(value).strftime("%H:%M")
    except ValueError:
        return value


def _team_value(name: str, value: str) -> str:
    """A team field's kept value in the reader's words: yes/no, 09:00, the working days by name."""
    if not value:
        return ""
    if name in ("is_active", "is_default", "uses_company_calendar"):
        return _yes_no(value)
    if name in ("work_start", "work_end"):
        return _clock(value)
    if name == "work_days":
        try:
            days = json.loads(value)
            return ", ".join(str(WEEKDAYS_ABBR[day]) for day in sorted(days)) if days else gettext("none")
        except (ValueError, TypeError, KeyError):
            return value
    return value


def _person_value(name: str, value: str) -> str:
    """A person's kept value in the reader's words: yes/no, the role's name, 09:00 or the team's hours, the dates
    of an absence."""
    if name in ("is_active", "is_routed"):
        return _yes_no(value) if value else ""
    if name == "role":
        return str(dict(Role.choices).get(value, value))
    if name in ("work_start", "work_end"):
        return _clock(value) if value else gettext("the team's hours")
    if name == "absence" and value:
        data = json.loads(value)
        dates = " – ".join(date_format(date.fromisoformat(data[key]), "SHORT_DATE_FORMAT")
                           for key in ("starts_on", "ends_on"))
        return f"{dates} ({data['reason']})" if data.get("reason") else dates
    return value
