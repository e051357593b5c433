"""The partners room's part of merging leads: the status postbacks of the merged leads follow their submissions
(which the merge moves to the survivor), so a partner's lead and its postbacks stay on one card; a partner's accepted
lead the merge finds to be a duplicate is marked so (partners.duplicates). Undo puts both back."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from leadflow.leads.merging import MergeContext, UndoContext, move_rows, move_rows_back, on_merge
from leadflow.partners.duplicates import mark_found_duplicates, unmark_found_duplicates
from leadflow.partners.models import Postback


def undo_partners(context: UndoContext) -> None:
    move_rows_back(Postback, "lead", context.data["moved"])
    for submission in unmark_found_duplicates(context.data.get("found", [])):
        context.notes.append(
            _("%(partner)s was already told that its submission #%(id)s was a duplicate; it is an accepted lead "
              "again: tell the partner.") % {"partner": submission.partner.name, "id": submission.pk})


@on_merge("partners", undo=undo_partners)
def merge_partners(context: MergeContext) -> dict[str, Any]:
    moved = move_rows(Postback, "lead", other_ids=context.other_ids, survivor_id=context.survivor.pk)
    return {"moved": moved, "found": mark_found_duplicates(lead_id=context.survivor.pk, by=context.by)}
