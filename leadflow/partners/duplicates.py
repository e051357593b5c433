"""A partner's accepted lead that a later merge finds to be a person who was a lead already (DOMAIN.md 22).

On arrival such a person is a duplicate and is not paid. Found only later (another phone, a typo, then a merge by
hand or by the batch de-duplication), it is the same: the partner report stops counting it as accepted and paying
for it (intake.attribution: it did not create its lead), the daily cap gives its place back (terms.cap_reached),
the partner's status endpoints call it a duplicate, and a "duplicate" postback with payout 0 tells a partner that
was told "accepted" with a payout. This module records when, by whom and why, and undoes it with the merge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.intake.attribution import created_it, creating_submissions
from leadflow.intake.models import Submission, SubmissionStatus
from leadflow.partners.models import Postback, PostbackState, PostbackStatus


def found_duplicates_on(lead_id: int) -> Any:
    """The partner submissions the card holds that were accepted but did not create it, not marked yet."""
    return (Submission.objects.filter(lead_id=lead_id, partner__isnull=False, status=SubmissionStatus.CREATED,
                                      duplicate_found_at__isnull=True)
            .annotate(created_it=created_it()).filter(created_it=False))


def mark_found_duplicates(*, lead_id: int, by: User | None, now: datetime | None = None) -> list[int]:
    """After a merge into `lead_id`: record on each partner submission that turned out to be a duplicate when and
    why, and queue its "duplicate" postback; the ids marked (for undo)."""
    from leadflow.partners.postbacks import schedule_postback

    now = now or timezone.now()
    found = list(found_duplicates_on(lead_id).select_related("partner"))
    if not found:
        return []
    first = creating_submissions().filter(lead_id=lead_id).values_list("pk", flat=True).first()
    Submission.objects.filter(pk__in=[s.pk for s in found]).update(
        duplicate_found_at=now, duplicate_found_by=by, duplicate_of_id=first)
    told = set(Postback.objects.filter(submission__in=found, status=PostbackStatus.ACCEPTED)
               .values_list("submission_id", flat=True))
    for submission in found:
        # A partner told "accepted, payout X" is told it is reversed, whether or not it asked for this status.
        wanted = PostbackStatus.DUPLICATE in (submission.partner.postback_statuses or [])
        if wanted or submission.pk in told:
            schedule_postback(submission=submission, status=PostbackStatus.DUPLICATE, now=now, always=True)
    return [s.pk for s in found]


def unmark_found_duplicates(ids: list[int]) -> list[Submission]:
    """Undoing the merge: the submissions are accepted leads again. A "duplicate" postback not sent yet is dropped;
    the submissions whose partner was already told (returned) need a word from a person."""
    Postback.objects.filter(submission_id__in=ids, status=PostbackStatus.DUPLICATE,
                            state=PostbackState.PENDING).delete()
    told = list(Submission.objects.filter(pk__in=ids, postbacks__status=PostbackStatus.DUPLICATE)
                .select_related("partner").distinct())
    Submission.objects.filter(pk__in=ids).update(duplicate_found_at=None, duplicate_found_by=None, duplicate_of=None)
    return told


def reason_code(submission: Submission, *, partner_id: int | None) -> str | None:
    """The same reason as a code for the partner's software: own_earlier_submission or already_a_lead."""
    if submission.duplicate_found_at is None:
        return None
    earlier = submission.duplicate_of
    return "own_earlier_submission" if earlier is not None and earlier.partner_id == partner_id else "already_a_lead"


def found_in(*, partners: Any, since: datetime, until: datetime, limit: int = 200) -> tuple[list[Submission], int]:
    """The duplicates found after acceptance that arrived in [since, until) (a closed month's figures that changed
    since: which, when, why) or were found in it (what changed in earlier months' figures), newest first (at most
    `limit`), and how many."""
    qs = Submission.objects.filter(
        Q(duplicate_found_at__gte=since, duplicate_found_at__lt=until)
        | Q(received_at__gte=since, received_at__lt=until, duplicate_found_at__isnull=False),
        partner__in=partners,
    )
    rows = list(qs.select_related("partner", "duplicate_of", "duplicate_found_by")
                .order_by("-duplicate_found_at", "-pk")[:limit])
    return rows, (len(rows) if len(rows) < limit else qs.count())
