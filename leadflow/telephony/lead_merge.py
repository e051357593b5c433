"""The telephony room's part of merging leads: calls of the merged leads are the survivor's history now."""

from __future__ import annotations

from typing import Any

from leadflow.leads.merging import MergeContext, UndoContext, move_rows, move_rows_back, on_merge
from leadflow.telephony.models import Call


def undo_telephony(context: UndoContext) -> None:
    move_rows_back(Call, "lead", context.data["moved"])


@on_merge("telephony", undo=undo_telephony)
def merge_telephony(context: MergeContext) -> dict[str, Any]:
    return {"moved": move_rows(Call, "lead", other_ids=context.other_ids, survivor_id=context.survivor.pk)}
