"""Polling existing IMAP mailboxes (imap-tools): take every unread message, store it, then mark it taken."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.utils import timezone
from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.consts import MailMessageFlags

from leadflow.core.encryption import SecretUnreadable
from leadflow.core.every import Every
from leadflow.inbox.models import AfterTaking, Mailbox, Security
from leadflow.inbox.services import finish_stale_emails, retry_failed_emails, take_email

log = logging.getLogger(__name__)

TIMEOUT = 30  # seconds for one IMAP command: a hung server must not stop the worker's other jobs
BATCH = 200  # messages per poll; the rest wait for the next one


class RawMailMessage(MailMessage):
    """imap-tools' message that also keeps the bytes exactly as the server sent them."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


def connect(mailbox: Mailbox) -> Any:
    kinds = {Security.SSL: MailBox, Security.STARTTLS: MailBoxStartTls, Security.NONE: MailBoxUnencrypted}
    box = kinds[Security(mailbox.security)](mailbox.host, mailbox.port, timeout=TIMEOUT)
    box.email_message_class = RawMailMessage
    return box.login(mailbox.username, mailbox.password, initial_folder=mailbox.folder)


def poll_mailbox(*, mailbox: Mailbox, limit: int = BATCH) -> int:
    """Take the unread messages of one mailbox; returns how many were taken.

    Each message is committed to the database before it is marked on the server, so a crash in
    between only means it is taken again next time, and taking is idempotent on Message-ID.
    """
    taken = 0
    try:
        with connect(mailbox) as box:
            for message in box.fetch(AND(seen=False), mark_seen=False, limit=limit):
                take_email(raw=message.raw, via="imap", mailbox=mailbox, peer=mailbox.host)
                if mailbox.after_taking == AfterTaking.MOVE and mailbox.move_to:
                    box.move(message.uid, mailbox.move_to)
                else:
                    box.flag(message.uid, MailMessageFlags.SEEN, True)
                taken += 1
    except SecretUnreadable as error:
        # Not a fault of the server or of this code: the message says what the administrator must do.
        log.error("polling mailbox %s skipped: %s", mailbox, error)
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=str(error)[:2000])
        raise
    except Exception as error:
        log.exception("polling mailbox %s failed", mailbox)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_polled_at=timezone.now(), last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error="")
    return taken


def poll_mailboxes() -> int:
    """Poll every active mailbox; one failing mailbox does not stop the others."""
    total = 0
    for mailbox in Mailbox.objects.filter(is_active=True).order_by("pk"):
        try:
            total += poll_mailbox(mailbox=mailbox)
        except Exception:  # noqa: S112  (logged and kept on the mailbox's row; the next one still runs)
            continue
    return total


POLL = Every(lambda: settings.LEADFLOW_MAIL_POLL_INTERVAL)


def poll_mailboxes_when_due() -> int:
    """The worker's schedule: every LEADFLOW_MAIL_POLL_INTERVAL seconds (not on every tick) poll the mailboxes
    finish messages a crash left unprocessed, and retry those whose lead failed.

    Measured on the monotonic clock: the scheduler's `now` may be moved by tests and jobs."""
    if not POLL.due(time.monotonic()):
        return 0
    return poll_mailboxes() + finish_stale_emails() + retry_failed_emails()
