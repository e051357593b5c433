"""Files people open in a spreadsheet: one way for every export to write a CSV for its reader, and to keep a cell
typed into a public form from running as a formula.

A CSV has no settings of its own: Excel splits it on its locale's list separator and reads numbers with its decimal
mark. Where the decimal mark is a comma (Russian), that is `;` and 1750,00, and a UTF-8 file needs a BOM to be read
as UTF-8 (without one Russian headers came out garbled as windows-1251). Where it is a dot (English), it is `,` and
1750.00, and a file split on `;` opened as one column. So each export asks `csv_dialect()` while the reader's
language is active (a streamed body is written after the middleware has switched it back: ask in the view).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.utils.formats import get_format

# Spreadsheets run a cell starting with one of these as a formula: a lead's name typed into a public form
# ("=HYPERLINK(...)") must stay text in an export (OWASP's CSV injection advice: a leading apostrophe).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START)


def neutralise(value: Any) -> Any:
    """A cell no spreadsheet takes for a formula: text that would start one gets a leading apostrophe (a phone
    `'+79123456789` stays readable); numbers, dates and None are left to the writer."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV is written for one reader's spreadsheet."""

    delimiter: str
    decimal: str

    @property
    def bom(self) -> str:
        """A UTF-8 byte order mark where the file is made for a comma-decimal locale's Excel, else nothing."""
        return "\ufeff" if self.delimiter == ";" else ""

    def cell(self, value: Any) -> Any:
        """A value as this reader's spreadsheet reads it: a decimal number with their decimal mark, text neutralised,
        None empty."""
        if value is None:
            return ""
        if isinstance(value, Decimal | float) and self.decimal != ".":
            return str(value).replace(".", self.decimal)
        return neutralise(value)

    def writer(self, out: _Writable) -> Any:
        """A csv writer of this dialect whose rows should be given through `cell`."""
        return csv.writer(out, delimiter=self.delimiter)

    def row(self, writer: Any, values: Any) -> None:
        writer.writerow([self.cell(value) for value in values])


def csv_dialect() -> CsvDialect:
    """The CSV dialect of the active language's spreadsheet: `;` and a decimal comma where the decimal mark is a comma
    (Russian), `,` and a dot otherwise (English)."""
    decimal = str(get_format("DECIMAL_SEPARATOR"))
    return CsvDialect(delimiter=";" if decimal == "," else ",", decimal=decimal)


def dialect_written(raw: bytes) -> CsvDialect:
    """The dialect a CSV written through CsvDialect was written in, read back from the file alone (an import's error
    file, rewritten when a person is erased): the BOM marks the `;` one. Files from before the dialects had both."""
    if raw.startswith("\ufeff".encode()):
        return CsvDialect(delimiter=";", decimal=",")
    return CsvDialect(delimiter=",", decimal=".")
