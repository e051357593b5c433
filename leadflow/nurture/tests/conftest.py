"""A real SMTP server (aiosmtpd on 127.0.0.1, a free port) that Django's SMTP backend sends to, and helpers."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.utils import timezone

from leadflow.events.services import deliver_pending
from leadflow.nurture import mail, services
from leadflow.nurture.models import Sequence
from leadflow.privacy.models import Purpose
from leadflow.privacy.services import record_consent

REFUSING_DOMAIN = "gone.example"  # the server answers 550 for any mailbox there, as for a deleted account


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class MailServer:
    port: int = 0
    received: list[Received] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        return [item.message for item in self.received if address in item.recipients]


class Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower().endswith("@" + REFUSING_DOMAIN):
            return f"550 5.1.1 <{address}>: no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore
        return "250 Message accepted"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[MailServer]:
    """aiosmtpd in a thread of its own; Django's SMTP backend pointed at it."""
    state = MailServer()
    loop = asyncio.new_event_loop()
    handler = Handler(state)
    server = loop.run_until_complete(loop.create_server(lambda: SMTP(handler, loop=loop), host="127.0.0.1", port=0))
    state.port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", state.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "news@shop.example"
    settings.LEADFLOW_BASE_URL = "https://crm.shop.example"
    settings.LEADFLOW_MAIL_PER_DOMAIN_PER_MINUTE = 100
    yield state

    async def close() -> None:
        server.close()
        await server.wait_closed()

    asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


def tick(now: datetime | None = None) -> dict[str, int]:
    """What the worker does every second: deliver the outbox, run due steps, send the queue."""
    return {"delivered": deliver_pending(), "steps": services.run_due(now=now), "sent": mail.send_queued(now=now)}


def later(**delta: float) -> datetime:
    return timezone.now() + timedelta(**delta)


@pytest.fixture
def consenting() -> Callable[..., Any]:
    def give(lead: Any) -> Any:
        record_consent(purpose=Purpose.MARKETING, lead=lead, email=lead.email, channel="form")
        return lead

    return give


@pytest.fixture
def ready_made(db: None) -> Callable[[str], Sequence]:
    """Switch a ready-made sequence (installed off by the migration) on."""

    def switch_on(key: str) -> Sequence:
        sequence = Sequence.objects.get(key=key)
        Sequence.objects.filter(pk=sequence.pk).update(is_active=True)
        sequence.refresh_from_db()
        return sequence

    return switch_on


@pytest.fixture
def mary(db: None) -> Any:
    """A marketer."""
    from leadflow.accounts.models import Role, User

    return User.objects.create_user(username="mary", password="pw", email="mary@example.com", role=Role.MARKETER)


@pytest.fixture
def as_user() -> Callable[[Any], Any]:
    from django.test import Client as HttpClient

    def make(user: Any) -> HttpClient:
        client = HttpClient()
        client.force_login(user)
        return client

    return make
