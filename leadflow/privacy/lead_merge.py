"""The privacy room's part of merging leads: consent records move, so the survivor's consent history is whole;
per purpose the newest record wins (`has_consent`, `current_consents`), and the lead's summary follows it."""

from __future__ import annotations

from typing import Any

from leadflow.leads.merging import MergeContext, UndoContext, move_rows, move_rows_back, on_merge
from leadflow.privacy.models import Consent
from leadflow.privacy.services import sync_lead_summary


def undo_privacy(context: UndoContext) -> None:
    move_rows_back(Consent, "lead", context.data["moved"])
    for lead in [context.survivor, *context.others]:
        sync_lead_summary(lead)


@on_merge("privacy", undo=undo_privacy)
def merge_privacy(context: MergeContext) -> dict[str, Any]:
    moved = move_rows(Consent, "lead", other_ids=context.other_ids, survivor_id=context.survivor.pk)
    sync_lead_summary(context.survivor)
    return {"moved": moved}
