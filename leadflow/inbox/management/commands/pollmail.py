"""`leadflow pollmail`: take the unread messages of the IMAP mailboxes configured in the admin, once."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leadflow.inbox.imap import poll_mailbox
from leadflow.inbox.models import Mailbox


class Command(BaseCommand):
    help = "Poll the active IMAP mailboxes once (the worker does this every LEADFLOW_MAIL_POLL_INTERVAL seconds)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--mailbox", help="Poll only the mailbox with this name.")

    def handle(self, *args: Any, **options: Any) -> None:
        mailboxes = Mailbox.objects.filter(is_active=True).order_by("pk")
        if options["mailbox"]:
            mailboxes = mailboxes.filter(name=options["mailbox"])
            if not mailboxes.exists():
                raise CommandError(f"No active mailbox named {options['mailbox']!r}.")
        failed = 0
        for mailbox in mailboxes:
            try:
                taken = poll_mailbox(mailbox=mailbox)
            except Exception as error:
                failed += 1
                self.stderr.write(f"{mailbox}: {type(error).__name__}: {error}")
                continue
            self.stdout.write(f"{mailbox}: {taken} message(s) taken")
        if failed:
            raise CommandError(f"{failed} mailbox(es) could not be polled.")
