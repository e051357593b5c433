"""Provider adapters: a webhook request in, checked and parsed into one provider-neutral `CallReport`.

Nothing here decides anything about leads: `services.record_call_event` does, the same for every
provider. An adapter only checks the signature (BadSignature -> 401), names the field that is wrong
(Malformed -> 422) or says the event is of no interest (Ignored -> 200, so the provider stops retrying).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from leadflow.core.inputs import unstorable_fields
from leadflow.telephony.models import Direction, Integration, Provider

MAX_BODY = 64 * 1024


class BadSignature(Exception):
    """The request is not from the provider that owns the integration."""


class Malformed(Exception):
    """The body is not what the provider documents; `fields` names what is wrong."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__(fields)
        self.fields = fields


class Ignored(Exception):
    """A genuine event Leadflow has no use for (an IVR keypress, an SMS)."""


# What happened, in Leadflow's words.
INCOMING = "incoming"  # an outside call rings the PBX (or one of its extensions)
OUTGOING = "outgoing"  # a manager dials out
ANSWERED = "answered"
FINISHED = "finished"  # the call is over: answered or missed, with its duration
RECORDING = "recording"  # the recording of an earlier call is ready
KINDS = (INCOMING, OUTGOING, ANSWERED, FINISHED, RECORDING)


@dataclass
class CallReport:
    """One call event, provider-neutral."""

    kind: str
    call_id: str
    event_key: str
    occurred_at: datetime
    direction: str = Direction.INCOMING
    number: str = ""  # the outside party: who called in, or whom a manager called
    line: str = ""  # our number the call came in on (or went out from)
    extension: str = ""
    answered: bool | None = None
    duration: int | None = None
    recording_url: str = ""
    recording_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def _error(name: str, message: str) -> Malformed:
    return Malformed({name: [message]})


def _text(body: dict[str, Any], name: str, *, required: bool = False, limit: int = 128) -> str:
    """A field of the event, refused (naming it) over its limit rather than cut like a form's text
    (pipeline._keep_long_text): every field read here is written by the PBX, not typed by the caller (call and
    recording ids, numbers, extensions, times), and a cut id would be another call's. A name the PBX knows for the
    caller (Asterisk's CALLERID(name)) is read by neither format: it stays in the event's journaled body, unrefused."""
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise _error(name, _("This field is required."))
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _error(name, _("Must be text."))
    text = str(value).strip()
    if len(text) > limit:
        raise _error(name, _("At most %(limit)d characters.") % {"limit": limit})
    return text


def _seconds(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _error(name, _("Must be a whole number of seconds."))
    try:
        seconds = int(str(value).strip())
    except ValueError:
        raise _error(name, _("Must be a whole number of seconds.")) from None
    if not 0 <= seconds <= 7 * 24 * 3600:
        raise _error(name, _("Must be between 0 and a week in seconds."))
    return seconds


def _url(body: dict[str, Any], name: str) -> str:
    text = _text(body, name, limit=1000)
    if text and not text.lower().startswith(("https://", "http://")):
        raise _error(name, _("Must be an http(s) address."))
    return text


def parse(integration: Integration, *, body: bytes, content_type: str, headers: Any) -> CallReport:
    """Check and parse a webhook request for this integration's provider."""
    if len(body) > MAX_BODY:
        raise _error("__all__", _("The body may be at most %(limit)d bytes.") % {"limit": MAX_BODY})
    if integration.provider == Provider.ZADARMA:
        return parse_zadarma(integration, body=body, content_type=content_type, headers=headers)
    return parse_generic(integration, body=body, headers=headers)


# ------------------------------------------------------------------ generic JSON

GENERIC_EVENTS = {"incoming": INCOMING, "outgoing": OUTGOING, "answered": ANSWERED, "finished": FINISHED,
                  "missed": FINISHED, "recording": RECORDING}


def generic_signature(secret: str, body: bytes) -> str:
    """The X-Leadflow-Signature value a PBX script sends: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _check_generic_auth(integration: Integration, body: bytes, headers: Any) -> None:
    """Either the integration's secret as a bearer token, or an HMAC-SHA256 signature of the body."""
    signature = headers.get("X-Leadflow-Signature", "")
    if signature:
        if hmac.compare_digest(signature.strip(), generic_signature(integration.secret, body)):
            return
        raise BadSignature()
    authorization = headers.get("Authorization", "")
    scheme, _sep, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token and hmac.compare_digest(token.strip(), integration.secret):
        return
    raise BadSignature()


def _moment(body: dict[str, Any], name: str) -> datetime:
    text = _text(body, name, limit=64)
    if not text:
        return timezone.now()
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise _error(name, _("Must be a date and time in ISO 8601, e.g. 2026-11-23T10:15:00+03:00."))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, ZoneInfo(settings.LEADFLOW_TIME_ZONE))
    return moment


