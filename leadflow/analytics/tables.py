"""A report is a few tables (each may be drawn as a chart): one shape for the page, the API, exports and the CLI."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise

from leadflow.core.spreadsheet import CsvDialect, csv_dialect, neutralise


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | decimal | percent | date | month | datetime | duration


@dataclass
class Chart:
    """How the page draws a table: `type` bar | line | funnel, x from `label`, one series per `values`."""

    type: str
    label: str
    values: list[str]


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    chart: Chart | None = None
    note: str = ""

    def cells(self) -> list[list[Any]]:
        return [[row.get(column.key) for column in self.columns] for row in self.rows]

    def chart_data(self) -> dict[str, Any] | None:
        if self.chart is None or not self.rows:
            return None
        labels = {column.key: column.label for column in self.columns}
        return {
            "type": self.chart.type,
            "labels": [plain(row.get(self.chart.label)) for row in self.rows],
            "series": [
                {"label": str(labels[key]), "data": [number(row.get(key)) for row in self.rows]}
                for key in self.chart.values
            ],
        }


@dataclass
class Report:
    key: str
    title: str
    tables: list[Table]

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)


def number(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def plain(value: Any) -> Any:
    """A cell as JSON: dates as ISO text, decimals as numbers."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Promise):
        return str(value)
    return value


def as_json(report: Report) -> dict[str, Any]:
    return {
        "report": report.key,
        "title": str(report.title),
        "tables": [
            {
                "key": table.key,
                "title": str(table.title),
                "note": str(table.note),
                "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns],
                "rows": [{c.key: plain(row.get(c.key)) for c in table.columns} for row in table.rows],
            }
            for table in report.tables
        ],
    }


def export_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return value
    return neutralise(str(value))


def to_csv(table: Table, dialect: CsvDialect | None = None) -> str:
    """The table as the reader's spreadsheet opens it (core.spreadsheet.csv_dialect; the BOM is the response's)."""
    dialect = dialect or csv_dialect()
    out = io.StringIO()
    writer = dialect.writer(out)
    dialect.row(writer, [str(c.label) for c in table.columns])
    for row in table.cells():
        dialect.row(writer, [export_cell(v) for v in row])
    return out.getvalue()


def to_xlsx(report: Report) -> bytes:
    """One sheet per table; every text cell is written as text, never as a formula."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in report.tables:
        name = "".join(ch for ch in str(table.title) if ch not in "[]:*?/\\")[:28] or table.key
        while name in used:
            name = name[:26] + "_" + str(len(used))
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([str(c.label) for c in table.columns])
        for row in table.cells():
            sheet.append([export_cell(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_text(report: Report) -> str:
    """Plain-text tables for the terminal."""
    lines = [str(report.title), ""]
    for table in report.tables:
        header = [str(c.label) for c in table.columns]
        body = [["" if v is None else str(plain(v)) for v in row] for row in table.cells()]
        widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
        lines.append(f"== {table.title}")
        lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        lines.extend("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in body)
        lines.append("")
    return "\n".join(lines)


def to_json_text(report: Report) -> str:
    return json.dumps(as_json(report), ensure_ascii=False, indent=2)
