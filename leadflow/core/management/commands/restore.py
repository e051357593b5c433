"""`leadflow restore FILE`: put a backup in place of this installation's database, files and key."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from leadflow.core import backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `leadflow backup` (stop Leadflow first). What is there now is saved first as a "
        "backup labelled before-restore; then the database is migrated to this version of Leadflow."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            manifest = backup.read_manifest(path)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{name} {number}" for name, number in manifest["counts"].items())
        self.stdout.write(f"Backup of {manifest['made_at']} (Leadflow {manifest['leadflow']}, "
                          f"{manifest['database']}): {counts}")
        if not options["yes"]:
            answer = input("Replace this installation's data with it? Leadflow must be stopped. [y/N] ")
            if answer.strip().lower() not in ("y", "yes", "д", "да"):
                raise CommandError("Nothing was changed.")
        try:
            restored = backup.restore_backup(path)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        if restored.saved_before:
            self.stdout.write(f"What was here before is saved in {restored.saved_before}")
        call_command("migrate", verbosity=0)
        for note in restored.notes:
            self.stdout.write(note)
        got = ", ".join(f"{name} {number}" for name, number in restored.counts.items())
        self.stdout.write(f"Restored: {got}")
        if restored.counts != restored.expected:
            raise CommandError(f"the restored database does not hold what the backup says ({counts}).")
        self.stdout.write("Start Leadflow again.")
