"""The warming room's part of merging leads: events, points and visitors move to the survivor; its points are
rebuilt from the moved history with the fading arithmetic, and its temperature follows `set_temperature`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leadflow.accounts.models import User
from leadflow.events.services import record_event
from leadflow.leads.merging import MergeContext, UndoContext, move_rows, move_rows_back, on_merge
from leadflow.leads.models import (
    Activity,
    ActivityKind,
    Lead,
    LeadState,
    OwnerChange,
    StageChange,
    Task,
    Temperature,
    system_result,
    system_text,
)
from leadflow.warming import services
from leadflow.warming.models import BehaviourEvent, EntryKind, LeadScore, ScoreEntry, Visitor

# A fit rule is about who the person is: two cards of one person earn it once.
MERGED_FIT_TEXT = gettext_noop("%(points)s counted once after merging lead #%(lead)s: %(rule)s")
MOVED = ((BehaviourEvent, "lead"), (ScoreEntry, "lead"), (Visitor, "lead"))
BACK_TO_MARKETING = gettext_noop("Back with marketing: the merge that handed this lead to sales was undone")
KEPT_WITH_SALES = gettext_noop("Merge undone, the lead stays with sales: it was worked since the merge handed it over")
BACK_NOTICE = gettext_noop("A lead went back to marketing (its merge was undone): %(name)s")
DEFERRED_AGAIN = gettext_noop("Deferred again until %(date)s: the merge that brought it back was undone")
KEPT_IN_WORK = gettext_noop("Merge undone, the lead stays in work: it was worked since the merge brought it back")
DEFERRED_AGAIN_NOTICE = gettext_noop("A lead is deferred again (its merge was undone): %(name)s")
# Rows of a lead that show someone worked it after the hand-off (ids only grow: newer rows have larger ids).
WORK_ROWS = {"activity": Activity, "owner_change": OwnerChange, "stage_change": StageChange, "task": Task}

UNDONE_HANDOFF = system_result(gettext_noop("Cancelled: the merge that handed the lead to sales was undone."))
UNDONE_RETURN = system_result(gettext_noop("Cancelled: the merge that brought the lead back was undone."))


def _last_ids() -> dict[str, int]:
    return {name: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            for name, model in WORK_ROWS.items()}


def _worked_since_hand_off(lead: Lead, handoff: dict[str, Any]) -> bool:
    """Someone worked the lead after the merge handed it to sales: logged an activity, completed (or added) a task,
    took or changed its owner, moved its stage or closed it."""
    after = handoff["last_ids"]
    return (lead.state != LeadState.OPEN
            or Activity.objects.filter(lead=lead, pk__gt=after["activity"]).exclude(kind=ActivityKind.SYSTEM).exists()
            or Task.objects.filter(lead=lead, pk__in=handoff["tasks"], completed_at__isnull=False).exists()
            or Task.objects.filter(lead=lead, pk__gt=after["task"], created_by__isnull=False).exists()
            or OwnerChange.objects.filter(lead=lead, pk__gt=after["owner_change"]).exists()
            or StageChange.objects.filter(lead=lead, pk__gt=after["stage_change"]).exists())


def _undo_hand_off(context: UndoContext, handoff: dict[str, Any]) -> None:
    """The merge handed a nurtured survivor to sales. Untouched since: back to marketing (nurturing, no owner, the
    hand-off's tasks closed, no speed-to-lead deadline), in the card's history. Worked since: it stays with sales."""
    from leadflow.leads import services as leads

    by, now = context.by, timezone.now()
    lead = leads._lock(context.survivor)
    if handoff.get("from_state") == LeadState.DEFERRED:
        _undo_return(context, lead, handoff)
        return
    # The owner sales gave it, as the history last says (the undo's field restore does not write the history).
    last = OwnerChange.objects.filter(lead=lead).order_by("-changed_at", "-pk").first()
    sales_owner_id = last.to_owner_id if last else None
    if _worked_since_hand_off(lead, handoff):
        if lead.state == LeadState.OPEN and lead.owner_id is None and sales_owner_id is not None:
            # The merge's undo puts back the fields of before the merge, the owner too; a lead kept in sales
            # keeps the manager who works it.
            Lead.objects.filter(pk=lead.pk).update(owner_id=sales_owner_id)
        Activity.objects.create(lead=lead, kind=ActivityKind.SYSTEM, author=by, occurred_at=now,
                                **system_text("subject", KEPT_WITH_SALES))
        context.notes.append(_("The lead stays with sales: someone worked it after the merge handed it over."))
        return
    Task.objects.open().filter(pk__in=handoff["tasks"]).update(
        completed_at=now, result=_(UNDONE_HANDOFF), is_cancelled=True)
    if sales_owner_id is not None:
        OwnerChange.objects.create(lead=lead, from_owner_id=sales_owner_id, to_owner=None, reason="marketing",
                                   changed_by=by, changed_at=now)
    if handoff.get("routed_to"):  # the routing counted it for that manager: it no longer does
        User.objects.filter(pk=handoff["routed_to"], routed_count__gt=0).update(routed_count=F("routed_count") - 1)
    lead.state, lead.owner, lead.assigned_at = LeadState.NURTURING, None, None
    lead.sla_due_at, lead.sales_since = _parse(handoff.get("sla_due_at")), _parse(handoff.get("sales_since"))
    lead.save(update_fields=["state", "owner", "assigned_at", "sla_due_at", "sales_since", "updated_at"])
    leads._record_stage(lead, old_stage=lead.stage, old_state=LeadState.OPEN, by=by)
    LeadScore.objects.filter(lead=lead).update(marketing_qualified_at=_parse(handoff.get("qualified_before")))
    Activity.objects.create(lead=lead, kind=ActivityKind.SYSTEM, author=by, occurred_at=now,
                            **system_text("subject", BACK_TO_MARKETING))
    former = User.objects.filter(pk=sales_owner_id).first() if sales_owner_id else None
    if former is not None and former != by:
        leads.notify(user=former, kind="lead.back_to_marketing", lead=lead, template=BACK_NOTICE, name=lead.full_name)
    record_event("lead.back_to_marketing", lead_id=lead.pk, owner_id=sales_owner_id, reason="merge_undone")
    context.notes.append(_("The lead is back with marketing: the merge had handed it to sales and nobody worked it "
                           "since."))


def _undo_return(context: UndoContext, lead: Lead, handoff: dict[str, Any]) -> None:
    """The merge made a deferred survivor hot, which brought it back into work. Untouched since: deferred again
    until its date, with its "call again" task; worked since: it stays in work."""
    from leadflow.leads import services as leads

    by, now = context.by, timezone.now()
    until = date.fromisoformat(handoff["deferred_until"]) if handoff.get("deferred_until") else None
    if until is None or until <= timezone.localdate() or _worked_since_hand_off(lead, handoff):
        Activity.objects.create(lead=lead, kind=ActivityKind.SYSTEM, author=by, occurred_at=now,
                                **system_text("subject", KEPT_IN_WORK))
        context.notes.append(_("The lead stays in work: someone worked it after the merge brought it back, or its "
                               "deferral has ended."))
        return
    Task.objects.open().filter(pk__in=handoff["tasks"]).update(
        completed_at=now, result=_(UNDONE_RETURN), is_cancelled=True)
    Task.objects.filter(pk__in=handoff.get("closed_tasks", [])).update(completed_at=None, result="", is_cancelled=False)
    if handoff.get("routed_to"):  # nobody owned it: the routing gave it to someone, who no longer has it
        OwnerChange.objects.create(lead=lead, from_owner_id=handoff["routed_to"], to_owner=None, reason="deferred",
                                   changed_by=by, changed_at=now)
        User.objects.filter(pk=handoff["routed_to"], routed_count__gt=0).update(routed_count=F("routed_count") - 1)
        lead.owner, lead.assigned_at = None, None
    lead.state, lead.deferred_until = LeadState.DEFERRED, until
    lead.sla_due_at, lead.sales_since = _parse(handoff.get("sla_due_at")), _parse(handoff.get("sales_since"))
    lead.save(update_fields=["state", "deferred_until", "owner", "assigned_at", "sla_due_at", "sales_since",
                             "updated_at"])
    leads._record_stage(lead, old_stage=lead.stage, old_state=LeadState.OPEN, by=by)
    LeadScore.objects.filter(lead=lead).update(marketing_qualified_at=_parse(handoff.get("qualified_before")))
    Activity.objects.create(lead=lead, kind=ActivityKind.SYSTEM, author=by, occurred_at=now,
                            **system_text("subject", DEFERRED_AGAIN, date=until))
    if lead.owner_id and lead.owner_id != by.pk:
        leads.notify(user=lead.owner, kind="lead.deferred_again", lead=lead, template=DEFERRED_AGAIN_NOTICE,
                     name=lead.full_name)
    record_event("lead.deferred", lead_id=lead.pk, until=until.isoformat(), reason="merge_undone")
    context.notes.append(_("The lead is deferred again until %(date)s: the merge had brought it back and nobody "
                           "worked it since.") % {"date": formats.date_format(until, "SHORT_DATE_FORMAT")})


def undo_warming(context: UndoContext) -> None:
    data = context.data
    ScoreEntry.objects.filter(pk__in=data.get("fit_cancelled", [])).delete()
    for model, field in MOVED:
        move_rows_back(model, field, data["moved"].get(model.__name__, {}))
    scores = data.get("scores", {})
    for lead in context.others:
        kept = scores.get(str(lead.pk))
        if kept is not None:
            LeadScore.objects.update_or_create(lead=lead, defaults={
                "marketing_qualified_at": _parse(kept.get("marketing_qualified_at"))})
            services.rescore(lead=lead)
            services.evaluate_fit(lead=lead)
    if data.get("handoff"):  # before the qualified moment below: that one, when the merge changed it, wins
        _undo_hand_off(context, data["handoff"])
    if data.get("survivor_marketing_qualified_at", "unchanged") != "unchanged":
        LeadScore.objects.filter(lead=context.survivor).update(
            marketing_qualified_at=_parse(data["survivor_marketing_qualified_at"]))
    services.rescore(lead=context.survivor)
    services.evaluate_fit(lead=context.survivor)


@on_merge("warming", undo=undo_warming, fields=("temperature",))
def merge_warming(context: MergeContext) -> dict[str, Any]:
    survivor, other_ids = context.survivor, context.other_ids
    now = timezone.now()
    settings = services.policy()
    # What fit points each merged lead holds per rule, before its entries join the survivor's.
    held = list(ScoreEntry.objects.filter(lead_id__in=other_ids, fit_rule__isnull=False)
                .values("lead_id", "fit_rule_id", "fit_rule__name").annotate(total=Sum("points")))
    scores = {str(row.lead_id): {"marketing_qualified_at": _iso(row.marketing_qualified_at)}
              for row in LeadScore.objects.filter(lead_id__in=other_ids)}
    moved = {model.__name__: move_rows(model, field, other_ids=other_ids, survivor_id=survivor.pk)
             for model, field in MOVED}
    cancelled = ScoreEntry.objects.bulk_create([
        ScoreEntry(lead=survivor, entry_kind=EntryKind.UNFIT, points=-row["total"], fit_rule_id=row["fit_rule_id"],
                   text_key=MERGED_FIT_TEXT, text_params={"rule": row["fit_rule__name"], "lead": row["lead_id"]},
                   occurred_at=now, created_at=now)
        for row in held if row["total"]
    ])
    # The merged leads' points rows go: their history is the survivor's now. The earliest hand-off to sales
    # of the person is kept on the survivor (marketing-qualified reports count people, not cards).
    survivor_score = LeadScore.objects.filter(lead=survivor).first()
    qualified = [row.marketing_qualified_at for row in LeadScore.objects.filter(lead_id__in=other_ids)
                 if row.marketing_qualified_at]
    survivor_qualified: Any = "unchanged"
    LeadScore.objects.filter(lead_id__in=other_ids).delete()

    # Points: Σ points × 0.5^(age / half-life) over the whole moved history; the fit rules then as the merged
    # profile says (a rule both cards held counts once, see the cancelling entries above).
    score = services.rescore(lead=survivor, now=now)
    if qualified:
        earliest = min(qualified)
        current = survivor_score.marketing_qualified_at if survivor_score else None
        if current is None or earliest < current:
            survivor_qualified = _iso(current)
            LeadScore.objects.filter(lead=survivor).update(marketing_qualified_at=earliest)
    services.evaluate_fit(lead=survivor, now=now)
    score.refresh_from_db()

    # Temperature: the chosen one (by default the hottest card's), never below what the points say, set
    # through set_temperature: reaching "hot" hands a lead with marketing to sales, once; a lead already
    # with sales stays with its owner.
    lead = Lead.objects.get(pk=survivor.pk)
    band = services.temperature_for(services.points_now(score, now=now, settings=settings), settings)
    chosen = context.chosen.get("temperature", lead.temperature)
    target = max((chosen, band), key=lambda value: services.RANK.get(value, 0))
    handoff: dict[str, Any] | None = None
    if target != lead.temperature and target in Temperature.values:
        before = {"state": lead.state, "last_ids": _last_ids(), "sla_due_at": _iso(lead.sla_due_at),
                  "sales_since": _iso(lead.sales_since), "owner_id": lead.owner_id,
                  "deferred_until": lead.deferred_until.isoformat() if lead.deferred_until else None,
                  "open_tasks": list(Task.objects.open().filter(lead=lead).values_list("pk", flat=True)),
                  "qualified_before": _iso(LeadScore.objects.filter(lead=survivor).values_list(
                      "marketing_qualified_at", flat=True).first())}
        lead = services.set_temperature(lead, target, by=None, reason="merge")
        if before["state"] in (LeadState.NURTURING, LeadState.DEFERRED) and lead.state == LeadState.OPEN:
            # The merge handed the survivor to sales (or brought a deferred one back): what the hand-off made and
            # closed, so that undoing the merge can take it back while nobody has worked the lead since.
            handoff = {"from_state": before["state"], "deferred_until": before["deferred_until"],
                       "tasks": list(Task.objects.filter(lead=lead, pk__gt=before["last_ids"]["task"])
                                     .values_list("pk", flat=True)),
                       "closed_tasks": list(Task.objects.filter(pk__in=before["open_tasks"], completed_at__isnull=False)
                                            .values_list("pk", flat=True)),
                       "routed_to": lead.owner_id if lead.owner_id != before["owner_id"] else None,
                       "last_ids": _last_ids(), "sla_due_at": before["sla_due_at"],
                       "sales_since": before["sales_since"], "qualified_before": before["qualified_before"]}
    LeadScore.objects.filter(lead=survivor).update(
        cools_at=services.cooling_moment(score, temperature=lead.temperature, settings=settings)
        if lead.temperature == band else None)
    return {"moved": moved, "fit_cancelled": [entry.pk for entry in cancelled], "scores": scores,
            "survivor_marketing_qualified_at": survivor_qualified, "handoff": handoff}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _parse(value: str | None) -> Any:
    from django.utils.dateparse import parse_datetime

    return parse_datetime(value) if value else None
