"""Export a lead list (with its filters) to CSV or XLSX, so a spreadsheet never executes a cell.

Cells starting with = + - @ (and tab or carriage return) are neutralised. CSV has no cell types, so
such a cell gets a leading apostrophe (OWASP's advice); phones included, which keeps them readable
as `'+79123456789`. XLSX has types: every cell is written as text, and a cell that would start a
formula carries Excel's own "quote prefix" mark, so it shows exactly as stored (`+79123456789`,
`=HYPERLINK(...)` as plain text) and stays text even when someone edits it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, tzinfo
from typing import Any

from django.utils.translation import gettext as _

from leadflow.core.spreadsheet import CsvDialect, is_formula_like

BATCH = 2000  # rows read from the database at a time
XLSX_CELL_LIMIT = 32_767  # characters Excel keeps in one cell


Column = tuple[str, Callable[[Any], Any]]


def lead_columns(zone: tzinfo) -> list[Column]:
    """The exported columns (labels in the current language), and how each is read from a lead."""

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    return [
        ("ID", lambda lead: lead.pk),
        (_("Full name"), lambda lead: lead.full_name),
        (_("Surname"), lambda lead: lead.last_name),
        (_("First name"), lambda lead: lead.first_name),
        (_("Patronymic"), lambda lead: lead.middle_name),
        (_("Phone"), lambda lead: lead.phone),
        (_("Extension"), lambda lead: lead.phone_ext),
        (_("E-mail"), lambda lead: lead.email),
        (_("Company"), lambda lead: f"{lead.legal_form} {lead.company_name}".strip()),
        (_("Position"), lambda lead: lead.position),
        (_("City / region"), lambda lead: lead.city),
        (_("Product interest"), lambda lead: lead.product_interest),
        (_("Deal type"), lambda lead: lead.get_deal_type_display() if lead.deal_type else ""),
        (_("State"), lambda lead: lead.get_state_display()),
        (_("Stage"), lambda lead: str(lead.stage) if lead.stage_id else ""),  # in the reader's language
        (_("Temperature"), lambda lead: lead.get_temperature_display() if lead.temperature else ""),
        (_("Owner"), lambda lead: lead.owner.display_name() if lead.owner_id else ""),
        (_("Team"), lambda lead: lead.team.name if lead.team_id else ""),
        (_("Channel"), lambda lead: lead.get_channel_display()),
        (_("Source"), lambda lead: lead.source.name if lead.source_id else ""),
        (_("Campaign"), lambda lead: lead.campaign.name if lead.campaign_id else ""),
        ("utm_source", lambda lead: lead.utm_source),
        ("utm_medium", lambda lead: lead.utm_medium),
        ("utm_campaign", lambda lead: lead.utm_campaign),
        ("utm_content", lambda lead: lead.utm_content),
        ("utm_term", lambda lead: lead.utm_term),
        (_("Consent"), lambda lead: _("yes") if lead.consent_given else _("no")),
        (_("Created"), lambda lead: local(lead.created_at)),
        (_("First message"), lambda lead: lead.message),
    ]


def export_queryset(qs: Any) -> Any:
    return qs.select_related("stage", "owner", "team", "source", "campaign").order_by("-created_at", "-pk")


def ordered_leads(qs: Any, sort: str = "") -> Iterator[Any]:
    """Every lead of `qs` in the list's order: newest first in one streamed read; another order (score, hottest)
    page by page through the list's own keyset paging, so the file's rows are exactly the pages' rows in turn."""
    from leadflow.leads.querysets import NEWEST, sorted_page

    if sort in ("", NEWEST):
        yield from export_queryset(qs).iterator(chunk_size=BATCH)
        return
    qs = qs.select_related("stage", "owner", "team", "source", "campaign")
    cursor = None
    while True:
        page, cursor = sorted_page(qs, sort, cursor, BATCH)
        yield from page
        if cursor is None:
            return


def _rows(qs: Any, columns: list[Column], sort: str = "") -> Iterator[list[Any]]:
    for lead in ordered_leads(qs, sort):
        yield [read(lead) for _label, read in columns]


class _Line:
    """A file-like object csv.writer writes one line into, which the generator then yields."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


def csv_lines(qs: Any, columns: list[Column], *, dialect: CsvDialect, sort: str = "") -> Iterator[bytes]:
    """UTF-8 in the reader's dialect (core.spreadsheet: `;` and a BOM for a Russian Excel, `,` for an English one),
    one encoded line at a time. The dialect is asked for before streaming, while the reader's language is active."""
    line = _Line()
    writer = dialect.writer(line)

    def emit(cells: Iterable[Any]) -> bytes:
        line.text = ""
        dialect.row(writer, cells)
        return line.text.encode("utf-8")

    yield dialect.bom.encode() + emit(label for label, _read in columns)
    for cells in _rows(qs, columns, sort):
        yield emit(cells)


def write_xlsx(qs: Any, columns: list[Column], *, sort: str = "") -> Any:
    """A write-only workbook (constant memory) in a temporary file, rewound for streaming."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Leads"))
    bold = Font(bold=True)

    def cell(value: Any, *, header: bool = False) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return WriteOnlyCell(sheet, value=value)
        text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))[:XLSX_CELL_LIMIT]
        written = WriteOnlyCell(sheet, value=None)
        # Assigned directly, not through `value`: openpyxl would turn "=..." into a formula cell.
        written._value, written.data_type = text, "s"
        if is_formula_like(text):
            written.quotePrefix = True
        if header:
            written.font = bold
        return written

    sheet.append([cell(label, header=True) for label, _read in columns])
    for cells in _rows(qs, columns, sort):
        sheet.append([cell(value) for value in cells])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle
