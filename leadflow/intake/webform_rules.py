"""The rules a web form's submission is held to: its own required fields, the minimum fill time (a signed
render time), rate limits per IP and per form, and collapsing a double submit into one submission.

The pipeline calls `required_errors` and `timing_spam_reason` with the journaled payload alone, so a
replay from the journal decides the same way; the views call the rest before anything is journaled.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from leadflow.intake.models import Form, RateCounter, Submission
from leadflow.matching import normalize

# The signed time the form was shown; its presence marks a submission from the hosted page or the embed.
FORM_TOKEN = "_ts"  # noqa: S105 (a field name, not a secret)
HONEYPOT = "website_url"  # hidden from people; bots fill it (pipeline.classify)
TOKEN_SALT = "leadflow.intake.webform"  # noqa: S105 (a namespace for signing)
TRUTHY = {"1", "true", "yes", "on"}
# Keys that may differ between two clicks on one filled form and so do not make it a different submission.
# The render token does count: two clicks (or a browser's resend) on one showing of the form carry the same
# token, while the same text sent again from a new showing is a new request.
NOT_CONTENT = {"first_touch", "form_key", "referrer", "landing_page"}


def issue_token(form: Form, *, now: float | None = None) -> str:
    """A token saying 'form N was shown at t', signed with the secret key so the sender cannot age it."""
    shown_at = int((time.time() if now is None else now) * 1000)
    return signing.dumps({"f": form.pk, "t": shown_at}, salt=TOKEN_SALT, compress=False)


def shown_at(form: Form, token: Any) -> float | None:
    """When the form was shown (Unix seconds), or None for a missing, forged or other form's token."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("f") != form.pk or not isinstance(data.get("t"), int):
        return None
    return data["t"] / 1000


def timing_spam_reason(form: Form, payload: dict[str, Any], *, received_at: datetime) -> str:
    """Why the submission is taken for a bot ('' when it is not): no valid token, or sent too fast."""
    started = shown_at(form, payload.get(FORM_TOKEN))
    if started is None:
        return "form token missing or forged"
    elapsed = received_at.timestamp() - started
    if elapsed < form.min_fill_seconds:
        return f"sent {max(elapsed, 0):.1f} s after the form was shown (minimum {form.min_fill_seconds} s)"
    return ""


def _given(value: Any) -> bool:
    if value is None or (isinstance(value, bool) and not value):
        return False
    return bool(str(value).strip())


def required_errors(form: Form, payload: dict[str, Any]) -> dict[str, list[str]]:
    """Each required field the visitor left empty, and the consent box when the form asks for consent."""
    errors: dict[str, list[str]] = {}
    for name in form.required_fields():
        value = payload.get(name)
        # A contact the form requires is not given by "-" or "нет" typed into it (the pipeline reads those as empty).
        if not _given(value) or (name in ("phone", "email") and normalize.is_placeholder(str(value))):
            errors[name] = [_("This field is required.")]
    if form.consent_text:
        consent = payload.get("consent")
        if not (consent is True or str(consent).strip().lower() in TRUTHY):
            errors["consent"] = [_("Please agree to be contacted, or we cannot answer you.")]
    return errors


# ---------------------------------------------------------------- who is asking


def client_ip(request: HttpRequest) -> str:
    """The visitor's address. Behind a reverse proxy, `leadflow run` with LEADFLOW_TRUSTED_PROXY has
    already put the address the proxy saw into REMOTE_ADDR (X-Forwarded-For from anyone else is ignored)."""
    return request.META.get("REMOTE_ADDR", "")


# ---------------------------------------------------------------- rate limits


