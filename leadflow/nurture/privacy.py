"""The nurture room's part of data-subject requests: its mail log, enrollments, survey answers, suppressions."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from leadflow.nurture.models import Enrollment, MailMessage, Suppression, SurveyAnswer
from leadflow.privacy.services import eraser, exporter, mailbox_regex


def _mail_of(person: Any) -> Any:
    emails = [e.lower() for e in getattr(person, "emails", ()) if e]
    # Mail to any spelling of the person's mailboxes (an extra address is known only by its canonical key).
    to_person = Q(to_email__iregex=mailbox_regex(emails)) if emails else Q(pk__in=[])
    return MailMessage.objects.filter(
        to_person | Q(lead_id__in=list(person.lead_ids)) | Q(client_id__in=list(person.client_ids))
    )


@exporter("nurture")
def export_nurture(person: Any) -> dict[str, Any]:
    emails = [e.lower() for e in getattr(person, "emails", ()) if e]
    return {
        "mail": [
            {"to": m.to_email, "subject": m.subject, "status": m.status, "created_at": m.created_at.isoformat(),
             "sent_at": m.sent_at.isoformat() if m.sent_at else None}
            for m in _mail_of(person).order_by("created_at")
        ],
        "sequences": [
            {"sequence": e.sequence.name, "state": e.state, "started_at": e.started_at.isoformat(),
             "stop_reason": e.stop_reason}
            for e in Enrollment.objects.filter(Q(lead_id__in=list(person.lead_ids))
                                               | Q(client_id__in=list(person.client_ids))).select_related("sequence")
        ],
        "survey_answers": [
            {"reason": a.reason, "comment": a.comment, "may_contact_later": a.may_contact_later,
             "answered_at": a.answered_at.isoformat()}
            for a in SurveyAnswer.objects.filter(lead_id__in=list(person.lead_ids))
        ],
        "suppressed": list(Suppression.objects.filter(email__in=emails).values_list("email", "reason")),
    }


@eraser("nurture")
def erase_nurture(person: Any) -> int:
    """Delete the mail log and survey answers; the suppression of the address stays (so it is never mailed
    again), which the erasure is allowed to keep as the record of the objection."""
    changed = _mail_of(person).delete()[0]
    changed += SurveyAnswer.objects.filter(lead_id__in=list(person.lead_ids)).delete()[0]
    changed += Enrollment.objects.filter(Q(lead_id__in=list(person.lead_ids))
                                         | Q(client_id__in=list(person.client_ids))).delete()[0]
    return changed
