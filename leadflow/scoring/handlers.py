"""Outbox handlers of the score: a new lead, or a new touch on one, is scored with the model in use."""

import logging

from django.db import transaction

from leadflow.events.models import OutboxEvent
from leadflow.events.services import handles
from leadflow.scoring.services import score_lead

log = logging.getLogger(__name__)


@handles("lead.created", "request.attached", "activity.logged")
def score_touched_lead(event: OutboxEvent) -> None:
    """Never raises: the event's other handlers (notifications, postbacks) must not be retried for a score,
    and a lead that missed its score here gets it at the next scheduled rescoring."""
    lead_id = event.payload.get("lead_id")
    if not lead_id:
        return
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the delivery's transaction usable
            score_lead(lead_id=lead_id)
    except Exception:
        log.exception("scoring lead %s after %s failed", lead_id, event.name)
