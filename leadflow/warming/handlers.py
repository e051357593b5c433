"""Outbox handlers: a visitor who identifies themselves (a new lead, a request attached) brings their
earlier anonymous events to the lead; a new or edited profile is scored against the fit rules."""

from __future__ import annotations

from leadflow.events.models import OutboxEvent
from leadflow.events.services import handles
from leadflow.leads.models import Lead, Request
from leadflow.warming import services


def _visitor_ids(lead: Lead, request_ids: list[int] | None = None) -> set[str]:
    requests = Request.objects.filter(pk__in=request_ids) if request_ids is not None else lead.requests.all()
    ids = {lead.visitor_id} | set(requests.exclude(visitor_id="").values_list("visitor_id", flat=True))
    return {visitor_id for visitor_id in ids if visitor_id}


@handles("lead.created")
def lead_created(event: OutboxEvent) -> None:
    lead = Lead.objects.filter(pk=event.payload.get("lead_id")).first()
    if lead is None:
        return
    services.evaluate_fit(lead=lead)
    for visitor_id in sorted(_visitor_ids(lead)):
        services.join_visitor(visitor_id=visitor_id, lead=lead)


@handles("request.attached")
def request_attached(event: OutboxEvent) -> None:
    lead_id = event.payload.get("lead_id")
    lead = Lead.objects.filter(pk=lead_id).first() if lead_id else None
    if lead is None:
        return
    for visitor_id in sorted(_visitor_ids(lead, [event.payload.get("request_id")])):
        services.join_visitor(visitor_id=visitor_id, lead=lead)


@handles("lead.updated")
def lead_updated(event: OutboxEvent) -> None:
    fields = set(event.payload.get("fields") or [])
    if fields & {"position", "company_size", "city", "product_interest"}:
        lead = Lead.objects.filter(pk=event.payload.get("lead_id")).first()
        if lead is not None:
            services.evaluate_fit(lead=lead)
