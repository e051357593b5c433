"""`leadflow rekeynames [--dry-run]`: split again the names split before particles were known ("фон Бок Мария").

The migration leads.0023 runs it once; run it again after restoring an older backup. See leadflow.leads.names_rekey.
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
        report = rekey(dry_run=dry_run)
        for pk, old, new in report.leads:
            self.stdout.write(f"lead #{pk}: {old} -> {new}")
        verb = "would be" if dry_run else "were"
        self.stdout.write(f"{len(report.leads)} leads {verb} split again, {report.interests} interests' name keys "
                          f"{verb} made again, {report.skipped} left as they are (no name as given, or edited since).")
