"""Outbox handlers of the partners app: a lead a partner brought changes status, its postback is queued."""

from leadflow.events.models import OutboxEvent
from leadflow.events.services import handles
from leadflow.leads.models import Channel
from leadflow.partners.models import PostbackStatus
from leadflow.partners.postbacks import accepted_submission, schedule_postback
from leadflow.partners.terms import price_conversion

STATUS_OF_EVENT = {
    "lead.created": PostbackStatus.ACCEPTED,
    "lead.qualified": PostbackStatus.QUALIFIED,
    "lead.converted": PostbackStatus.CONVERTED,
    "lead.refused": PostbackStatus.REFUSED,
}


@handles(*STATUS_OF_EVENT)
def queue_partner_postback(event: OutboxEvent) -> None:
    # Most leads come from forms and managers: skip the lookup for those.
    if event.name == "lead.created" and event.payload.get("channel") != Channel.PARTNER:
        return
    lead_id = event.payload.get("lead_id")
    submission = accepted_submission(lead_id) if lead_id else None
    if submission is not None:
        if event.name == "lead.converted":
            price_conversion(submission)  # whether or not the partner wants postbacks: the report reads it
        schedule_postback(submission=submission, status=STATUS_OF_EVENT[event.name])
