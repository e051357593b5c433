"""`leadflow import FILE --as USER [--mapping ...] [--source ...] [--campaign ...] [--dry-run]`.

The same job and pipeline as the web import, run in this process with a progress bar on the terminal.
Without --mapping the columns are guessed from the header (Russian and English words) and printed.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leadflow.accounts.models import User
from leadflow.core.errors import DomainError
from leadflow.imports import services
from leadflow.imports.mapping import fields_for
from leadflow.marketing.models import Campaign, Source


def parse_mapping(text: str, headers: list[str]) -> dict[str, str]:
    """`ФИО=name,Телефон=phone` or `1=name,3=phone` (1-based column numbers) -> {index: field}."""
    mapping: dict[str, str] = {}
    by_header = {header.casefold(): index for index, header in enumerate(headers)}
    for part in filter(None, (p.strip() for p in text.split(","))):
        column, sep, name = part.rpartition("=")
        if not sep or not column.strip():
            raise CommandError(f"--mapping: '{part}' is not COLUMN=FIELD")
        column = column.strip()
        if column.isdigit():
            index = int(column) - 1
            if not 0 <= index < len(headers):
                raise CommandError(f"--mapping: column {column} is not in the file ({len(headers)} columns)")
        elif column.casefold() in by_header:
            index = by_header[column.casefold()]
        else:
            raise CommandError(f"--mapping: no column named '{column}'; the columns are: {', '.join(headers)}")
        mapping[str(index)] = name.strip()
    return mapping


class Command(BaseCommand):
    help = "Import leads (or clients) from a CSV or XLSX file through the intake pipeline (validation and matching)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="CSV (any delimiter; UTF-8 or windows-1251) or XLSX file with a header row")
        parser.add_argument("--as", dest="as_user", required=True,
                            help="username of the head of sales or admin who imports (routing uses their team)")
        parser.add_argument("--kind", choices=["leads", "clients"], default="leads",
                            help="what the file holds: leads (default) or existing clients")
        parser.add_argument("--mapping", default="",
                            help="COLUMN=FIELD pairs, comma-separated; COLUMN is a header or a 1-based number. "
                                 "Fields: " + ", ".join(fields_for("clients")) + ". Default: guessed from the header.")
        parser.add_argument("--source", default="", help="source for every row (its UTM source or its name)")
        parser.add_argument("--campaign", default="", help="campaign for every row (its UTM campaign or its name)")
        parser.add_argument("--region", default="", help="phone region for numbers without a country code, e.g. RU")
        parser.add_argument("--dry-run", action="store_true", help="show what would happen; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = User.objects.filter(username=options["as_user"], is_active=True).first()
        if user is None or not services.can_import(user):
            raise CommandError("--as must name an active head of sales or admin.")
        source = campaign = None
        if options["source"]:
            source = (Source.objects.filter(utm_source__iexact=options["source"]).first()
                      or Source.objects.filter(name__iexact=options["source"]).first())
            if source is None:
                raise CommandError(f"--source: no source '{options['source']}' (create it in the admin)")
        if options["campaign"]:
            campaign = (Campaign.objects.filter(utm_campaign__iexact=options["campaign"]).first()
                        or Campaign.objects.filter(name__iexact=options["campaign"]).first())
            if campaign is None:
                raise CommandError(f"--campaign: no campaign '{options['campaign']}' (create it in the admin)")
        try:
            job = services.create_job(upload=path, by=user, kind=options["kind"])
            mapping = parse_mapping(options["mapping"], job.headers) if options["mapping"] else job.mapping
            services.set_mapping(job=job, mapping=mapping, source=source, campaign=campaign,
                                 region=options["region"], by=user)
        except DomainError as error:
            raise CommandError(" ".join(" ".join(p) for p in error.fields.values()) or error.message) from error
        pairs = sorted(job.mapping.items(), key=lambda item: int(item[0]))
        self.stderr.write("Columns: " + ", ".join(f"{job.headers[int(index)]} -> {name}" for index, name in pairs))
        with self._bar() as progress:
            counts = (services.dry_run if options["dry_run"] else services.run_import)(job, progress=progress)
        job.refresh_from_db()
        verb = "would be" if options["dry_run"] else "were"
        self.stdout.write(
            f"{job.total_rows} rows: {counts['created']} new {options['kind']} {verb} created, {counts['attached']} "
            f"{verb} attached to existing cards"
            + (f" ({counts['attached_in_file']} repeating a row above)" if options["dry_run"] else ""))
        self.stdout.write(f"{counts['interest']} interests (not leads), {counts['invalid']} invalid, "
                          f"{counts['spam']} spam, {counts['failed']} failed")
        if job.error_file:
            self.stdout.write(f"Rejected rows with their errors: {job.error_file.path}")
        self.stdout.write(f"Import job #{job.pk}")

    def _bar(self) -> Any:
        from contextlib import contextmanager

        from tqdm import tqdm

        @contextmanager
        def bar() -> Any:
            with tqdm(total=0, unit="rows", file=sys.stderr, disable=None, dynamic_ncols=True) as progress:
                def step(done: int, total: int) -> None:
                    progress.total = total
                    progress.update(done - progress.n)

                yield step

        return bar()
