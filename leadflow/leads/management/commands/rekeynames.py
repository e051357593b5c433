"""`leadflow rekeynames [--dry-run]`: split again the names split before particles were known ("фон Бок Мария"),
of leads and client contacts.

The migrations leads.0023 (leads) and clients.0007 (contacts) run it once; run it again after restoring an older
backup. See leadflow.leads.names_rekey.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from leadflow.leads.names_rekey import rekey


class Command(BaseCommand):
    help = "Split again the names split wrong before name particles (фон, van der, de la, ибн) were known."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only list what would change.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        report = rekey(dry_run=dry_run, contacts=True)
        for pk, old, new in report.leads:
            self.stdout.write(f"lead #{pk}: {old} -> {new}")
        for pk, old, new in report.contacts:
            self.stdout.write(f"client contact #{pk}: {old} -> {new}")
        verb = "would be" if dry_run else "were"
        self.stdout.write(f"{len(report.leads)} leads and {len(report.contacts)} client contacts {verb} split again, "
                          f"{report.interests} interests' name keys {verb} made again, {report.skipped} left as they "
                          "are (no name as given, or edited since).")
