"""Telephony over HTTP: the providers' webhook (one adapter per provider) and the screen-pop lookup."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema

from leadflow.accounts.models import User
from leadflow.clients.models import Client
from leadflow.core.errors import InvalidInput, NotFound
from leadflow.leads.models import Lead, Task
from leadflow.leads.querysets import headed_team_ids
from leadflow.telephony import providers, services
from leadflow.telephony.models import Integration, Provider
from leadflow.telephony.numbers import normalize_number

router = Router(tags=["telephony"])


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
def call_event(request: HttpRequest, integration_id: int) -> HttpResponse:
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
    except providers.Malformed as error:
        return error_response(request, 422, "validation_error", "Some fields are invalid.", error.fields)
    except providers.Ignored:
        return api.create_response(request, {"status": "ignored"}, status=200)
    call, duplicate = services.record_call_event(integration=integration, report=report)
    body: dict[str, Any] = {"status": "duplicate" if duplicate else "accepted"}
    if call is not None:
        body.update(call_id=call.pk, state=call.state)
    return api.create_response(request, body, status=200)


@router.get("/telephony/{integration_id}/events", auth=None, include_in_schema=False)
def call_event_echo(request: HttpRequest, integration_id: int) -> HttpResponse:
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


def lead_visible(user: User, lead: Lead, teams: list[int] | None) -> bool:
    """Lead.objects.visible_to for one loaded lead, without another query (tested against it)."""
    if user.is_admin or lead.owner_id == user.pk:
        return True
    if user.role == "head":
        return lead.team_id in (teams or []) or (lead.team_id is None and lead.owner_id is None)
    if user.role == "manager":
        return lead.owner_id is None and lead.state == "open" and lead.team_id in (user.team_id, None)
    return False


def client_visible(user: User, client: Client, teams: list[int] | None) -> bool:
    """clients_visible_to for one loaded client."""
    if user.is_admin or client.owner_id == user.pk:
        return True
    return user.role == "head" and client.team_id in (teams or [])


def _owner(user: User | None) -> dict[str, Any] | None:
    return {"id": user.pk, "name": user.display_name()} if user is not None else None


def _open_tasks(card: str) -> Coalesce:
    """Open tasks of the card as a correlated subquery: a COUNT with GROUP BY over every card column
    costs several times more on each lookup."""
    tasks = Task.objects.filter(**{card: OuterRef("pk")}, completed_at__isnull=True).order_by().values(card)
    return Coalesce(Subquery(tasks.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)


OWNER_FIELDS = ("owner__username", "owner__first_name", "owner__last_name")
# Built once: only the columns the answer shows (the lookup is on every incoming call; building and
# compiling a full select of the card, its owner and stage costs more than the indexed reads themselves).
POP_LEADS = Lead.objects.select_related("owner", "stage").only(
    "full_name", "company_name", "legal_form", "state", "team_id", "owner_id", "stage__name", *OWNER_FIELDS,
).annotate(open_tasks=_open_tasks("lead"))
POP_CLIENTS = Client.objects.select_related("owner", "company").only(
    "name", "is_active", "team_id", "owner_id", "contact_id", "created_at", "company__name", "company__legal_form",
    *OWNER_FIELDS,
).annotate(open_tasks=_open_tasks("client"))


@router.get("/calls/lookup", response=LookupOut, summary="Screen pop: the card of a phone number")
def lookup(request: HttpRequest, number: str, region: str | None = None) -> dict[str, Any]:
    """A number in any notation in; the card out (an exact index lookup, never fuzzy matching). A card you
    may not see answers only that it exists and whose it is."""
    user = request.auth
    phone = normalize_number(number, region=region.upper() if region and len(region) == 2 else None)
    if phone is None:
        raise InvalidInput({"number": [_("Not a phone number.")]})
    card = services.pick_card(services.cards_with_phone(phone.e164), leads_qs=POP_LEADS, clients_qs=POP_CLIENTS)
    answer: dict[str, Any] = {"number": phone.e164, "found": card.found, "matches": card.matches}
    if not card.found:
        return answer
    teams = headed_team_ids(user) if user.role == "head" else None
    if card.lead is not None:
        lead = card.lead
        visible = lead_visible(user, lead, teams)
        details = {"type": "lead", "id": lead.pk, "name": lead.full_name, "company": lead.company_display,
                   "stage": str(lead.stage), "open_tasks": lead.open_tasks,  # type: ignore[attr-defined]
                   "url": reverse("lead_card", args=[lead.pk])}
        owner = lead.owner
    else:
        client = card.client
        assert client is not None
        visible = client_visible(user, client, teams)
        details = {"type": "client", "id": client.pk, "name": client.name,
                   "company": str(client.company) if client.company else "",
                   "stage": _("Client") if client.is_active else _("Client, not in work"),
                   "open_tasks": client.open_tasks,  # type: ignore[attr-defined]
                   "url": reverse("client_card", args=[client.pk])}
        owner = client.owner
    shown = {"type": details["type"], "visible": visible, "owner": _owner(owner)}
    if visible:
        shown.update(details)
    answer["card"] = shown
    return answer


if settings.LEADFLOW_BENCHMARK_ENDPOINTS:

    @router.get("/calls/bench/bare", include_in_schema=False)
    def bench_bare(request: HttpRequest, number: str) -> dict[str, Any]:
        """Benchmark baseline: the same authenticated GET, answered without any lookup."""
        return {"number": number, "found": False}