def parse_generic(integration: Integration, *, body: bytes, headers: Any) -> CallReport:
    """Leadflow's own JSON form, for any PBX that can POST JSON (Asterisk AGI/AMI scripts, FreePBX hooks)."""
    _check_generic_auth(integration, body, headers)
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise _error("__all__", _("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise _error("__all__", _("The body must be a JSON object."))
    _storable(data)
    event = _text(data, "event", required=True, limit=20)
    if event not in GENERIC_EVENTS:
        raise _error("event", _("Must be one of: %(choices)s.") % {"choices": ", ".join(GENERIC_EVENTS)})
    kind = GENERIC_EVENTS[event]
    call_id = _text(data, "call_id", required=True)
    direction = _text(data, "direction", limit=10) or (Direction.OUTGOING if kind == OUTGOING else Direction.INCOMING)
    if direction not in Direction.values:
        raise _error("direction", _("Must be in or out."))
    answered = data.get("answered")
    if answered is not None and not isinstance(answered, bool):
        raise _error("answered", _("Must be true or false."))
    duration = _seconds(data, "duration")
    if event == "missed":
        answered = False
    elif kind == FINISHED and answered is None:
        answered = bool(duration)
    report = CallReport(
        kind=kind, call_id=call_id, occurred_at=_moment(data, "occurred_at"), direction=direction,
        number=_text(data, "caller", limit=64), line=_text(data, "called_line", limit=64),
        extension=_text(data, "extension", limit=20), answered=answered, duration=duration,
        recording_url=_url(data, "recording_url"), recording_id=_text(data, "recording_id"),
        event_key="", raw=data,
    )
    report.event_key = _text(data, "event_id", limit=200) or f"{event}:{call_id}"
    return report


# ------------------------------------------------------------------ Zadarma

# Zadarma's documented notifications: what each means, and the fields its Signature header signs
# (base64 of the hex HMAC-SHA1 of those fields concatenated, keyed by the API secret).
ZADARMA_EVENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "NOTIFY_START": (INCOMING, ("caller_id", "called_did", "call_start")),
    "NOTIFY_INTERNAL": (INCOMING, ("caller_id", "called_did", "call_start")),
    "NOTIFY_ANSWER": (ANSWERED, ("caller_id", "destination", "call_start")),
    "NOTIFY_END": (FINISHED, ("caller_id", "called_did", "call_start")),
    "NOTIFY_OUT_START": (OUTGOING, ("internal", "destination", "call_start")),
    "NOTIFY_OUT_END": (FINISHED, ("internal", "destination", "call_start")),
    "NOTIFY_RECORD": (RECORDING, ("pbx_call_id", "call_id_with_rec")),
}


def zadarma_signature(secret: str, fields: dict[str, Any]) -> str:
    """The Signature header Zadarma sends with a notification (empty when the event is not one it signs)."""
    event = str(fields.get("event", ""))
    if event not in ZADARMA_EVENTS:
        return ""
    signed = "".join(str(fields.get(name) or "") for name in ZADARMA_EVENTS[event][1])
    digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def _zadarma_fields(body: bytes, content_type: str) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _error("__all__", _("The body is not UTF-8.")) from None
    if content_type.startswith("application/json"):
        try:
            data = json.loads(text or "{}")
        except ValueError:
            raise _error("__all__", _("The body is not valid JSON.")) from None
        if not isinstance(data, dict):
            raise _error("__all__", _("The body must be a JSON object."))
        return data
    return dict(parse_qsl(text, keep_blank_values=True))


def _storable(fields: dict[str, Any]) -> None:
    """The body is journaled whole: a value no database can keep (NUL, a lone surrogate, 2**70) is refused."""
    problems = unstorable_fields(fields)
    if problems:
        raise Malformed(problems)


def _zadarma_time(integration: Integration, fields: dict[str, Any]) -> datetime:
    text = _text(fields, "call_start", required=True, limit=32)
    try:
        moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise _error("call_start", _("Must be a time like 2026-11-23 10:15:00.")) from None
    return timezone.make_aware(moment, ZoneInfo(integration.time_zone or settings.LEADFLOW_TIME_ZONE))


def parse_zadarma(integration: Integration, *, body: bytes, content_type: str, headers: Any) -> CallReport:
    """Zadarma PBX notifications (form-encoded POST with a Signature header)."""
    fields = _zadarma_fields(body, content_type)
    _storable(fields)
    event = _text(fields, "event", required=True, limit=40)
    if event not in ZADARMA_EVENTS:
        raise Ignored(event)
    given = (headers.get("Signature") or "").strip()
    if not given or not hmac.compare_digest(given, zadarma_signature(integration.secret, fields)):
        raise BadSignature()
    kind = ZADARMA_EVENTS[event][0]
    call_id = _text(fields, "pbx_call_id", required=True)
    if kind == RECORDING:
        record_id = _text(fields, "call_id_with_rec", required=True)
        return CallReport(kind=kind, call_id=call_id, event_key=f"{event}:{call_id}:{record_id}",
                          occurred_at=timezone.now(), recording_id=record_id, raw=fields)
    outgoing = event.startswith("NOTIFY_OUT_")
    extension = _text(fields, "internal", limit=20)
    report = CallReport(
        kind=kind, call_id=call_id, event_key=f"{event}:{call_id}", occurred_at=_zadarma_time(integration, fields),
        direction=Direction.OUTGOING if outgoing else Direction.INCOMING, extension=extension, raw=fields,
    )
    if outgoing:
        report.number = _text(fields, "destination", required=True, limit=64)
        report.line = _text(fields, "caller_id", limit=64)
    else:
        report.number = _text(fields, "caller_id", limit=64)
        report.line = _text(fields, "called_did", limit=64)
    if event in ("NOTIFY_INTERNAL", "NOTIFY_ANSWER"):
        # Several extensions may ring (and one answer) within one call: each is its own event.
        report.event_key += f":{extension}"
    if kind == FINISHED:
        disposition = _text(fields, "disposition", required=True, limit=40)
        report.answered = disposition == "answered"
        report.duration = _seconds(fields, "duration") or 0
        if fields.get("is_recorded") == "1" and fields.get("call_id_with_rec"):
            report.recording_id = _text(fields, "call_id_with_rec")
    return report
