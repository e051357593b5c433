"""Admin deletion of things reports are counted by: refused while they have history, with what to do instead.

Deleting a team, a person, a partner, a source or a campaign would not fail: the database empties the leads',
submissions' and costs' links to it (SET_NULL) or deletes rows with it (spend, postbacks), and last quarter's
figures silently change. The admin's confirmation page lists such history as protected objects (Django's own
refusal, as for a PROTECT key: the page says why and nothing is deleted, never an error page) and says how to
retire the thing instead; something created by mistake and never used is still deleted.
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
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)  # type: ignore[misc]
        kept = [f"{capfirst(str(what))}: {count} ({obj})" for obj in objs for what, count in self.history_of(obj)
                if count]
        if kept or protected:
            protected = [*protected, *kept]
            messages.error(request, self.retire_hint)
        return deleted, counts, perms_needed, protected
