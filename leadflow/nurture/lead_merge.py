"""The nurture room's part of merging leads: tags unite; sequences go on once per person, never sending a mail
the person already had; the mail log and survey answers move to the survivor."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime

from leadflow.leads.merging import MergeContext, UndoContext, move_rows, move_rows_back, on_merge
from leadflow.nurture.models import Enrollment, EnrollmentState, MailMessage, SurveyAnswer, Tag
from leadflow.nurture.services import _stop

MOVED = ((Enrollment, "lead"), (MailMessage, "lead"), (SurveyAnswer, "lead"))
TagLink = Tag.leads.through


def undo_nurture(context: UndoContext) -> None:
    data = context.data
    for model, field in MOVED:
        move_rows_back(model, field, data["moved"].get(model.__name__, {}))
    for row in data.get("stopped", []):
        # Sequences the merge stopped run again from where they were (unless the card started it anew since).
        try:
            with transaction.atomic():
                Enrollment.objects.filter(pk=row["id"], state=EnrollmentState.STOPPED, stop_reason="merged").update(
                    state=EnrollmentState.ACTIVE, stop_reason="", ended_at=None, stopped_by=None,
                    next_run_at=parse_datetime(row["next_run_at"]) if row["next_run_at"] else None)
        except IntegrityError:
            continue
    TagLink.objects.filter(lead_id=context.survivor.pk, tag_id__in=data.get("added_tags", [])).delete()
    TagLink.objects.bulk_create([TagLink(lead_id=int(lead_id), tag_id=tag_id)
                                 for lead_id, tag_ids in data.get("tags", {}).items() for tag_id in tag_ids],
                                ignore_conflicts=True)


@on_merge("nurture", undo=undo_nurture)
def merge_nurture(context: MergeContext) -> dict[str, Any]:
    survivor, other_ids = context.survivor, context.other_ids
    # Tags: the survivor has every tag any of the cards had.
    tags: dict[str, list[int]] = {}
    for lead_id, tag_id in TagLink.objects.filter(lead_id__in=other_ids).values_list("lead_id", "tag_id"):
        tags.setdefault(str(lead_id), []).append(tag_id)
    own = set(TagLink.objects.filter(lead_id=survivor.pk).values_list("tag_id", flat=True))
    added = sorted({tag_id for ids in tags.values() for tag_id in ids} - own)
    TagLink.objects.filter(lead_id__in=other_ids).delete()
    TagLink.objects.bulk_create([TagLink(lead_id=survivor.pk, tag_id=tag_id) for tag_id in added],
                                ignore_conflicts=True)

    stopped = _one_run_per_sequence(survivor.pk, other_ids)
    moved = {model.__name__: move_rows(model, field, other_ids=other_ids, survivor_id=survivor.pk)
             for model, field in MOVED}
    return {"tags": tags, "added_tags": added, "stopped": stopped, "moved": moved}


def _one_run_per_sequence(survivor_id: int, other_ids: list[int]) -> list[dict[str, Any]]:
    """Of the person's running enrollments in one sequence, the one furthest along goes on (the person already
    had the earlier steps' mails through one card or another); the others stop. A sequence the survivor
    already went through (finished, or stopped: replied, unsubscribed...) is not started again by the merge."""
    enrollments = list(Enrollment.objects.select_for_update().filter(lead_id__in=[survivor_id, *other_ids])
                       .order_by("pk"))
    by_sequence: dict[int, list[Enrollment]] = {}
    for enrollment in enrollments:
        by_sequence.setdefault(enrollment.sequence_id, []).append(enrollment)
    to_stop: list[Enrollment] = []
    for runs in by_sequence.values():
        running = [e for e in runs if e.state == EnrollmentState.ACTIVE]
        if not any(e.lead_id != survivor_id for e in running):
            continue
        survivor_ended = any(e.lead_id == survivor_id and e.state != EnrollmentState.ACTIVE for e in runs)
        survivor_runs = any(e.lead_id == survivor_id for e in running)
        if survivor_ended and not survivor_runs:
            to_stop += [e for e in running if e.lead_id != survivor_id]
            continue
        keep = max(running, key=lambda e: (e.step_index, e.lead_id == survivor_id, -e.pk))
        to_stop += [e for e in running if e.pk != keep.pk]
    _stop(Enrollment.objects.filter(pk__in=[e.pk for e in to_stop]), reason="merged")
    return [{"id": e.pk, "next_run_at": e.next_run_at.isoformat() if e.next_run_at else None} for e in to_stop]