def _count(keys: list[str], start: int, window: int) -> None:
    """One more hit on each key in the window starting at `start`, in the caller's transaction.

    Plain SQL: this runs for every form submission and every tracked page view. Key by key in one order (so
    two requests never lock the same counters in opposite orders): an UPDATE counts a key whose window is open;
    a key whose window is not open yet (its first hit in the window) is counted by an upsert, which also
    counts a request opening the same window at the same moment."""
    quote = connection.ops.quote_name
    table, key_column = quote(RateCounter._meta.db_table), quote("key")
    opened = False
    with connection.cursor() as cursor:
        for key in sorted(keys):
            cursor.execute(f"UPDATE {table} SET hits = hits + 1 "  # noqa: S608
                           f"WHERE window_start = %s AND {key_column} = %s", [start, key])
            if cursor.rowcount:
                continue
            cursor.execute(
                f"INSERT INTO {table} ({key_column}, window_start, hits) VALUES (%s, %s, 1) "  # noqa: S608
                f"ON CONFLICT ({key_column}, window_start) DO UPDATE SET hits = {table}.hits + 1", [key, start])
            opened = True
        if opened:  # a new window began: counters two windows old can no longer count
            cursor.execute(f"DELETE FROM {table} WHERE window_start < %s", [start - window])  # noqa: S608


def count_hits(limits: dict[str, int], *, now: float | None = None) -> int:
    """Count this request against each key's limit per window; seconds the sender must wait (0 = go ahead).

    A sliding window estimated from two fixed ones: the previous window's hits weighted by how much of
    it still overlaps, plus this window's. The counters move in the caller's transaction (or their own)."""
    now = time.time() if now is None else now
    window = settings.LEADFLOW_FORM_RATE_WINDOW
    start = int(now // window) * window
    keys = list(limits)
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(keys))
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        _count(keys, start, window)
        cursor.execute(
            f"SELECT {quote('key')}, window_start, hits FROM {quote(RateCounter._meta.db_table)} "  # noqa: S608
            f"WHERE window_start IN (%s, %s) AND {quote('key')} IN ({marks})", [start, start - window, *keys])
        hits = {(key, window_start): count for key, window_start, count in cursor.fetchall()}
    overlap = 1 - (now - start) / window
    for key, limit in limits.items():
        if hits.get((key, start - window), 0) * overlap + hits.get((key, start), 0) > limit:
            return max(1, math.ceil(start + window - now))
    return 0


def rate_limited(form: Form, ip: str, *, now: float | None = None, per_ip: bool = True) -> int:
    """Count this request per IP and per form; seconds the sender must wait (0 = go ahead).

    per_ip=False for a website builder's server proven by the form's server token: its one address carries
    every visitor's submission, so only the form's own limit applies."""
    limits = {f"form:{form.pk}": settings.LEADFLOW_FORM_RATE_PER_FORM}
    if per_ip:
        limits[f"ip:{ip}"] = settings.LEADFLOW_FORM_RATE_PER_IP
    return count_hits(limits, now=now)


# ---------------------------------------------------------------- double submit


def _normalised(value: Any) -> Any:
    if isinstance(value, str):
        return re.sub(r"\s+", " ", value).strip().casefold()
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    return value


def duplicate_keys(form: Form, payload: dict[str, Any], *, visitor: str, now: float | None = None) -> list[str]:
    """Idempotency keys of this content from this visitor: this time bucket's first, then the previous one's."""
    content = {key: _normalised(value) for key, value in payload.items() if key not in NOT_CONTENT}
    digest = hashlib.sha256(
        json.dumps([form.pk, visitor, content], sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()[:40]
    window = settings.LEADFLOW_FORM_DUPLICATE_SECONDS
    bucket = int((time.time() if now is None else now) // window)
    return [f"webform:{digest}:{bucket}", f"webform:{digest}:{bucket - 1}"]


def earlier_duplicate(form: Form, keys: list[str], *, now: datetime) -> Submission | None:
    """The first submission of the same content from the same visitor within the short window, if any."""
    from datetime import timedelta

    since = now - timedelta(seconds=settings.LEADFLOW_FORM_DUPLICATE_SECONDS)
    return (
        Submission.objects.filter(sender=f"form:{form.pk}", idempotency_key__in=keys, received_at__gte=since)
        .order_by("pk").first()
    )
