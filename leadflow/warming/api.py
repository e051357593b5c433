"""The events API for back ends (a shop, a webinar platform, a trial system) and a lead's points."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status

from leadflow.accounts.auth import PartnerKeyAuth, user_auth
from leadflow.accounts.middleware import zone_name_of
from leadflow.accounts.models import Role
from leadflow.clients.models import Client
from leadflow.core.errors import Forbidden, InvalidInput, NotFound
from leadflow.core.inputs import WHITESPACE, BodyIn, PathId, integer, page_limit
from leadflow.intake.models import Partner
from leadflow.leads.models import Lead, LeadState
from leadflow.matching import normalize
from leadflow.matching import services as matching
from leadflow.matching.models import CardType
from leadflow.warming import intake, services
from leadflow.warming.models import EventKind, ScoreEntry

router = Router(tags=["warming"])
RECORDERS = {Role.ADMIN, Role.HEAD, Role.MARKETER}


class EventIn(BodyIn):
    """One thing a person did. Name the person by exactly one of lead_id, email, phone or visitor_id."""

    # What intake.check_event refuses, stated for the document; check_event stays the one that refuses it.
    kind: str = Field(..., json_schema_extra={"enum": list(EventKind.values)})
    lead_id: integer() | None = None  # type: ignore[valid-type]
    email: str | None = None
    phone: str | None = None
    visitor_id: str | None = Field(None, description="the id the tracking snippet and web forms keep",
                                   json_schema_extra={"pattern": "^([A-Za-z0-9._:-]{1,64})?$"})
    occurred_at: str | None = Field(None, description="ISO 8601 (without a UTC offset, in your time zone; with a "
                                                      "partner's key, the site's); not in the future, not over a "
                                                      "year ago (422 naming `occurred_at` otherwise); default: now",
                                    json_schema_extra={"format": "date-time"})
    url: str | None = Field(None, description="An http(s) address", json_schema_extra={
        "maxLength": 1000, "pattern": f"^$|^[hH][tT][tT][pP][sS]?://[^/{WHITESPACE}]"})
    duration_seconds: integer() | None = Field(  # type: ignore[valid-type]
        None, json_schema_extra={"minimum": 0, "maximum": intake.MAX_DURATION})
    properties: dict[str, Any] | None = Field(None, json_schema_extra={
        "maxProperties": intake.MAX_PROPERTIES, "propertyNames": {"maxLength": 60},
        "additionalProperties": {"anyOf": [{"type": ["null", "boolean", "number"]},
                                           {"type": "string", "maxLength": intake.MAX_PROPERTY_TEXT}]}})


class EventOut(Schema):
    """With a partner's key only `event_id` and `kind`: the card the event joined is not the partner's to learn."""

    event_id: int
    kind: str
    lead_id: int | None = None
    client_id: int | None = None
    points: float | None = None
    temperature: str | None = None


class EntryOut(Schema):
    points: int
    explanation: str
    occurred_at: datetime


class PointsOut(Schema):
    lead_id: int
    points: float
    temperature: str
    state: str
    entries: list[EntryOut]


def _sender(request: HttpRequest) -> tuple[Any, Any]:
    """(user, partner): whoever the auth classes recognised."""
    who = getattr(request, "auth", None)
    if isinstance(who, Partner):
        return None, who
    return (who, None) if who is not None and getattr(who, "is_active", False) else (None, None)


def _visible(user: Any) -> Any:
    if user.role == Role.MARKETER:
        return Lead.objects.all()  # marketing works every team's leads with marketing
    return Lead.objects.visible_to(user)


def _person(payload: EventIn, *, user: Any, errors: dict[str, list[str]]) -> tuple[Lead | None, Client | None, str]:
    named = [name for name in ("lead_id", "email", "phone", "visitor_id") if getattr(payload, name) not in (None, "")]
    if len(named) != 1:
        errors["__all__"] = [_("Name the person by exactly one of lead_id, email, phone or visitor_id.")]
        return None, None, ""
    if payload.lead_id is not None:
        if user is None:
            errors["lead_id"] = [_("Partners name the person by e-mail, phone or visitor id.")]
            return None, None, ""
        lead = _visible(user).filter(pk=payload.lead_id).exclude(state=LeadState.MERGED).first()
        if lead is None:
            raise NotFound("lead")
        return lead, None, ""
    if payload.visitor_id:
        return None, None, intake.check_visitor_id(payload.visitor_id, errors)
    facts = matching.Facts()
    try:
        if payload.email:
            facts.emails = [normalize.normalize_email(payload.email)]
        else:
            phone = normalize.normalize_phone(payload.phone or "")
            facts.phones = [matching.PhoneFact(phone.e164, phone.extension)]
    except normalize.NormalizationError as error:
        errors["email" if payload.email else "phone"] = [str(error)]
        return None, None, ""
    lead_ids = matching.cards_with_keys(facts, card_type=CardType.LEAD)
    scope = _visible(user) if user is not None else Lead.objects.all()
    lead = scope.filter(pk__in=lead_ids).exclude(state=LeadState.MERGED).order_by("-created_at").first()
    if lead is not None:
        return lead, None, ""
    contact_ids = matching.cards_with_keys(facts, card_type=CardType.CONTACT)
    client = Client.objects.filter(contact_id__in=contact_ids).order_by("-pk").first() if contact_ids else None
    if client is None:
        field = "email" if payload.email else "phone"
        errors[field] = [_("No lead or client with this %(field)s.") % {"field": field}]
    return None, client, ""


@router.post("/events", response={201: EventOut}, auth=[PartnerKeyAuth(), *user_auth],
             summary="Record what a person did (purchase, trial, webinar, ...)")
def record_event(request: HttpRequest, payload: EventIn) -> Status:
    """`X-Api-Key` (a partner) or a user's token (admin, head of sales, marketer). Points follow at once."""
    return Status(201, _record(request, payload))


