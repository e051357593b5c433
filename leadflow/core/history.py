"""Admin deletion of things reports are counted by: refused while they have history, with what to do instead.

Deleting a team, a person, a partner, a source or a campaign would empty the leads', submissions' and costs' links
to it or delete rows with it, and last quarter's figures would silently change: the keys to them are PROTECT, so
`delete()` raises ProtectedError and the database refuses a DELETE. The admin's confirmation page lists such history
as counts (Django's own refusal, as for a PROTECT key: the page says why and nothing is deleted, never an error page)
and says how to retire the thing instead; something created by mistake and never used is still deleted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.utils.text import capfirst


class KeepsHistoryAdmin:
    """Mixin for a ModelAdmin: `history_of(obj)` names the history that keeps `obj`; `retire_hint` says what to do."""

    retire_hint: Any = ""

    def history_of(self, obj: Any) -> list[tuple[Any, int]]:
        """(what, how many) that would lose `obj` or be deleted with it."""
        return []

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        kept = [f"{capfirst(str(what))}: {count} ({obj})" for obj in objs for what, count in self.history_of(obj)
                if count]
        if kept:
            # Refused by the counts alone: the keys to this history are PROTECT, and Django's own collection would
            # read and list every one of years of leads on the confirmation page.
            messages.error(request, self.retire_hint)
            return [str(obj) for obj in objs], {}, set(), kept
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)  # type: ignore[misc]
        if protected:
            messages.error(request, self.retire_hint)
        return deleted, counts, perms_needed, protected
