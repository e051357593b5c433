"""`leadflow encryption`: check that every stored secret can be decrypted, re-encrypt them all with the first
key (`--rotate`), or print a new key (`--new-key`)."""

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from leadflow.core import encryption


class Command(BaseCommand):
    help = (
        "Secrets Leadflow reads back (IMAP passwords, telephony keys) are stored encrypted with the keys in "
        "LEADFLOW_ENCRYPTION_KEYS (the first encrypts, all decrypt; none set: a key derived from the secret key). "
        "Without options: check that every stored secret can be decrypted."
    )
    # `--new-key` must work while LEADFLOW_ENCRYPTION_KEYS is wrong: that is when a key is needed.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--rotate", action="store_true",
                            help="Re-encrypt every stored secret with the first key (after putting a new key first).")
        action.add_argument("--new-key", action="store_true", help="Print a new key for LEADFLOW_ENCRYPTION_KEYS.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            self.stdout.write(encryption.new_key())
            return
        try:
            encryption.keys()  # a wrong key is reported before any row is read
            report = encryption.rotate_secrets(dry_run=not options["rotate"])
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        for problem in report.unreadable:
            self.stderr.write(problem)
        if options["rotate"]:
            self.stdout.write(f"{report.rewritten} secret(s) encrypted again with the first key.")
        else:
            self.stdout.write(f"{report.rewritten} secret(s) can be decrypted.")
        if report.unreadable:
            raise CommandError(f"{len(report.unreadable)} secret(s) cannot be decrypted with the configured keys "
                               "(left as they are).")
