"""Outbox handlers: domain events start sequences (triggers) and stop them (reply, purchase, outcome)."""

from __future__ import annotations

from leadflow.events.models import OutboxEvent
from leadflow.events.services import handles
from leadflow.nurture import services
from leadflow.nurture.models import TriggerKind


def _lead(lead_id: object):  # type: ignore[no-untyped-def]
    from leadflow.leads.models import Lead

    return Lead.objects.select_related("owner", "team").filter(pk=lead_id).first() if lead_id else None


def _client(client_id: object):  # type: ignore[no-untyped-def]
    from leadflow.clients.models import Client

    return Client.objects.select_related("owner", "contact", "lead").filter(pk=client_id).first() if client_id else None


@handles("behaviour.recorded")
def on_behaviour(event: OutboxEvent) -> None:
    from leadflow.warming.models import EventKind

    payload = event.payload
    lead, client = _lead(payload.get("lead_id")), _client(payload.get("client_id"))
    if lead is None and client is None:
        return
    if payload.get("kind") == EventKind.PURCHASE:
        if lead is not None:
            services.stop_for_person(lead=lead, reason="purchase", flag="stop_on_purchase")
        if client is not None:
            services.stop_for_person(client=client, reason="purchase", flag="stop_on_purchase")
    services.trigger(TriggerKind.BEHAVIOUR, lead=lead, client=client, event_kind=payload.get("kind", ""))


@handles("request.attached")
def on_request(event: OutboxEvent) -> None:
    """A reply: a person's e-mail attached to the card stops the sequences that stop on a reply."""
    from leadflow.leads.models import Channel, Request

    request = Request.objects.filter(pk=event.payload.get("request_id")).only("channel", "lead", "client").first()
    if request is None or request.channel != Channel.EMAIL:
        return
    if request.lead_id:
        services.stop_for_person(lead=_lead(request.lead_id), reason="reply", flag="stop_on_reply")
    if request.client_id:
        services.stop_for_person(client=_client(request.client_id), reason="reply", flag="stop_on_reply")


@handles("lead.refused")
def on_refused(event: OutboxEvent) -> None:
    lead = _lead(event.payload.get("lead_id"))
    if lead is None:
        return
    services.stop_for_person(lead=lead, reason="refused", flag="stop_on_refusal", except_trigger=TriggerKind.REFUSED)
    services.trigger(TriggerKind.REFUSED, lead=lead)


@handles("lead.deferred")
def on_deferred(event: OutboxEvent) -> None:
    lead = _lead(event.payload.get("lead_id"))
    if lead is not None:
        services.trigger(TriggerKind.DEFERRED, lead=lead)


@handles("lead.converted")
def on_converted(event: OutboxEvent) -> None:
    lead, client = _lead(event.payload.get("lead_id")), _client(event.payload.get("client_id"))
    if lead is None:
        return
    services.stop_for_person(lead=lead, reason="converted", flag="stop_on_conversion",
                             except_trigger=TriggerKind.CONVERTED)
    services.trigger(TriggerKind.CONVERTED, lead=lead, client=client)


@handles("client.created")
def on_client_created(event: OutboxEvent) -> None:
    """A client entered directly (not converted from a lead) starts the client sequences too."""
    client = _client(event.payload.get("client_id"))
    if client is not None:
        services.trigger(TriggerKind.CONVERTED, client=client)


@handles("lead.reopened")
def on_reopened(event: OutboxEvent) -> None:
    """A deferred lead back in work (its date came, or a manager reopened it): the deferral ended."""
    from leadflow.leads.models import StageChange

    lead = _lead(event.payload.get("lead_id"))
    if lead is None:
        return
    last = StageChange.objects.filter(lead=lead, to_state="open").order_by("-changed_at", "-id").first()
    if last is not None and last.from_state == "deferred":
        services.stop_for_person(lead=lead, reason="not_deferred", flag="only_while_deferred")
        services.trigger(TriggerKind.DEFERRAL_ENDED, lead=lead)


@handles("email.bounced")
def on_bounce(event: OutboxEvent) -> None:
    """A delivery failure report that came in (leadflow smtpd or IMAP): suppress the address if it was ours."""
    from leadflow.inbox.models import IncomingEmail
    from leadflow.nurture.mail import handle_bounce

    incoming = IncomingEmail.objects.filter(pk=event.payload.get("incoming_email_id")).first()
    if incoming is not None:
        handle_bounce(bytes(incoming.raw))
