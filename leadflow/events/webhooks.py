"""Outgoing webhooks: the domain events an integration subscribed to, POSTed to its address by the worker.

Each event the worker delivers from the outbox queues one delivery per active webhook subscribed to it (in the
same transaction, so an event is queued once). The sender POSTs them, signed, in a few threads, and retries a
failure after a growing pause; a delivery given up is kept with its last answer, and the admins are told once
while the webhook keeps failing. Bodies carry ids, never a person's data: the integration reads what it may
through the API with its own token, so Leadflow's permissions and erasures still hold.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from leadflow.core import netguard
from leadflow.core.encryption import is_unreadable
from leadflow.core.memo import Memo
from leadflow.events.models import DeliveryState, OutboxEvent, Webhook, WebhookDelivery
from leadflow.events.services import handles

log = logging.getLogger(__name__)

ALL = "*"
# The events an integration may subscribe to (the others are Leadflow's own bookkeeping), with what they mean.
EVENTS: dict[str, Any] = {
    "lead.created": gettext_lazy("A new lead was created"),
    "request.attached": gettext_lazy("A known person wrote again (a request attached to their card)"),
    "lead.assigned": gettext_lazy("A lead was given a responsible manager (claimed, routed or assigned)"),
    "lead.pooled": gettext_lazy("A lead was put into the shared pool"),
    "lead.escalated": gettext_lazy("Nobody claimed a pooled lead in time: handed to the head of sales"),
    "lead.stage_changed": gettext_lazy("A lead moved to another stage"),
    "lead.qualified": gettext_lazy("A lead was qualified"),
    "lead.marketing_qualified": gettext_lazy("A lead became ripe for sales (MQL)"),
    "lead.temperature_changed": gettext_lazy("A lead's temperature changed"),
    "lead.updated": gettext_lazy("A lead's fields were changed"),
    "lead.refused": gettext_lazy("A lead refused (with a reason)"),
    "lead.deferred": gettext_lazy("A lead was deferred until a date"),
    "lead.reopened": gettext_lazy("A refused or deferred lead was reopened"),
    "lead.merged": gettext_lazy("Two lead cards were merged"),
    "lead.converted": gettext_lazy("A lead became a client"),
    "interest.created": gettext_lazy("An interest (not a lead yet) was recorded"),
    "interest.promoted": gettext_lazy("An interest became a lead, or went to the card of the person already known"),
    "client.created": gettext_lazy("A client was created"),
    "client.assigned": gettext_lazy("A client was given to another manager"),
    "client.updated": gettext_lazy("A client's company or contact was edited"),
    "client.contact_updated": gettext_lazy("A client's contact was changed"),
    "task.created": gettext_lazy("A task was created"),
    "task.completed": gettext_lazy("A task was completed"),
    "activity.logged": gettext_lazy("A call, e-mail, meeting or note was logged on a card"),
    "call.finished": gettext_lazy("A phone call ended"),
    "consent.withdrawn": gettext_lazy("A person withdrew a consent"),
    "privacy.erased": gettext_lazy("A person's data was erased at their request (erase it downstream too)"),
}
PING = "webhook.ping"
# The pauses before each new attempt; after the last one fails the delivery is given up.
RETRY_PAUSES = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                timedelta(hours=12))
BATCH = 50
THREADS = 4
LEASE = timedelta(minutes=5)  # a claimed delivery is left alone this long by other workers
USER_AGENT = "Leadflow-Webhook/1"

# The worker reads the active webhooks for every event it delivers: from memory, renewed every few seconds (a
# webhook saved in the admin takes effect for events delivered after that).
_active = Memo("events.Webhook", ttl=5.0)


def subscribed(webhook: Webhook, name: str) -> bool:
    chosen = webhook.events if isinstance(webhook.events, list) else []
    return name in chosen or (ALL in chosen and name in EVENTS)


def _active_webhooks() -> list[Webhook]:
    return _active.get("all", lambda: list(Webhook.objects.filter(is_active=True).only("pk", "events")))


@handles("*")
def queue_deliveries(event: OutboxEvent) -> None:
    """One delivery per active webhook subscribed to this event (the outbox's transaction: queued once)."""
    hooks = [hook for hook in _active_webhooks() if subscribed(hook, event.name)]
    if hooks:
        WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(webhook_id=hook.pk, event=event, next_at=timezone.now()) for hook in hooks],
            ignore_conflicts=True)


# ------------------------------------------------------------------ sending


