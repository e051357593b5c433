"""The inbox room's part of merging leads: e-mails of the merged leads are the survivor's history now."""

from __future__ import annotations

from typing import Any

from leadflow.inbox.models import IncomingEmail
from leadflow.leads.merging import MergeContext, UndoContext, move_rows, move_rows_back, on_merge


def undo_inbox(context: UndoContext) -> None:
    move_rows_back(IncomingEmail, "lead", context.data["moved"])


@on_merge("inbox", undo=undo_inbox)
def merge_inbox(context: MergeContext) -> dict[str, Any]:
    return {"moved": move_rows(IncomingEmail, "lead", other_ids=context.other_ids, survivor_id=context.survivor.pk)}
