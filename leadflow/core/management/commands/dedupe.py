"""`leadflow dedupe`: find the records that are one person.

File mode: ``leadflow dedupe INPUT.csv --output OUT.csv [--region RU] [--threshold X]`` reads a CSV
with a header (delimiter sniffed, UTF-8 with or without BOM) and writes ``id,cluster_id`` for every
input row in input order; rows judged to be one person share a cluster_id (the id of the cluster's
first row). Recognised columns: id (required), name or first_name / last_name / middle_name, email,
phone, company, city, address, postcode, birth_date, inn; any may be empty, others are ignored.

Database mode (no INPUT) scans the lead and client base; see `dedupe_database`.
"""

from __future__ import annotations

import csv
import io
import sys
from argparse import ArgumentParser
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError

from leadflow.matching.batch import cluster_features, map_chunks, workers_for
from leadflow.matching.compare import UPPER_DEFAULT
from leadflow.matching.record import Features, Record, compute_features

RECOGNISED = (
    "id",
    "name",
    "first_name",
    "last_name",
    "middle_name",
    "email",
    "phone",
    "company",
    "city",
    "address",
    "postcode",
    "birth_date",
    "inn",
)
_DELIMITERS = ",;\t|"


def dedupe_database(options: dict[str, Any], out: TextIO) -> None:
    """Database mode: report the groups of cards judged one person; with --merge, merge the sure ones."""
    from leadflow.accounts.models import User
    from leadflow.leads.dedupe import scan

    merge_as = None
    if options.get("merge"):
        username = options.get("as_user") or ""
        merge_as = User.objects.filter(username=username, is_active=True).first()
        if merge_as is None:
            raise CommandError("--merge needs --as USERNAME of an active head of sales or admin.")
    with _progress_bar(enabled=sys.stderr.isatty()) as progress:
        step = (lambda done, total: progress("comparing", done, total)) if progress else None
        report = scan(threshold=options["threshold"], merge_as=merge_as, progress=step)
    for group in report.groups:
        members = ", ".join(f"{card_type}#{pk}" for card_type, pk in group.members)
        outcome = f" -> merged into lead#{group.merged_into}" if group.merged_into else (
            f" ({group.note})" if group.note else "")
        out.write(f"{members}{outcome}\n")
    out.write(f"{report.cards} cards, {len(report.groups)} groups of the same person"
              + (f", {report.merged} leads merged" if merge_as else "") + "\n")


