"""Status postbacks to partners: scheduled from outbox events, sent by the worker with backoff."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from leadflow.core import netguard
from leadflow.intake.attribution import created_the_lead
from leadflow.intake.models import Partner, Submission
from leadflow.partners import terms
from leadflow.partners.models import Postback, PostbackState

log = logging.getLogger(__name__)

BATCH = 20
THREADS = 4
LEASE = timedelta(minutes=5)  # a claimed postback is left alone this long by other workers
MAX_DELAY = timedelta(hours=6)


def accepted_submission(lead_id: int) -> Submission | None:
    """The partner submission that brought this lead in (accepted), if a partner brought it: after a merge, the one
    that created the survivor (intake.attribution), the one the partner report counts and pays."""
    return (
        Submission.objects.filter(created_the_lead(), lead_id=lead_id, partner__isnull=False)
        .select_related("partner").order_by("pk").first()
    )


def schedule_postback(*, submission: Submission, status: str, now: datetime | None = None,
                      always: bool = False) -> Postback | None:
    """Queue the postback of one status of an accepted submission, once; None when the partner wants none.
    `always`: whatever statuses the partner chose (a reversal of what it was told), given a URL."""
    partner: Partner | None = submission.partner
    if partner is None or not partner.postback_url or (
            not always and status not in (partner.postback_statuses or [])):
        return None
    payout = terms.earned_payout(submission, status)
    url = terms.render_postback(partner.postback_url, {
        "click_id": terms.click_id_of(submission.payload), "status": status, "payout": f"{payout:.2f}",
        "lead_id": submission.lead_id or "", "submission_id": submission.pk,
    })
    try:
        with transaction.atomic():
            return Postback.objects.create(
                partner=partner, submission=submission, lead_id=submission.lead_id, status=status, payout=payout,
                url=url[:2000], next_at=now or timezone.now(),
            )
    except IntegrityError:
        return None  # this status was already posted for this submission


def backoff(attempts: int) -> timedelta:
    """Delay before attempt number attempts+1: the base, doubled after each failure, at most six hours."""
    base = timedelta(seconds=float(settings.LEADFLOW_POSTBACK_RETRY_SECONDS))
    return min(base * (2 ** max(attempts - 1, 0)), MAX_DELAY)


def _call(url: str) -> tuple[int | None, str, bool]:
    """(response code, error, may retry) of one attempt; no database access, so it runs in a thread."""
    return netguard.attempt(lambda: netguard.get(url, timeout=float(settings.LEADFLOW_POSTBACK_TIMEOUT)),
                            what="the postback URL")


def _record(postback: Postback, result: tuple[int | None, str, bool], *, now: datetime) -> None:
    code, error, retry = result
    postback.attempts += 1
    postback.response_code = code
    postback.last_error = error
    if code is not None and 200 <= code < 300:
        postback.state, postback.sent_at = PostbackState.SENT, now
    elif code is None and not retry:
        postback.state = PostbackState.REFUSED
    elif retry and postback.attempts < int(settings.LEADFLOW_POSTBACK_MAX_ATTEMPTS):
        postback.next_at = now + backoff(postback.attempts)
    else:
        postback.state = PostbackState.FAILED
    postback.save(update_fields=["attempts", "response_code", "last_error", "state", "sent_at", "next_at"])


def send_due_postbacks(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Send the postbacks whose time has come; how many were attempted.

    Each is claimed with a conditional UPDATE first, so several workers never post one twice at once;
    the calls run in a few threads so one slow partner does not hold the others up.
    """
    now = now or timezone.now()
    due = list(
        Postback.objects.filter(state=PostbackState.PENDING, next_at__lte=now)
        .order_by("next_at", "pk").values_list("pk", "next_at")[:limit]
    )
    claimed = [
        pk for pk, next_at in due
        if Postback.objects.filter(pk=pk, state=PostbackState.PENDING, next_at=next_at).update(next_at=now + LEASE)
    ]
    if not claimed:
        return 0
    postbacks = list(Postback.objects.filter(pk__in=claimed).order_by("pk"))
    with ThreadPoolExecutor(max_workers=min(THREADS, len(postbacks))) as pool:
        results = list(pool.map(_call, [p.url for p in postbacks]))
    for postback, result in zip(postbacks, results, strict=True):
        if result[1]:
            log.warning("postback %s to partner %s: %s", postback.pk, postback.partner_id, result[1])
        _record(postback, result, now=now)
    return len(postbacks)


def retry_now(postbacks: list[Postback]) -> int:
    """An admin sends failed or waiting postbacks again at once (e.g. after the partner fixed its server)."""
    ids = [p.pk for p in postbacks if p.state in (PostbackState.PENDING, PostbackState.FAILED)]
    return Postback.objects.filter(pk__in=ids).update(state=PostbackState.PENDING, next_at=timezone.now(),
                                                      attempts=0)
