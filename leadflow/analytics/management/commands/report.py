"""`leadflow report NAME --as USER`: a report in the terminal, or as CSV, JSON or XLSX."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leadflow.accounts.models import User
from leadflow.analytics import reports
from leadflow.analytics.filters import DIMENSIONS, parse_filter
from leadflow.analytics.tables import to_csv, to_json_text, to_text, to_xlsx
from leadflow.core.errors import DomainError


class Command(BaseCommand):
    help = "Print a report (funnel, conversion, speed, managers, refusals, costs) as the given user sees it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", choices=sorted(reports.REPORTS))
        parser.add_argument("--as", dest="username", required=True, help="Whose view (scope and time zone).")
        parser.add_argument("--from", dest="start", help="First local day, YYYY-MM-DD (default: 30 days ago).")
        parser.add_argument("--to", dest="end", help="Last local day, YYYY-MM-DD (default: today).")
        parser.add_argument("--interval", choices=["day", "week", "month"], default="day")
        for name in DIMENSIONS:
            parser.add_argument(f"--{name}", help=f"Only this {name} ({'UTM medium' if name == 'medium' else 'id'}).")
        parser.add_argument("--format", choices=["text", "csv", "json", "xlsx"], default="text")
        parser.add_argument("--table", help="For CSV: the table's key (default: every table, one after another).")
        parser.add_argument("--output", help="Write to this file instead of the terminal (required for xlsx).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['username']!r}.")
        kind = reports.REPORTS[options["name"]]
        if not reports.allowed(kind, user):
            raise CommandError(f"{user.username} may not see the {kind.key} report.")
        params = {key: options[key] for key in ("start", "end", "interval", *DIMENSIONS) if options.get(key)}
        try:
            report = kind.build(parse_filter(params, user), user)
        except DomainError as error:
            detail = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in error.fields.items())
            raise CommandError(detail or error.message) from error
        fmt = options["format"]
        if fmt == "xlsx":
            if not options["output"]:
                raise CommandError("--format xlsx needs --output FILE.xlsx")
            Path(options["output"]).write_bytes(to_xlsx(report))
            return
        if fmt == "csv":
            tables = [t for t in report.tables if not options["table"] or t.key == options["table"]]
            if not tables:
                raise CommandError(f"No table {options['table']!r}; the tables: "
                                   + ", ".join(t.key for t in report.tables))
            text = "\n".join(to_csv(t) for t in tables)
        elif fmt == "json":
            text = to_json_text(report) + "\n"
        else:
            text = to_text(report)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
