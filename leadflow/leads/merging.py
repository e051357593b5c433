"""Merging duplicate leads into a survivor, field by field, and undoing it (issue 3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leadflow.accounts.models import User
from leadflow.core.errors import DomainError, Forbidden, InvalidInput
from leadflow.events.services import record_event
from leadflow.leads.models import (
    Activity,
    ActivityKind,
    FieldChange,
    Interest,
    Lead,
    LeadMerge,
    LeadState,
    Notification,
    OwnerChange,
    Request,
    StageChange,
    Task,
    Temperature,
    system_result,
    system_text,
)
from leadflow.leads.services import EDITABLE_FIELDS, _audit, _can_manage, notify, refresh_stage_reach
from leadflow.matching.models import CardType, IdentityKey

MERGE_FIELDS = (*EDITABLE_FIELDS, "message", "owner_id")
NAME_FIELDS = ("last_name", "first_name", "middle_name")
FIRST_TOUCH_FIELDS = ("channel", "source_id", "campaign_id", "utm_source", "utm_medium", "utm_campaign", "utm_content",
                      "utm_term", "referrer", "landing_page")
# A twin task closed by a merge: a result Leadflow writes, shown in each reader's language (Task.shown_result).
ALREADY_ON_THE_CARD = system_result(gettext_noop("Merged: the card has this task already"))
TEMPERATURE_RANK = {Temperature.COLD: 0, Temperature.WARM: 1, Temperature.HOT: 2}


def _moved_models() -> dict[str, Any]:
    # Submission lives in intake, above leads: reach it through the registry to keep the layering.
    return {
        "requests": (Request, "lead"), "activities": (Activity, "lead"), "tasks": (Task, "lead"),
        "stage_changes": (StageChange, "lead"), "owner_changes": (OwnerChange, "lead"),
        "field_changes": (FieldChange, "lead"), "notifications": (Notification, "lead"),
        "interests": (Interest, "promoted_to"), "submissions": (apps.get_model("intake", "Submission"), "lead"),
    }


# ---------------------------------------------------------------- other rooms' part of a merge

# Rooms above leads (warming, nurture, privacy, scoring, ...) keep rows of their own keyed by lead. Each registers
# an "on merge" step in its `lead_merge.py` (found by LeadsConfig.ready, like the privacy room's `privacy.py`),
# so this module never imports them. A step runs inside the merge's transaction, after the leads room's rows and
# keys moved; it returns JSON-ready data that its undo step gets back when the merge is undone.


@dataclass
class MergeContext:
    """What a room's merge step is told: the locked survivor (fields chosen and saved), the merged leads as they
    were before the merge, who merges, and the chosen values of the fields the step sets itself."""

    survivor: Lead
    others: list[Lead]
    by: User
    chosen: dict[str, Any] = field(default_factory=dict)

    @property
    def other_ids(self) -> list[int]:
        return [lead.pk for lead in self.others]


@dataclass
class UndoContext:
    """What a room's undo step is told: the survivor, the leads split out again, and its own merge data. A step
    that has something to tell the person undoing (what it could not put back, and why) adds it to `notes`."""

    survivor: Lead
    others: list[Lead]
    by: User
    data: Any
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MergeStep:
    merge: Callable[[MergeContext], Any]
    undo: Callable[[UndoContext], None] | None
    fields: tuple[str, ...]


merge_steps: dict[str, MergeStep] = {}


def on_merge(name: str, *, undo: Callable[[UndoContext], None] | None = None,
             fields: tuple[str, ...] = ()) -> Callable[[Callable[[MergeContext], Any]], Callable[[MergeContext], Any]]:
    """Register a room's merge step (and its undo). `fields`: lead fields the step sets itself from the chosen
    value (e.g. temperature through the warming room's rules), so the merge does not assign them directly."""

    def register(function: Callable[[MergeContext], Any]) -> Callable[[MergeContext], Any]:
        merge_steps[name] = MergeStep(merge=function, undo=undo, fields=fields)
        return function

    return register


def _step_fields() -> set[str]:
    return {name for step in merge_steps.values() for name in step.fields}


def move_rows(model: Any, field_name: str, *, other_ids: list[int], survivor_id: int) -> dict[str, list[int]]:
    """Point the merged leads' rows at the survivor; returns {old lead id: [row ids]} for the undo."""
    rows = model.objects.filter(**{f"{field_name}_id__in": other_ids})
    moved = {str(k): v for k, v in _ids_by_lead(rows, field_name).items()}
    rows.update(**{f"{field_name}_id": survivor_id})
    return moved


def move_rows_back(model: Any, field_name: str, moved: dict[str, list[int]]) -> None:
    for lead_id, row_ids in moved.items():
        model.objects.filter(pk__in=row_ids).update(**{f"{field_name}_id": int(lead_id)})


# ---------------------------------------------------------------- merging


def default_choices(survivor: Lead, others: list[Lead]) -> dict[str, int]:
    """For each field, the survivor's value when it has one, else the first other lead's non-empty value;
    the temperature is the hottest one (a hot duplicate is a hot person)."""
    choices = {}
    for name in MERGE_FIELDS:
        source = survivor
        if name == "temperature":
            source = max([survivor, *others], key=lambda lead: TEMPERATURE_RANK.get(lead.temperature, 0))
        elif not getattr(survivor, name):
            source = next((lead for lead in others if getattr(lead, name)), survivor)
        choices[name] = source.pk
    return choices


def _close_twin_tasks(survivor: Lead, other_ids: list[int]) -> list[int]:
    """Close the merged cards' open tasks that Leadflow wrote and the card already has ("Call the lead" twice is one
    call to make, not two); the ids, for undo to reopen them.

    Of each such task (the same system text) the survivor's own stays, else the one due first. Tasks people wrote
    stay whatever they say: each may be work of its own."""
    tasks = Task.objects.open().filter(lead_id__in=[survivor.pk, *other_ids]).exclude(text_key="")
    rows = list(tasks.order_by("due_at", "pk").values_list("pk", "text_key", "lead_id"))
    seen = {key for _pk, key, lead_id in rows if lead_id == survivor.pk}
    twins: list[int] = []
    for pk, key, lead_id in rows:
        if lead_id == survivor.pk:
            continue
        if key in seen:
            twins.append(pk)
        else:
            seen.add(key)
    Task.objects.filter(pk__in=twins).update(completed_at=timezone.now(), is_cancelled=True,
                                             result=_(ALREADY_ON_THE_CARD))
    return twins


def merge_leads(*, survivor: Lead, others: list[Lead], by: User, choices: dict[str, int] | None = None) -> LeadMerge:
    """Merge `others` into `survivor`: chosen field values win, every row and link moves, nothing is deleted."""
    others = [lead for lead in others if lead.pk != survivor.pk]
    if not others:
        raise InvalidInput({"other_ids": [_("Give at least one other lead to merge.")]})
    with transaction.atomic():
        ids = sorted([survivor.pk, *(lead.pk for lead in others)])
        locked = {lead.pk: lead for lead in Lead.objects.select_for_update(of=("self",)).filter(pk__in=ids)}
        survivor = locked[survivor.pk]
        others = [locked[lead.pk] for lead in others]
        for lead in [survivor, *others]:
            if not _can_manage(lead, by):
                raise Forbidden(_("You may merge only leads you may work."))
            if lead.state == LeadState.MERGED:
                raise DomainError("already_merged", _("Lead %(id)s is already merged.") % {"id": lead.pk})
        if any(lead.state == LeadState.CONVERTED for lead in others):
            raise InvalidInput({"survivor_id": [_("A converted lead must be the survivor: its client links to it.")]})
        choices = {**default_choices(survivor, others), **(choices or {})}
        unknown = set(choices) - set(MERGE_FIELDS)
        if unknown:
            raise InvalidInput({f"choices.{name}": [_("Not a mergeable field.")] for name in sorted(unknown)})
        wrong = {name for name, lead_id in choices.items() if lead_id not in locked}
        if wrong:
            raise InvalidInput({f"choices.{name}": [_("Not one of the merged leads.")] for name in sorted(wrong)})

        snapshot: dict[str, Any] = {
            "before": _values(survivor),
            "others": {str(lead.pk): {"state": lead.state} for lead in others},
            "moved": {},
            "keys": {},
        }
        replaced = (survivor.phone_text, survivor.email.lower())  # the survivor's contacts before the choices
        # Field values (a field a room's merge step sets itself is handed to that step)
        step_fields = _step_fields()
        chosen = {name: getattr(locked[choices[name]], name) for name in MERGE_FIELDS if name in step_fields}
        for name in MERGE_FIELDS:
            if name in step_fields:
                continue
            value = getattr(locked[choices[name]], name)
            if getattr(survivor, name) != value:
                _audit(lead=survivor, field=name, old=getattr(survivor, name), new=value, by=by)
                setattr(survivor, name, value)
        if any(choices[name] != survivor.pk for name in NAME_FIELDS):
            survivor.full_name = " ".join(getattr(survivor, n) for n in NAME_FIELDS if getattr(survivor, n))
        # The first touch is the earliest one: conversion speed and source reports count from it. Its time and its
        # attribution go together (a January lead from one campaign is not a January lead of the other's).
        earliest = min([survivor, *others], key=lambda lead: (lead.created_at, lead.pk))
        survivor.created_at = earliest.created_at
        for name in FIRST_TOUCH_FIELDS:
            setattr(survivor, name, getattr(earliest, name))
        _keep_other_contacts(survivor, others, replaced=replaced, by=by)
        survivor.is_possible_duplicate = False
        survivor.save()

        other_ids = [lead.pk for lead in others]
        # Open tasks of the merged leads follow the card to its owner; their assignees are kept for undo.
        open_tasks = Task.objects.open().filter(lead_id__in=other_ids)
        snapshot["task_assignees"] = {str(pk): assignee for pk, assignee in open_tasks.values_list("pk", "assignee_id")}
        if survivor.owner_id:
            open_tasks.update(assignee_id=survivor.owner_id)
        snapshot["closed_twins"] = _close_twin_tasks(survivor, other_ids)
        for label, (model, field) in _moved_models().items():
            rows = model.objects.filter(**{f"{field}_id__in": other_ids})
            snapshot["moved"][label] = {str(k): v for k, v in _ids_by_lead(rows, field).items()}
            rows.update(**{f"{field}_id": survivor.pk})
        survivor_keys = set(IdentityKey.objects.filter(card_type=CardType.LEAD, card_id=survivor.pk)
                            .values_list("kind", "value", "extension"))
        added: set[tuple[str, str, str]] = set()
        for lead in others:
            keys = list(IdentityKey.objects.filter(card_type=CardType.LEAD, card_id=lead.pk))
            snapshot["keys"][str(lead.pk)] = [[k.kind, k.value, k.extension] for k in keys]
            for key in keys:
                triple = (key.kind, key.value, key.extension)
                if triple not in survivor_keys and triple not in added:
                    added.add(triple)
            IdentityKey.objects.filter(pk__in=[k.pk for k in keys]).delete()
        IdentityKey.objects.bulk_create(
            [IdentityKey(kind=k, value=v, extension=e, card_type=CardType.LEAD, card_id=survivor.pk) for k, v, e in
             sorted(added)], ignore_conflicts=True)
        snapshot["added_keys"] = [list(t) for t in sorted(added)]
        Lead.objects.filter(pk__in=other_ids).update(state=LeadState.MERGED, merged_into=survivor,
                                                      is_possible_duplicate=False, updated_at=timezone.now())
        # The other rooms' rows (points, sequences, tags, consents, predictions...), in this same transaction.
        context = MergeContext(survivor=survivor, others=others, by=by, chosen=chosen)
        snapshot["steps"] = {name: merge_steps[name].merge(context) for name in sorted(merge_steps)}
        survivor.refresh_from_db()
        snapshot["after"] = _values(survivor)
        merge = LeadMerge.objects.create(survivor=survivor, merged=other_ids, choices=choices, snapshot=snapshot,
                                         merged_by=by)
        for owner in {lead.owner for lead in others if lead.owner_id and lead.owner_id not in (by.pk,
                                                                                              survivor.owner_id)}:
            notify(user=owner, kind="lead.merged", lead=survivor,
                   template=gettext_noop("Your lead was merged into %(name)s"), name=survivor.full_name)
        Activity.objects.create(lead=survivor, kind=ActivityKind.SYSTEM, author=by, **system_text(
            "subject", gettext_noop("Merged leads %(ids)s into this one"), ids=", ".join(f"#{i}" for i in other_ids)))
        refresh_stage_reach([survivor.pk])  # the others' stage history is the survivor's now
        record_event("lead.merged", lead_id=survivor.pk, merged_ids=other_ids, merge_id=merge.pk)
    return merge


def _keep_other_contacts(survivor: Lead, others: list[Lead], *, replaced: tuple[str, str], by: User) -> None:
    """The contacts the survivor does not show as its phone and e-mail stay on the card as other contacts: its own
    phone and e-mail the merge `replaced`, the merged leads' other contacts, and their phones and e-mails the merge
    did not choose (nothing a person gave drops out of sight). An e-mail checked as right stays checked."""
    main = {survivor.email.lower(), survivor.phone_text} - {""}
    kept = list(survivor.other_contacts or [])
    for value in replaced:
        if value and value not in main and value not in kept:
            kept.append(value)
            _audit(lead=survivor, field="other_contacts", old="", new=value, by=by)
    for lead in others:
        for value in (*(lead.other_contacts or []), lead.phone_text, lead.email.lower()):
            if value and value not in main and value not in kept:
                kept.append(value)
                _audit(lead=survivor, field="other_contacts", old="", new=value, by=by)
        if lead.email_checked and lead.email_checked == survivor.email and not survivor.email_checked:
            survivor.email_checked = lead.email_checked
    survivor.other_contacts = kept


def _values(lead: Lead) -> dict[str, Any]:
    values = {name: getattr(lead, name)
              for name in (*MERGE_FIELDS, "full_name", *FIRST_TOUCH_FIELDS, "other_contacts", "email_checked")}
    values["created_at"] = lead.created_at.isoformat()
    return values


def _ids_by_lead(rows: Any, field: str) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for pk, lead_id in rows.values_list("pk", f"{field}_id"):
        grouped.setdefault(lead_id, []).append(pk)
    return grouped


def undo_merge(*, merge: LeadMerge, by: User, notes: list[str] | None = None) -> Lead:
    """Split the merged leads out again: their rows, links and keys go back; edits made since are kept.

    `notes` (when given) collects what the rooms' undo steps tell the person undoing, in their language: e.g. that
    a lead the merge handed to sales stays there because someone already worked it."""
    with transaction.atomic():
        merge = LeadMerge.objects.select_for_update().get(pk=merge.pk)
        survivor = Lead.objects.select_for_update(of=("self",)).get(pk=merge.survivor_id)
        if merge.undone_at is not None:
            raise DomainError("merge_undone", _("This merge is already undone."))
        if not _can_manage(survivor, by):
            raise Forbidden(_("You may undo only merges of leads you may work."))
        later = LeadMerge.objects.filter(survivor=survivor, undone_at__isnull=True, merged_at__gt=merge.merged_at)
        if later.exists() or survivor.state == LeadState.MERGED:
            raise DomainError("merge_not_last", _("Undo the later merges of this lead first."))
        snapshot = merge.snapshot
        current = _values(survivor)
        audited = set(MERGE_FIELDS) - _step_fields()  # the fields the merge wrote into the card's history
        for name, before in snapshot["before"].items():
            # A field edited since the merge keeps the edit; the rest go back to what they were.
            if current[name] == snapshot["after"][name]:
                value = parse_datetime(before) if name == "created_at" else before
                # The history says what went back, as it said what the merge changed.
                if name in audited:
                    _audit(lead=survivor, field=name, old=current[name], new=value, by=by)
                elif name == "other_contacts":
                    for gone in [v for v in current[name] or [] if v not in (value or [])]:
                        _audit(lead=survivor, field=name, old=gone, new="", by=by)
                setattr(survivor, name, value)
        survivor.save()
        for label, (model, field) in _moved_models().items():
            for lead_id, row_ids in snapshot["moved"].get(label, {}).items():
                model.objects.filter(pk__in=row_ids).update(**{f"{field}_id": int(lead_id)})
        for task_id, assignee_id in snapshot.get("task_assignees", {}).items():
            Task.objects.filter(pk=int(task_id)).update(assignee_id=assignee_id)
        Task.objects.filter(pk__in=snapshot.get("closed_twins", [])).update(completed_at=None, result="",
                                                                            is_cancelled=False)
        IdentityKey.objects.filter(card_type=CardType.LEAD, card_id=survivor.pk).filter(
            _keys_condition(snapshot.get("added_keys", []))).delete()
        for lead_id, keys in snapshot["keys"].items():
            IdentityKey.objects.bulk_create(
                [IdentityKey(kind=k, value=v, extension=e, card_type=CardType.LEAD, card_id=int(lead_id))
                 for k, v, e in keys], ignore_conflicts=True)
        for lead_id, before in snapshot["others"].items():
            Lead.objects.filter(pk=int(lead_id)).update(state=before["state"], merged_into=None,
                                                         updated_at=timezone.now())
        split_out = list(Lead.objects.filter(pk__in=[int(pk) for pk in snapshot["others"]]).order_by("pk"))
        told: list[str] = []
        for name, data in sorted(snapshot.get("steps", {}).items()):
            step = merge_steps.get(name)
            if step is not None and step.undo is not None:
                context = UndoContext(survivor=survivor, others=split_out, by=by, data=data)
                step.undo(context)
                told += context.notes
        merge.undone_at = timezone.now()
        merge.undone_by = by
        merge.save(update_fields=["undone_at", "undone_by"])
        Activity.objects.create(lead=survivor, kind=ActivityKind.SYSTEM, author=by, **system_text(
            "subject", gettext_noop("Merge undone: %(ids)s split out again"),
            ids=", ".join(f"#{i}" for i in merge.merged)))
        refresh_stage_reach([survivor.pk, *(int(pk) for pk in snapshot["others"])])
        record_event("lead.merge_undone", lead_id=survivor.pk, merged_ids=merge.merged, merge_id=merge.pk)
    if notes is not None:
        notes += told
    return survivor


def _keys_condition(keys: list[list[str]]) -> Q:
    condition = Q(pk__in=[])
    for kind, value, extension in keys:
        condition |= Q(kind=kind, value=value, extension=extension)
    return condition
