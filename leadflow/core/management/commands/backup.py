"""`leadflow backup`: one backup file of the database, the kept files and the key, made while Leadflow runs."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leadflow.core import backup


class Command(BaseCommand):
    help = (
        "Write a backup (database snapshot, imported files and e-mail attachments, the secret key) to "
        "LEADFLOW_BACKUP_DIR or --to DIR, while Leadflow keeps running. --list shows the backups there."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--to", type=Path, help="Directory to write to (default LEADFLOW_BACKUP_DIR).")
        parser.add_argument("--keep", type=int, default=0,
                            help="Afterwards keep only this many newest daily backups there (0: keep all).")
        parser.add_argument("--list", action="store_true", help="List the backups instead of making one.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for path in backup.backups(options["to"]):
                manifest = backup.read_manifest(path)
                counts = ", ".join(f"{name} {number}" for name, number in manifest["counts"].items())
                self.stdout.write(f"{path}  {path.stat().st_size / 1e6:.1f} MB  {counts}")
            return
        try:
            made = backup.make_backup(directory=options["to"])
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{name} {number}" for name, number in made.counts.items())
        self.stdout.write(f"{made.path} ({made.size / 1e6:.1f} MB): {counts}")
        self.stdout.write("It holds personal data and the secret key: keep copies off this machine, privately.")
        if options["keep"] > 0:
            for removed in backup.prune(keep=options["keep"], directory=options["to"]):
                self.stdout.write(f"removed {removed}")
