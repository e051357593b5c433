"""Data-subject requests and consents over the API: export, erase, consent history, withdraw."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from leadflow.core.errors import Forbidden, InvalidInput, NotFound
from leadflow.core.inputs import BodyIn, QueryId, integer, one_of
from leadflow.privacy import services
from leadflow.privacy.models import Purpose
from leadflow.privacy.views import person_from

router = Router(tags=["privacy"])


NAME_THE_PERSON = ("Name the person by at least one of lead, client, email, phone and telegram (422 naming `__all__` "
                   "otherwise); a lead or client you cannot see, or a person with no card, is 404")


class PersonIn(BodyIn):
    lead: integer() | None = None  # type: ignore[valid-type]
    client: integer() | None = None  # type: ignore[valid-type]
    email: str | None = None
    phone: str | None = None
    telegram: str | None = None  # "@ivan_petrov" or a t.me link: the cards whose requests gave it


class EraseIn(PersonIn):
    """Name the person by at least one of lead, client, email, phone and telegram (422 naming `__all__`
    otherwise)."""

    # Left out or false, the erasure was always refused (422 naming `confirm`): the document says so.
    confirm: bool = Field(..., json_schema_extra={"const": True}, description="Must be true: erasure cannot be undone")
    reference: str = ""
    # Cards ("lead:7") that share only a contact with the person's and that the matcher takes for someone else:
    # left out unless named here (GET /privacy/erase/ lists them).
    include: list[str] = []
    # Cards left out that list one of the person's contacts among their other contacts ("lead:7"): the card is kept,
    # those contacts are taken off it (and erased and tombstoned with the person's others). Not named: kept as is.
    strip: list[str] = []


class LeftOutOut(Schema):
    card: str
    contact: str
    shares_with: str | None
    # The person's contacts taken off this card's other contacts (`strip`); empty: the card kept them.
    removed: list[str]


class RedactedOut(Schema):
    """Another person's row the person was taken out of (a note on a colleague's card quoting them), and which of
    its fields changed: "activity:12" on "lead:7", ["body"]."""

    row: str
    card: str
    fields: list[str]


class ErasureOut(Schema):
    id: int
    at: datetime
    by: str
    lead_ids: list[int]
    client_ids: list[int]
    counts: dict[str, int]
    tombstones: int
    left_out: list[LeftOutOut]
    redacted: list[RedactedOut]


class ConsentOut(Schema):
    id: int
    purpose: str
    given: bool
    text_version: str
    at: datetime
    ip: str | None
    channel: str
    recorded_by: str | None


class WithdrawIn(BodyIn):
    """Name the lead or the client (422 naming `__all__` otherwise)."""

    purpose: one_of(Purpose.values, lambda value: _("Unknown purpose; use %(purposes)s.")  # type: ignore[valid-type]
                    % {"purposes": ", ".join(Purpose.values)})
    lead: integer() | None = None  # type: ignore[valid-type]
    client: integer() | None = None  # type: ignore[valid-type]


def _person(request: HttpRequest, params: dict[str, Any]) -> services.Person:
    if not any(params.get(k) for k in ("lead", "client", "email", "phone", "telegram")):
        raise InvalidInput({"__all__": [_("Name the person: lead, client, email, phone or telegram.")]})
    from django.http import Http404

    try:
        person, _lead, _client = person_from(request.auth, params)
    except Http404:
        raise NotFound("card") from None
    if person.is_empty:
        raise NotFound("person")
    return person


@router.get("/export", summary="Everything about a person as JSON (admin; head for their team's people)",
            description=f"{NAME_THE_PERSON}.")
def export(request: HttpRequest, lead: QueryId | None = None, client: QueryId | None = None,  # type: ignore[valid-type]
           email: str = "",
           phone: str = "", telegram: str = "") -> HttpResponse:
    from leadflow.privacy.views import export_response

    user = request.auth
    if not (user.is_admin or user.role == "head"):
        raise NotFound("person")
    person = _person(request, {"lead": lead, "client": client, "email": email, "phone": phone,
                               "telegram": telegram})
    if not services.can_export(user, person):
        raise Forbidden(_("This person has cards outside your team: ask an administrator."))
    return export_response(services.export_person(person=person, by=user), name="person")


@router.post("/erase", response=ErasureOut, summary="Erase a person's personal data (admin; confirm: true)")
def erase(request: HttpRequest, payload: EraseIn) -> dict[str, Any]:
    if not services.can_erase(request.auth):
        raise Forbidden(_("Only an administrator may erase personal data."))
    if not payload.confirm:
        raise InvalidInput({"confirm": [_("Must be true: erasure cannot be undone.")]})
    person = _person(request, payload.dict())
    log = services.erase_person(person=person, by=request.auth, reference=payload.reference)
    left_out = [{"card": join.ref, "contact": join.value_text,
                 "shares_with": services.card_ref(join.via) if join.via else None,
                 "removed": sorted(services.value_text(value) for value in person.stripped.get(join.card, ()))}
                for join in sorted(person.left_out.values(), key=lambda join: join.card)]
    return {"id": log.pk, "at": log.at, "by": request.auth.username, "lead_ids": log.lead_ids,
            "client_ids": log.client_ids, "counts": log.counts, "tombstones": log.tombstones, "left_out": left_out,
            "redacted": log.redacted}


def _card(request: HttpRequest, lead: int | None, client: int | None) -> tuple[Any, Any]:
    from leadflow.clients.querysets import clients_visible_to
    from leadflow.leads.models import Lead

    if lead:
        found = Lead.objects.visible_to(request.auth).filter(pk=lead).first()
        if found is None:
            raise NotFound("lead")
        return found, None
    if client:
        found = clients_visible_to(request.auth).filter(pk=client).first()
        if found is None:
            raise NotFound("client")
        return None, found
    raise InvalidInput({"__all__": [_("Name the lead or the client.")]})


@router.get("/consents", response=list[ConsentOut], summary="Consent history of a card you can see",
            description="Name the lead or the client (422 naming `__all__` otherwise).")
def consents(request: HttpRequest, lead: QueryId | None = None,  # type: ignore[valid-type]
             client: QueryId | None = None) -> list[dict[str, Any]]:  # type: ignore[valid-type]
    found_lead, found_client = _card(request, lead, client)
    return [
        {"id": c.pk, "purpose": c.purpose, "given": c.given, "text_version": c.text_version, "at": c.at,
         "ip": c.ip, "channel": c.channel, "recorded_by": c.recorded_by.username if c.recorded_by else None}
        for c in services.consent_history(lead=found_lead, client=found_client)
    ]


@router.post("/consents/withdraw", response={201: ConsentOut}, summary="Record a withdrawal (owner, head, admin)")
def withdraw(request: HttpRequest, payload: WithdrawIn) -> Status:
    found_lead, found_client = _card(request, payload.lead, payload.client)
    c = services.withdraw_consent(purpose=payload.purpose, lead=found_lead, client=found_client, by=request.auth)
    return Status(201, {"id": c.pk, "purpose": c.purpose, "given": c.given, "text_version": c.text_version, "at": c.at,
                 "ip": c.ip, "channel": c.channel, "recorded_by": request.auth.username})
