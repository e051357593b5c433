"""The scoring room's part of merging leads: the merged cards' predictions go (they described cards that are no
longer leads) and the survivor, whose history just grew, is scored again with the model in use."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from leadflow.leads.merging import MergeContext, UndoContext, on_merge
from leadflow.scoring.models import Prediction
from leadflow.scoring.services import score_lead

log = logging.getLogger(__name__)


def _rescore(lead_ids: list[int]) -> None:
    for lead_id in lead_ids:
        try:
            with transaction.atomic():  # a savepoint: a failing model never undoes the merge around it
                score_lead(lead_id=lead_id)
        except Exception:
            log.exception("scoring lead %s after a merge failed", lead_id)


def undo_scoring(context: UndoContext) -> None:
    _rescore([context.survivor.pk, *(lead.pk for lead in context.others)])


@on_merge("scoring", undo=undo_scoring)
def merge_scoring(context: MergeContext) -> dict[str, Any]:
    dropped = Prediction.objects.filter(lead_id__in=context.other_ids).delete()[0]
    # An open survivor gets a fresh score with the model in use (a lead not open keeps its last one, as any
    # lead does once it leaves sales' list; with no trained model there is nothing to score with).
    _rescore([context.survivor.pk])
    return {"dropped": dropped}