def _record(request: HttpRequest, payload: EventIn) -> dict[str, Any]:
    user, partner = _sender(request)
    if user is None and partner is None:
        raise Forbidden(_("A partner key or a token of an admin, head of sales or marketer is needed."))
    if user is not None and not (user.is_admin or user.role in RECORDERS):
        raise Forbidden(_("Only an admin, a head of sales or a marketer may record events."))
    errors: dict[str, list[str]] = {}
    checked = intake.check_event(payload.dict(), prefix="", public=False, now=timezone.now(), errors=errors,
                                 zone=ZoneInfo(zone_name_of(user)))  # a partner (no user): the site's zone
    if checked is None:  # the event itself first; then whom it is about
        raise InvalidInput(errors)
    lead, client, visitor_id = _person(payload, user=user, errors=errors)
    if errors:
        raise InvalidInput(errors)
    event = services.record_behaviour(
        checked.kind, lead=lead, client=client, visitor_id=visitor_id, occurred_at=checked.occurred_at,
        url=checked.url, duration_seconds=checked.duration_seconds, properties=checked.properties,
    )
    if partner is not None:
        # A partner names the person by a contact and learns nothing of the card it reached: not its id (which it may
        # not name, above), nor the points and temperature marketing gave someone it may never have sent.
        return {"event_id": event.pk, "kind": event.kind}
    answer: dict[str, Any] = {"event_id": event.pk, "kind": event.kind, "lead_id": event.lead_id,
                              "client_id": event.client_id}
    if event.lead_id:
        lead = Lead.objects.get(pk=event.lead_id)
        score = getattr(lead, "score", None)
        answer["points"] = round(services.points_now(score, now=timezone.now()), 2) if score else 0.0
        answer["temperature"] = lead.temperature
    return answer


@router.get("/leads/{lead_id}/points", response=PointsOut, summary="A lead's points now and their history")
def lead_points(request: HttpRequest, lead_id: PathId,
                limit: page_limit(200, gettext_lazy("Between 1 and 200.")) = 50) -> dict[str, Any]:  # type: ignore[valid-type]
    lead = _visible(request.user).filter(pk=lead_id).first()
    if lead is None:
        raise NotFound("lead")
    score = getattr(lead, "score", None)
    points = services.points_now(score, now=timezone.now()) if score else 0.0
    entries = ScoreEntry.objects.filter(lead=lead).order_by("-occurred_at", "-id")[:limit]
    return {"lead_id": lead.pk, "points": round(points, 2), "temperature": lead.temperature, "state": lead.state,
            "entries": [{"points": e.points, "explanation": e.explanation, "occurred_at": e.occurred_at}
                        for e in entries]}

