"""The partners room's part of merging leads: the status postbacks of the merged leads follow their submissions
(which the merge moves to the survivor), so a partner's lead and its postbacks stay on one card; undo puts them back."""

from __future__ import annotations

from typing import Any

from leadflow.leads.merging import MergeContext, UndoContext, move_rows, move_rows_back, on_merge
from leadflow.partners.models import Postback


def undo_partners(context: UndoContext) -> None:
    move_rows_back(Postback, "lead", context.data["moved"])


@on_merge("partners", undo=undo_partners)
def merge_partners(context: MergeContext) -> dict[str, Any]:
    return {"moved": move_rows(Postback, "lead", other_ids=context.other_ids, survivor_id=context.survivor.pk)}
