"""Taking events in: the checks shared by the tracking snippet's public endpoint and the events API.

Every problem is reported against the field that has it ("events.0.url"), nothing is stored from a
batch with a bad event, and nothing here raises past the caller (never a 500 for bad input).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from leadflow.warming.models import EventKind

VISITOR_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Our own mail's opens and clicks, and purchases, come from our side or a shop's back end, not a page.
SERVER_ONLY = {EventKind.EMAIL_OPENED, EventKind.EMAIL_CLICKED, EventKind.PURCHASE}
PUBLIC_KINDS = [kind for kind in EventKind.values if kind not in SERVER_ONLY]
MAX_PROPERTIES = 20
MAX_PROPERTY_TEXT = 500
MAX_DURATION = 24 * 3600
FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little; "tomorrow" is a mistake
PAST_LIMIT = timedelta(days=366)


class EventInput:
    """One checked event, ready for `record_behaviour`."""

    def __init__(self, *, kind: str, url: str, duration_seconds: int | None, properties: dict[str, Any],
                 occurred_at: datetime | None) -> None:
        self.kind, self.url, self.duration_seconds = kind, url, duration_seconds
        self.properties, self.occurred_at = properties, occurred_at


def check_visitor_id(value: Any, errors: dict[str, list[str]], field: str = "visitor_id") -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not VISITOR_ID.match(value):
        errors.setdefault(field, []).append(_("1 to 64 letters, digits and . _ : - only."))
        return ""
    return value


def check_event(data: Any, *, prefix: str, public: bool, now: datetime,
                errors: dict[str, list[str]], zone: tzinfo | None = None) -> EventInput | None:
    """Check one event object; add each problem to `errors` under `<prefix>.<field>`. A time without a UTC offset
    is read in `zone` (the sender's; by default the site's)."""
    if not isinstance(data, dict):
        errors.setdefault(prefix or "__all__", []).append(_("Each event must be a JSON object."))
        return None
    before = sum(len(v) for v in errors.values())

    def fail(field: str, message: str) -> None:
        errors.setdefault(f"{prefix}.{field}" if prefix else field, []).append(message)

    kinds = PUBLIC_KINDS if public else EventKind.values
    kind = data.get("kind")
    if not kind:
        fail("kind", _("This field is required."))
    elif not isinstance(kind, str) or kind not in kinds:
        fail("kind", _("Unknown event; known: %(kinds)s.") % {"kinds": ", ".join(kinds)})
    url = data.get("url") or ""
    if not isinstance(url, str) or len(url) > 1000 or (url and not re.match(r"^https?://[^\s/]+", url, re.I)):
        fail("url", _("An http(s) address of at most 1000 characters."))
        url = ""
    duration = data.get("duration_seconds")
    if duration is not None:
        if isinstance(duration, bool) or not isinstance(duration, int | float) or not math.isfinite(duration) \
                or not 0 <= duration <= MAX_DURATION:
            fail("duration_seconds", _("Whole seconds from 0 to %(max)d.") % {"max": MAX_DURATION})
            duration = None
        else:
            duration = int(duration)
    properties = data.get("properties") or {}
    if not isinstance(properties, dict):
        fail("properties", _("Must be a JSON object."))
        properties = {}
    elif len(properties) > MAX_PROPERTIES:
        fail("properties", _("At most %(n)d properties.") % {"n": MAX_PROPERTIES})
    else:
        for key, value in properties.items():
            if len(key) > 60:
                fail("properties", _("Property names are at most 60 characters."))
            elif not (value is None or isinstance(value, bool | int | float)
                      or (isinstance(value, str) and len(value) <= MAX_PROPERTY_TEXT)):
                fail(f"properties.{key}", _("Text of at most %(n)d characters, a number, true or false.")
                     % {"n": MAX_PROPERTY_TEXT})
            elif isinstance(value, float) and not math.isfinite(value):
                fail(f"properties.{key}", _("Not a number."))
    occurred_at = None
    raw_time = data.get("occurred_at")
    if raw_time not in (None, "") and not public:  # a page's clock is not trusted: the server's time is used
        parsed = parse_datetime(raw_time) if isinstance(raw_time, str) else None
        if parsed is None:
            fail("occurred_at", _("A date and time like 2026-03-12T10:30:00+03:00."))
        else:
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, zone or ZoneInfo(settings.LEADFLOW_TIME_ZONE))
            if parsed > now + FUTURE_SLACK:
                fail("occurred_at", _("Must not be in the future."))
            elif parsed < now - PAST_LIMIT:
                fail("occurred_at", _("More than a year ago: too old to count."))
            else:
                occurred_at = parsed
    if sum(len(v) for v in errors.values()) != before:
        return None
    return EventInput(kind=kind, url=url, duration_seconds=duration, properties=properties,
                      occurred_at=occurred_at)


# ---------------------------------------------------------------- rate limits (the web forms' counters)


def rate_limited(limits: dict[str, int], *, now: float | None = None) -> int:
    """Count one request against each key's limit per window (the web forms' counters); seconds to wait."""
    from leadflow.intake.webform_rules import count_hits

    return count_hits(limits, now=now)
