"""Record behaviour events; other rooms react to the `behaviour.recorded` outbox event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from leadflow.events.services import record_event
from leadflow.warming.models import BehaviourEvent


@transaction.atomic
def record_behaviour(
    kind: str, *, lead: Any = None, client: Any = None, visitor_id: str = "", occurred_at: datetime | None = None,
    url: str = "", duration_seconds: int | None = None, properties: dict[str, Any] | None = None,
) -> BehaviourEvent:
    """Store one event and announce it (payload: event_id, kind, lead_id, client_id, visitor_id)."""
    event = BehaviourEvent.objects.create(
        kind=kind, lead=lead, client=client, visitor_id=visitor_id, occurred_at=occurred_at or timezone.now(),
        url=url, duration_seconds=duration_seconds, properties=properties or {},
    )
    record_event(
        "behaviour.recorded", event_id=event.pk, kind=kind, lead_id=getattr(lead, "pk", None),
        client_id=getattr(client, "pk", None), visitor_id=visitor_id,
    )
    return event
