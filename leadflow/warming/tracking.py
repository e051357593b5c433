"""The tracking snippet (/t.js) and its public endpoint (/t/<key>/events): a thin adapter like the web forms'.

The snippet shares the web forms' visitor id (the same first-party storage and cookie), so the visitor a
form submission identifies is the visitor whose page views and cart events were recorded before. The
endpoint checks origin, size and rate before anything is stored, answers bad input with per-field errors,
and tells the page nothing about the base (no lead ids, no "known visitor").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from leadflow.core.cors import preflight, with_cors
from leadflow.core.inputs import unstorable_fields
from leadflow.core.memo import Memo
from leadflow.intake import webform_rules
from leadflow.intake.webforms import serve_script
from leadflow.leads.models import Channel
from leadflow.warming import intake, services
from leadflow.warming.models import EventKind, TrackingSite

SCRIPT = Path(__file__).parent / "static" / "warming" / "t.js"
SIGN_UP_KINDS = {EventKind.SUBSCRIPTION, EventKind.REGISTRATION, EventKind.WEBINAR_REGISTERED,
                 EventKind.TRIAL_STARTED}
PERSONAL = ("name", "email", "phone", "company", "consent")


# Read on every tracked page view; forgotten when a site, form or team is saved (core.memo).
_sites = Memo("warming.TrackingSite", "intake.Form", "accounts.Team")


def _site(key: str) -> TrackingSite:
    site = _sites.get(key, lambda: TrackingSite.objects.filter(public_key=key, is_active=True)
                      .select_related("form", "form__team").first())
    if site is None:
        raise Http404
    return site


def _error(status: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": fields or {}}}, status=status)


@csrf_exempt  # cross-site by design: the origin list and the limits protect it (module docstring)
def events(request: HttpRequest, key: str) -> HttpResponse:
    """POST {"visitor_id", "events": [{"kind", "url", "duration_seconds", "properties"}]}; OPTIONS: preflight."""
    site = _site(key)
    if request.method == "OPTIONS":
        return preflight(request, site.allows_origin)
    if request.method != "POST":
        return with_cors(request, site.allows_origin, _error(405, "method_not_allowed", _("Use POST.")))
    return with_cors(request, site.allows_origin, _take(request, site))


def _take(request: HttpRequest, site: TrackingSite) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    if not origin or not site.allows_origin(origin):
        # sendBeacon and fetch always send Origin on a cross-site POST; no Origin means not a browser on the site.
        return _error(403, "origin_not_allowed", _("This site may not send events."))
    limit = settings.LEADFLOW_TRACK_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit or len(request.body) > limit:
        return _error(413, "too_large", _("Too much at once: at most %(limit)d bytes.") % {"limit": limit})
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "bad_json", _("The body is not valid JSON."))
    if not isinstance(body, dict):
        return _error(422, "validation_error", _("Some fields are invalid."),
                      {"__all__": [_("The body must be a JSON object.")]})
    errors = unstorable_fields(body)  # NUL, lone surrogates, 2**70: nothing can keep them
    if errors:
        return _error(422, "validation_error", _("Some fields are invalid."), errors)
    visitor_id = intake.check_visitor_id(body.get("visitor_id"), errors)
    if not visitor_id and "visitor_id" not in errors:
        errors["visitor_id"] = [_("This field is required.")]
    raw_events = body.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        errors.setdefault("events", []).append(_("Give a list of at least one event."))
        raw_events = []
    elif len(raw_events) > settings.LEADFLOW_TRACK_MAX_EVENTS:
        errors.setdefault("events", []).append(_("At most %(n)d events at once.")
                                               % {"n": settings.LEADFLOW_TRACK_MAX_EVENTS})
        raw_events = []
    now = timezone.now()
    checked = [intake.check_event(item, prefix=f"events.{n}", public=True, now=now, errors=errors)
               for n, item in enumerate(raw_events)]
    if errors:
        return _error(422, "validation_error", _("Some fields are invalid."), errors)
    sign_ups = []
    # One transaction for the counters and the events: on SQLite one write lock and one commit per request.
    with transaction.atomic():
        ip = webform_rules.client_ip(request)
        wait = intake.rate_limited({f"track-ip:{ip}": settings.LEADFLOW_TRACK_RATE_PER_IP,
                                    f"track-site:{site.pk}": settings.LEADFLOW_TRACK_RATE_PER_SITE})
        if wait:
            response = _error(429, "rate_limited", _("Too many events from your address. Please try again later."))
            response["Retry-After"] = str(wait)
            return response
        for item in checked:
            assert item is not None
            # Contacts typed into a sign-up go to the journal and the lead, not into the event's properties.
            personal = {name: item.properties.pop(name) for name in PERSONAL if name in item.properties}
            services.record_behaviour(item.kind, visitor_id=visitor_id, url=item.url,
                                      duration_seconds=item.duration_seconds, properties=item.properties)
            if item.kind in SIGN_UP_KINDS and site.form_id and (personal.get("email") or personal.get("phone")):
                sign_ups.append((item.url, personal))
    for url, personal in sign_ups:  # after the events are stored: the new lead's join then finds them
        _sign_up(request, site, visitor_id=visitor_id, url=url, personal=personal)
    return JsonResponse({"status": "received", "events": len(checked)}, status=202)


def _sign_up(request: HttpRequest, site: TrackingSite, *, visitor_id: str, url: str, personal: dict[str, Any]) -> None:
    """A subscription or registration with contacts: one road in, through the site's form (journaled first);
    the lead it makes identifies the visitor, so the visits before it join the lead."""
    from leadflow.intake import pipeline

    payload: dict[str, Any] = {name: value for name, value in personal.items() if isinstance(value, str | bool)}
    payload.update({"visitor_id": visitor_id, "landing_page": url})
    inbound = pipeline.Inbound(channel=Channel.FORM, payload=payload, form=site.form,
                               remote_addr=webform_rules.client_ip(request) or None, received_at=timezone.now())
    pipeline.receive(inbound)


@require_GET
def script(request: HttpRequest) -> HttpResponse:
    """The snippet at a stable address (/t.js)."""
    return serve_script(request, SCRIPT)


def snippet(site: TrackingSite, base_url: str) -> str:
    """The tag a site owner pastes into every page."""
    return f'<script src="{base_url.rstrip("/")}/t.js" data-leadflow-site="{site.public_key}" async></script>'


def bench_insert(request: HttpRequest) -> HttpResponse:
    """Benchmark baseline (LEADFLOW_BENCHMARK_ENDPOINTS only): parse the same body, insert one event row."""
    body = json.loads(request.body or b"{}")
    item = body["events"][0]
    from leadflow.warming.models import BehaviourEvent

    row = BehaviourEvent.objects.create(kind=item["kind"], visitor_id=body["visitor_id"], url=item.get("url", ""),
                                        duration_seconds=item.get("duration_seconds"))
    return JsonResponse({"id": row.pk}, status=202)