class Command(BaseCommand):
    help = (
        "Find records that are one person. With INPUT.csv: write id,cluster_id for every row to --output; "
        "recognised columns: id (required), name or first_name/last_name/middle_name, email, phone, company, "
        "city, address, postcode, birth_date."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("input", nargs="?", help="CSV file to deduplicate (omit to scan the database).")
        parser.add_argument("--output", "-o", help="Where to write id,cluster_id (default: standard output).")
        parser.add_argument("--region", default="RU", help="Default phone region for numbers without +code.")
        parser.add_argument(
            "--threshold",
            type=float,
            default=UPPER_DEFAULT,
            help=f"Score at or above which two rows are one person (default {UPPER_DEFAULT}).",
        )
        parser.add_argument("--merge", action="store_true", help="Database mode: merge each sure group of leads.")
        parser.add_argument("--as", dest="as_user", help="Database mode: the user the merges are recorded for.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options.get("input"):
            dedupe_database(options, self.stdout)
            return
        threshold = options["threshold"]
        if not 0.0 < threshold <= 1.0:
            raise CommandError("--threshold must be in (0, 1].")
        path = Path(options["input"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        rows = read_csv(path)
        with _progress_bar(enabled=sys.stderr.isatty()) as progress:
            cluster_ids = dedupe_rows(rows, region=options["region"], threshold=threshold, progress=progress)
        output = options.get("output")
        if output and output != "-":
            with open(output, "w", encoding="utf-8", newline="") as handle:
                write_clusters(handle, rows, cluster_ids)
            groups = len(set(cluster_ids))
            self.stderr.write(f"{len(rows)} rows, {groups} people; written to {output}")
        else:
            write_clusters(self.stdout, rows, cluster_ids)


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV as dicts of the recognised columns (lower-cased header, values stripped)."""
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig", errors="replace").replace("\x00", "")
    if not text.strip():
        raise CommandError(f"{path} is empty: a header with an id column is required.")
    sample = text[:65536]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], _DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as error:
        raise CommandError(f"{path}: cannot read the header ({error}).") from error
    columns = [_column_name(name) for name in header]
    if "id" not in columns:
        raise CommandError(f"{path}: the header has no 'id' column (found: {', '.join(header) or 'nothing'}).")
    wanted = [(index, name) for index, name in enumerate(columns) if name in RECOGNISED]
    rows: list[dict[str, str]] = []
    for values in _safe_rows(reader):
        if not any(value.strip() for value in values):
            continue
        rows.append({name: values[index].strip() if index < len(values) else "" for index, name in wanted})
    return rows


def _safe_rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """Rows of a csv reader; a row the csv module cannot parse is skipped, not fatal."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:
            continue


_COLUMN_ALIASES = {"e_mail": "email", "birthdate": "birth_date", "firstname": "first_name", "lastname": "last_name"}


def _column_name(name: str) -> str:
    """Header name in canonical form: "Last Name" -> last_name, "E-mail" -> email."""
    name = name.strip().strip('"').lower().replace(" ", "_").replace("-", "_")
    return _COLUMN_ALIASES.get(name, name)


def record_from_row(row: dict[str, str], key: str, *, region: str) -> Record:
    """A Record from one CSV row; whatever cannot be parsed is left out."""
    fields = {name: row.get(name) or "" for name in RECOGNISED if name != "id"}
    try:
        return Record.from_raw(key, region=region, **fields)
    except Exception:  # a bad row must never stop the scan
        return Record(id=key)


def dedupe_rows(
    rows: Iterable[dict[str, str]],
    *,
    region: str = "RU",
    threshold: float = UPPER_DEFAULT,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[str]:
    """Cluster rows (dicts with the recognised columns); the cluster id of each row, in order.

    Rows are keyed by position, so repeated or empty ids still get one answer each; a cluster's id
    is the id of its first row.
    """
    rows = list(rows)
    reading_progress = (lambda done, total: progress("reading", done, total)) if progress else None
    _ROW_OPTIONS["region"] = region
    feats = map_chunks(_row_features, rows, workers=workers_for(len(rows)), progress=reading_progress)
    compare_progress = (lambda done, total: progress("comparing", done, total)) if progress else None
    labels = cluster_features(feats, threshold=threshold, progress=compare_progress)
    return [rows[label].get("id", "") for label in labels]


_ROW_OPTIONS: dict[str, str] = {"region": "RU"}


def _row_features(rows: Sequence[dict[str, str]]) -> list[Features]:
    """Parse rows and compute their features (run in worker processes for big files)."""
    region = _ROW_OPTIONS["region"]
    # Rows are keyed by position within the chunk; only the features are kept, so ids do not matter.
    return [compute_features(record_from_row(row, "", region=region)) for row in rows]


def write_clusters(handle: TextIO, rows: list[dict[str, str]], cluster_ids: list[str]) -> None:
    """Write id,cluster_id for each row."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["id", "cluster_id"])
    for row, cluster_id in zip(rows, cluster_ids, strict=True):
        writer.writerow([row.get("id", ""), cluster_id])


@contextmanager
def _progress_bar(*, enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A tqdm bar per phase on a terminal; nothing at all otherwise."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def update(phase: str, done: int, total: int) -> None:
        bar = bars.get(phase)
        if bar is None:
            bar = bars[phase] = tqdm(total=total, desc=phase, unit=" rows" if phase == "reading" else " pairs")
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.close()