def body_of(event: OutboxEvent) -> bytes:
    """{"id", "event", "occurred_at", "data"}: `id` is the event's, the same on every retry (to ignore a repeat)."""
    return json.dumps(
        {"id": event.pk, "event": event.name, "occurred_at": event.created_at.isoformat(), "data": event.payload},
        cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What X-Leadflow-Signature carries: the receiver computes the same with its copy of the secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _headers(name: str, event_id: int, secret: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = str(int(now.timestamp()))
    return {
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
        "X-Leadflow-Event": name, "X-Leadflow-Event-Id": str(event_id), "X-Leadflow-Timestamp": timestamp,
        "X-Leadflow-Signature": signature(secret, timestamp, body),
    }


def _call(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, bool]:
    """(response code, error, may retry) of one attempt; no database access, so it runs in a thread."""
    return netguard.attempt(lambda: netguard.post(url, body, timeout=float(settings.LEADFLOW_POSTBACK_TIMEOUT),
                                                  headers=headers), what="the webhook's URL")


def send_due(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Send the deliveries whose time has come; how many were attempted. Each is claimed with a conditional
    UPDATE first, so several workers never send one twice at once."""
    now = now or timezone.now()
    due = list(WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_at__lte=now)
               .order_by("next_at", "pk").values_list("pk", "next_at")[:limit])
    claimed = [pk for pk, next_at in due if WebhookDelivery.objects.filter(
        pk=pk, state=DeliveryState.PENDING, next_at=next_at).update(next_at=now + LEASE)]
    if not claimed:
        return 0
    deliveries = list(WebhookDelivery.objects.filter(pk__in=claimed).select_related("webhook", "event")
                      .order_by("event_id", "pk"))
    calls = []
    for delivery in deliveries:
        hook, event = delivery.webhook, delivery.event
        if is_unreadable(hook, "secret"):
            calls.append(None)  # recorded below, without a call: nothing could be signed
            continue
        body = body_of(event)
        calls.append((hook.url, body, _headers(event.name, event.pk, hook.secret, body, now)))
    with ThreadPoolExecutor(max_workers=min(THREADS, len(deliveries))) as pool:
        results = list(pool.map(lambda call: _call(*call) if call else (
            None, "the signing secret cannot be decrypted: enter it again on the webhook's page", True), calls))
    for delivery, result in zip(deliveries, results, strict=True):
        if result[1]:
            log.warning("webhook %s, event %s: %s", delivery.webhook_id, delivery.event_id, result[1])
        _record(delivery, result, now=now)
    return len(deliveries)


def _record(delivery: WebhookDelivery, result: tuple[int | None, str, bool], *, now: datetime) -> None:
    code, error, retry = result
    delivery.attempts += 1
    delivery.response_code, delivery.last_error = code, error
    hook = delivery.webhook
    if code is not None and 200 <= code < 300:
        delivery.state, delivery.sent_at = DeliveryState.SENT, now
        if hook.failing_since is not None:
            Webhook.objects.filter(pk=hook.pk).update(failing_since=None)
    elif retry and delivery.attempts <= len(RETRY_PAUSES):
        delivery.next_at = now + RETRY_PAUSES[delivery.attempts - 1]
    else:
        delivery.state = DeliveryState.FAILED
        _gave_up(hook, now=now)
    delivery.save(update_fields=["attempts", "response_code", "last_error", "state", "sent_at", "next_at"])


def _gave_up(hook: Webhook, *, now: datetime) -> None:
    """The admins are told when a webhook starts failing, not for every delivery it fails after that."""
    if not Webhook.objects.filter(pk=hook.pk, failing_since__isnull=True).update(failing_since=now):
        return
    from leadflow.accounts.models import Role, User
    from leadflow.leads.services import notify

    with transaction.atomic():
        for admin in User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True):
            notify(user=admin, kind="webhook.failing", name=hook.name,
                   template=gettext_noop("The webhook %(name)s is failing: an event could not be delivered and was "
                                         "given up. See its deliveries in the admin, and send them again once the "
                                         "receiver is fixed."))


def send_again(deliveries: list[WebhookDelivery], *, now: datetime | None = None) -> int:
    """An admin sends failed or waiting deliveries again at once (the receiver was fixed)."""
    ids = [d.pk for d in deliveries if d.state in (DeliveryState.PENDING, DeliveryState.FAILED)]
    return WebhookDelivery.objects.filter(pk__in=ids).update(
        state=DeliveryState.PENDING, next_at=now or timezone.now(), attempts=0)


def ping(webhook: Webhook, *, now: datetime | None = None) -> tuple[int | None, str]:
    """Send a test event to a webhook now (the admin's "Send a test event"); (response code, error)."""
    now = now or timezone.now()
    if is_unreadable(webhook, "secret"):
        return None, "the signing secret cannot be decrypted: enter it again"
    body = json.dumps({"id": 0, "event": PING, "occurred_at": now.isoformat(), "data": {"webhook": webhook.name}},
                      ensure_ascii=False, separators=(",", ":")).encode()
    code, error, _retry = _call(webhook.url, body, _headers(PING, 0, webhook.secret, body, now))
    return code, error
