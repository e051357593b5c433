"""The warming room's part of merging leads: events, points and visitors move to the survivor; its points are
rebuilt from the moved history with the fading arithmetic, and its temperature follows `set_temperature`."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from leadflow.leads.merging import MergeContext, UndoContext, move_rows, move_rows_back, on_merge
from leadflow.leads.models import Lead, Temperature
from leadflow.warming import services
from leadflow.warming.models import BehaviourEvent, EntryKind, LeadScore, ScoreEntry, Visitor

# A fit rule is about who the person is: two cards of one person earn it once.
MERGED_FIT_TEXT = gettext_noop("%(points)s counted once after merging lead #%(lead)s: %(rule)s")
MOVED = ((BehaviourEvent, "lead"), (ScoreEntry, "lead"), (Visitor, "lead"))


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
    if target != lead.temperature and target in Temperature.values:
        lead = services.set_temperature(lead, target, by=None, reason="merge")
    LeadScore.objects.filter(lead=survivor).update(
        cools_at=services.cooling_moment(score, temperature=lead.temperature, settings=settings)
        if lead.temperature == band else None)
    return {"moved": moved, "fit_cancelled": [entry.pk for entry in cancelled], "scores": scores,
            "survivor_marketing_qualified_at": survivor_qualified}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _parse(value: str | None) -> Any:
    from django.utils.dateparse import parse_datetime

    return parse_datetime(value) if value else None
