"""`leadflow smtpd`: an SMTP server (aiosmtpd) that takes mail for the configured addresses as leads.

A message is answered "250" only after its raw bytes are committed to the database; a failure to
store it answers "451" so the sending server tries again later and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections, connections

from leadflow.inbox.services import NULL_SENDER, take_email

log = logging.getLogger(__name__)


class Recipients:
    """Accepted addresses: exact ones ("sales@example.com") and whole domains ("@leads.example.com")."""

    def __init__(self, addresses: Iterable[str]) -> None:
        cleaned = {address.strip().lower() for address in addresses if address.strip()}
        self.domains = {address for address in cleaned if address.startswith("@")}
        self.addresses = cleaned - self.domains

    def accepts(self, address: str) -> bool:
        address = address.strip().lower()
        return address in self.addresses or ("@" in address and "@" + address.rsplit("@", 1)[1] in self.domains)

    def __bool__(self) -> bool:
        return bool(self.addresses or self.domains)

    def __str__(self) -> str:
        return ", ".join(sorted(self.addresses | self.domains))


class LeadHandler:
    """aiosmtpd's handler: refuse other recipients, store and process each message."""

    def __init__(self, recipients: Recipients, executor: ThreadPoolExecutor) -> None:
        self.recipients = recipients
        self.executor = executor

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not self.recipients.accepts(address):
            return f"550 5.1.1 <{address}>: recipient not accepted here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer or "")
        loop = asyncio.get_running_loop()
        try:
            email = await loop.run_in_executor(
                self.executor, _take, raw, envelope.mail_from or NULL_SENDER, list(envelope.rcpt_tos), peer
            )
        except Exception:
            log.exception("could not store a message from %s", peer)
            return "451 4.3.0 Could not store the message; try again later"
        return f"250 2.0.0 Accepted as message {email.pk}"


def _take(raw: bytes, envelope_from: str, envelope_to: list[str], peer: str) -> Any:
    close_old_connections()
    try:
        return take_email(raw=raw, via="smtp", envelope_from=envelope_from, envelope_to=envelope_to, peer=peer)
    finally:
        close_old_connections()


class SmtpServer:
    """The SMTP server on its own event loop in a background thread; `start` returns the port it listens on."""

    def __init__(self, *, host: str, port: int, recipients: Iterable[str], max_bytes: int) -> None:
        self.host = host
        self.port = port
        self.recipients = Recipients(recipients)
        self.max_bytes = max_bytes
        # One database thread: messages are stored one at a time, which SQLite needs and PostgreSQL does not mind.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadflow-smtpd-db")
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.AbstractServer | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, name="leadflow-smtpd", daemon=True)

    def start(self) -> int:
        handler = LeadHandler(self.recipients, self.executor)
        hostname = socket.gethostname()

        def factory() -> SMTP:
            return SMTP(handler, data_size_limit=self.max_bytes, hostname=hostname, ident="Leadflow ESMTP",
                        enable_SMTPUTF8=True, loop=self.loop)

        self.server = self.loop.run_until_complete(self.loop.create_server(factory, host=self.host, port=self.port))
        self.port = self.server.sockets[0].getsockname()[1]
        self.thread.start()
        return self.port

    def stop(self) -> None:
        if self.server is None:
            return

        async def close() -> None:
            assert self.server is not None
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.executor.submit(connections.close_all).result(timeout=10)
        self.executor.shutdown(wait=True)
        self.loop.close()
        self.server = None
