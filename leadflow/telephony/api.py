"""Telephony over HTTP: the providers' webhook (one adapter per provider) and the screen-pop lookup."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from leadflow.accounts.models import User
from leadflow.core.encryption import SecretUnreadable
from leadflow.core.errors import InvalidInput, NotFound
from leadflow.core.inputs import PathId
from leadflow.leads.querysets import headed_team_ids
from leadflow.matching.normalize import CompanyName
from leadflow.telephony import providers, services
from leadflow.telephony.lookup import card_of_phone
from leadflow.telephony.models import Integration, Provider
from leadflow.telephony.numbers import normalize_number

router = Router(tags=["telephony"])
log = logging.getLogger(__name__)


def _integration(integration_id: int) -> Integration:
    integration = Integration.objects.filter(pk=integration_id, is_active=True).select_related("team").first()
    if integration is None:
        raise NotFound("integration")
    return integration


@router.post(
    "/telephony/{integration_id}/events", auth=None,
    summary="Call events from a PBX or cloud telephony (signed per integration)",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}},
                                               "application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}},
)
def call_event(request: HttpRequest, integration_id: PathId) -> HttpResponse:
    """Generic JSON (`event`: incoming / answered / missed / finished / outgoing / recording, `call_id`,
    `caller`, `called_line`, `extension`, `duration`, `answered`, `recording_url`, `occurred_at`), authorised
    by `Authorization: Bearer <secret>` or `X-Leadflow-Signature: sha256=<HMAC-SHA256 of the body>`; or the
    provider's own format (Zadarma NOTIFY_* with its Signature header). The body is journaled before it is
    processed; a retried event answers the same and changes nothing."""
    from leadflow.api import api, error_response

    integration = _integration(integration_id)
    try:
        report = providers.parse(integration, body=request.body, content_type=request.content_type or "",
                                 headers=request.headers)
    except providers.BadSignature:
        return error_response(request, 401, "bad_signature", "The signature or token does not match this integration.")
    except SecretUnreadable as error:
        # Nothing can be authenticated, so nothing is journaled; the administrator's fix is in the log.
        log.error("call event refused: %s", error)
        return error_response(request, 403, "secret_unreadable",
                              "This integration's secret cannot be read on the server, so no event is accepted; "
                              "the administrator must restore the encryption key or enter the secret again.")
    except providers.Malformed as error:
        return error_response(request, 422, "validation_error", _("Some fields are invalid."), error.fields)
    except providers.Ignored:
        return api.create_response(request, {"status": "ignored"}, status=200)
    try:
        call, duplicate = services.record_call_event(integration=integration, report=report)
    except Exception:
        # The body is journaled (CallEvent) before processing: a retry of this event processes it again.
        log.exception("call event %s of integration %s failed", report.event_key, integration.pk)
        return error_response(request, 503, "processing_failed",
                              "Received and journaled, but processing failed; send it again.")
    body: dict[str, Any] = {"status": "duplicate" if duplicate else "accepted"}
    if call is not None:
        body.update(call_id=call.pk, state=call.state)
    return api.create_response(request, body, status=200)


@router.get("/telephony/{integration_id}/events", auth=None, include_in_schema=False)
def call_event_echo(request: HttpRequest, integration_id: PathId) -> HttpResponse:
    """Zadarma checks a notification URL by GET with `zd_echo` and expects the value back."""
    integration = _integration(integration_id)
    echo = request.GET.get("zd_echo", "")
    if integration.provider != Provider.ZADARMA or not echo:
        raise NotFound("page")
    return HttpResponse(echo[:200], content_type="text/plain")


# ------------------------------------------------------------------ screen pop


class OwnerOut(Schema):
    id: int
    name: str


class CardOut(Schema):
    type: str
    visible: bool
    owner: OwnerOut | None = None
    id: int | None = None
    name: str | None = None
    company: str | None = None
    stage: str | None = None
    open_tasks: int | None = None
    url: str | None = None


class LookupOut(Schema):
    number: str
    found: bool
    matches: int = 0
    card: CardOut | None = None


def lead_visible(user: User, *, owner_id: int | None, team_id: int | None, state: str,
                 teams: list[int] | None) -> bool:
    """Lead.objects.visible_to for one lead's facts, without another query (tested against it)."""
    if user.is_admin or owner_id == user.pk:
        return True
    if user.role == "head":
        return team_id in (teams or []) or (team_id is None and owner_id is None)
    if user.role == "manager":
        return owner_id is None and state == "open" and team_id in (user.team_id, None)
    return False


def client_visible(user: User, *, owner_id: int | None, team_id: int | None, teams: list[int] | None) -> bool:
    """clients_visible_to for one client's facts."""
    if user.is_admin or owner_id == user.pk:
        return True
    return user.role == "head" and team_id in (teams or [])


@router.get("/calls/lookup", response=LookupOut, summary="Screen pop: the card of a phone number")
def lookup(request: HttpRequest, number: Annotated[str, Field(description=(  # type: ignore[valid-type]
        "A phone number in any notation; one that cannot be read is refused with 422 naming `number`"))],
           region: str | None = None) -> dict[str, Any]:
    """A number in any notation in; the card out (an exact index lookup, never fuzzy matching). A card you
    may not see answers only that it exists and whose it is."""
    user = request.auth
    phone = normalize_number(number, region=region.upper() if region and len(region) == 2 else None)
    if phone is None:
        raise InvalidInput({"number": [_("Not a phone number.")]})
    card = card_of_phone(phone.e164)
    if card is None:
        return {"number": phone.e164, "found": False, "matches": 0}
    teams = headed_team_ids(user) if user.role == "head" else None
    owner = {"id": card.owner_id, "name": card.owner_name} if card.owner_id else None
    if card.type == "lead":
        visible = lead_visible(user, owner_id=card.owner_id, team_id=card.team_id, state=card.state, teams=teams)
        company = CompanyName(card.company, card.legal_form).display if card.company else ""
        stage, url = _(card.stage), reverse("lead_card", args=[card.id])
    else:
        visible = client_visible(user, owner_id=card.owner_id, team_id=card.team_id, teams=teams)
        company = f"{card.legal_form} {card.company}".strip()
        stage = _("Client") if card.state == "active" else _("Client, not in work")
        url = reverse("client_card", args=[card.id])
    shown: dict[str, Any] = {"type": card.type, "visible": visible, "owner": owner}
    if visible:
        shown.update(id=card.id, name=card.name, company=company, stage=stage, open_tasks=card.open_tasks, url=url)
    return {"number": phone.e164, "found": True, "matches": card.matches, "card": shown}


if settings.LEADFLOW_BENCHMARK_ENDPOINTS:

    @router.get("/calls/bench/bare", include_in_schema=False)
    def bench_bare(request: HttpRequest, number: str) -> dict[str, Any]:
        """Benchmark baseline: the same authenticated GET, answered without any lookup."""
        return {"number": number, "found": False}
