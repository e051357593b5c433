"""The erasure tests' common case: a person erased, and a colleague's card whose notes quote them."""

from __future__ import annotations

from typing import Any

from leadflow.accounts.models import User
from leadflow.leads import services as leads
from leadflow.leads.models import Activity
from leadflow.privacy import services
from leadflow.privacy.models import ErasureLog


def erase_among_notes(make_lead: Any, *, owner: User, admin: User, first: str, last: str,
                      notes: list[str]) -> tuple[ErasureLog, dict[str, Activity]]:
    """Erase the lead `first last` (of `owner`) by `admin` after the notes were written on a colleague's card of the
    same manager; the log and each note's activity, read again after the erasure."""
    person = make_lead(first_name=first, last_name=last, phone="+79161112233", email="erased@name.example",
                       owner=owner)
    colleague = make_lead(first_name="Кирилл", last_name="Орлов", phone="+79035550000", email="kirill@firm.example",
                          owner=owner)
    written = {text: leads.log_activity(lead=colleague, kind="note", by=owner, body=text) for text in notes}
    log = services.erase_person(person=services.find_person(lead=person), by=admin)
    for activity in written.values():
        activity.refresh_from_db()
    return log, written
