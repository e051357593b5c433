"""Write domain events to the outbox; deliver them from the worker to registered handlers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from leadflow.core import rows
from leadflow.events.models import OutboxEvent

log = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, list[Handler]] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    """Register a delivery handler for event names ('*' for all)."""

    def register(handler: Handler) -> Handler:
        for name in names:
            _handlers.setdefault(name, []).append(handler)
        return handler

    return register


def record_event(name: str, **payload: Any) -> OutboxEvent:
    """Write an event; call inside the transaction of the change, so both commit or neither."""
    # No job per event: the worker polls the outbox every second, which costs one indexed read
    # instead of a queue row per event on the hot intake path.
    return rows.create(OutboxEvent, name=name, payload=payload)


def deliver_pending(*, limit: int = 200) -> int:
    """Deliver undelivered events in order; a failing handler leaves its event for the next run."""
    delivered = 0
    with transaction.atomic():
        # SKIP LOCKED lets several workers share the outbox (PostgreSQL); SQLite serialises anyway.
        batch = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(delivered_at__isnull=True, attempts__lt=10)
            .order_by("id")[:limit]
        )
        for event in batch:
            try:
                for handler in _handlers.get(event.name, []) + _handlers.get("*", []):
                    handler(event)
            except Exception as error:
                log.exception("outbox event %s failed", event.pk)
                event.attempts += 1
                event.last_error = repr(error)[:2000]
                event.save(update_fields=["attempts", "last_error"])
                continue
            event.delivered_at = timezone.now()
            event.attempts += 1
            event.save(update_fields=["delivered_at", "attempts"])
            delivered += 1
    return delivered
