"""`leadflow importspend FILE.csv`: campaign spend and clicks per day (columns campaign,day,clicks,cost)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leadflow.marketing.services import import_spend, spend_text


class Command(BaseCommand):
    help = ("Import campaign spend from a CSV file with the columns campaign,day,clicks,cost (rows of one campaign "
            "and day add up; the file replaces those days).")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = spend_text(Path(options["path"]).read_bytes())
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {options['path']}: {error}") from error
        result = import_spend(text=text)
        if result.errors:
            raise CommandError("Nothing imported. " + "; ".join(
                f"{where}: {', '.join(problems)}" for where, problems in result.errors.items()))
        self.stdout.write(f"{result.saved} day(s) of spend imported.")
