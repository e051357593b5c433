"""Reading CSV and XLSX files row by row: encoding, delimiter, header, cell values as text.

CSV: UTF-8 (with or without BOM) is tried first, then the encoding is detected (windows-1251 is
common in Russian exports) with charset-normalizer; the delimiter is sniffed among ; , tab |.
XLSX: openpyxl in read-only mode, the first sheet, so a large workbook is streamed, not loaded.
"""

from __future__ import annotations

import csv
import datetime
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _

SAMPLE_BYTES = 256 * 1024
DELIMITERS = ";,\t|"
BOM = b"\xef\xbb\xbf"


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX this reader can read; the message says why."""


@dataclass
class FileInfo:
    file_format: str  # csv | xlsx
    encoding: str = ""
    delimiter: str = ""


# Excel's "Unicode text" (Текст Юникод) export: UTF-16 with its byte-order mark, tab-separated.
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def detect_format(name: str, head: bytes) -> str:
    if head.startswith(UTF16_BOMS):
        return "csv"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFile(_("The file is not a valid XLSX workbook."))
    if name.lower().endswith(".xls"):
        raise UnreadableFile(_("Old .xls workbooks are not supported: save the file as XLSX or CSV."))
    if b"\x00" in head[:4096]:
        raise UnreadableFile(_("The file is neither CSV nor XLSX."))
    return "csv"


def detect_encoding(sample: bytes) -> str:
    """utf-8-sig with a BOM; utf-8 when the sample decodes; otherwise what charset-normalizer finds."""
    if sample.startswith(BOM):
        return "utf-8-sig"
    if sample.startswith(UTF16_BOMS):
        return "utf-16"
    # The sample may end in the middle of a multi-byte character: cut at the last line break.
    cut = sample if len(sample) < SAMPLE_BYTES else sample[: sample.rfind(b"\n") + 1 or len(sample)]
    try:
        cut.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    russian = _russian_single_byte(cut)
    if russian:
        return russian
    best = from_bytes(cut, cp_isolation=["cp1251", "koi8_r", "cp866", "utf_16", "latin_1", "mac_cyrillic"]).best()
    if best is None:
        return "cp1251"
    return best.encoding


# The letters of Russian, Ukrainian and Belarusian: the other Cyrillic letters (ѓ, ќ, ћ, ѕ) are what a wrong
# single-byte table makes of Windows-1251 or KOI8 bytes.
_EAST_SLAVIC = frozenset("ёЁіІїЇєЄґҐўЎ")
# The single-byte Russian encodings, most common first: a tie goes to the earlier one.
_CYRILLIC_ENCODINGS = ("cp1251", "koi8_r", "cp866", "mac_cyrillic")
_TEXT_PUNCTUATION = frozenset("«»—–“”„…№°’‘•\u00a0")
_WORD = re.compile(r"[^\W\d_]+")
# Neither ASCII, nor an East Slavic letter, nor the usual typography.
_ODD = re.compile(r"[^\x00-\x7f\u0410-\u044f" + "".join(sorted(_EAST_SLAVIC | _TEXT_PUNCTUATION)) + "]")
RUSSIAN_CHECK_BYTES = 32 * 1024  # a file's first lines say its encoding; the whole sample would cost 0.3 s


def _is_cyrillic(char: str) -> bool:
    return "\u0410" <= char <= "\u044f" or char in _EAST_SLAVIC


def _russian_score(text: str) -> int:
    """How much a decoding reads as Russian text: one point per Cyrillic word cased as people case words (иванов,
    Иванов, ИВАНОВ), minus one per word cased no way anyone writes (иВАНОВ: KOI8 read as Windows-1251) or mixing
    scripts (Mьller: Latin-1 read as Cyrillic), and per character that is neither ASCII, Cyrillic nor the usual
    typography (‘»ќ: Windows-1251 capitals read as Mac Cyrillic)."""
    score = -len(_ODD.findall(text))
    for word in _WORD.findall(text):
        if not any(_is_cyrillic(char) for char in word):
            continue
        consistent = word.islower() or word.isupper() or word.istitle()
        score += 1 if consistent and all(_is_cyrillic(char) for char in word) else -1
    return score


def _russian_single_byte(sample: bytes) -> str:
    """The Russian single-byte encoding the sample reads best in, or "" when it is no Russian text.

    charset-normalizer guesses from letter statistics, which a short file (a header and a few names) does not have:
    it read such Windows-1251 files as Mac Cyrillic, and the header ("ФИО", "Телефон") came out as "‘»ќ", "“елефон"."""
    scores = []
    head = sample if len(sample) <= RUSSIAN_CHECK_BYTES else sample[: sample.rfind(b"\n", 0, RUSSIAN_CHECK_BYTES) + 1]
    for encoding in _CYRILLIC_ENCODINGS:
        try:
            scores.append((_russian_score((head or sample[:RUSSIAN_CHECK_BYTES]).decode(encoding)), encoding))
        except UnicodeDecodeError:
            continue
    best = max(scores, key=lambda item: item[0], default=(0, ""))  # the first of equal scores: the most common
    return best[1] if best[0] > 0 else ""


def detect_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()][:50]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        # The sniffer gives up on irregular files: the candidate most frequent in one of the first lines wins
        # (the header is usually the first, but a title line may come before it).
        counts = {d: max(line.count(d) for line in lines[:HEADER_SEARCH_ROWS]) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def inspect(path: Path, name: str) -> FileInfo:
    """The format, encoding and delimiter of an uploaded file."""
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise UnreadableFile(_("The file is empty."))
    file_format = detect_format(name, sample)
    if file_format == "xlsx":
        return FileInfo("xlsx")
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="ignore")
    return FileInfo("csv", encoding=encoding, delimiter=detect_delimiter(text))


def cell_text(value: object) -> str:
    """An XLSX cell as the text a person sees: 79123456789.0 is 79123456789, a date is ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.hour or value.minute:
            return value.isoformat(sep=" ", timespec="minutes")
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


# ="89123456789": the formula some CRMs and spreadsheets export so a number keeps its leading digits; the cell is
# the text inside.
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)


def _csv_cell(cell: str) -> str:
    text = cell.strip()
    forced = _EXCEL_TEXT.match(text)
    return forced.group(1).replace('""', '"').strip() if forced else text


def _csv_rows(path: Path, info: FileInfo) -> Iterator[list[str]]:
    with open(path, encoding=info.encoding or "utf-8", errors="replace", newline="") as handle:
        for row in csv.reader(handle, delimiter=info.delimiter or ",", strict=False):
            yield [_csv_cell(cell) for cell in row]


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken zip or XML
        raise UnreadableFile(_("The file is not a valid XLSX workbook.")) from error
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [cell_text(value) for value in row]
    finally:
        workbook.close()


def rows(path: Path, info: FileInfo) -> Iterator[tuple[int, list[str]]]:
    """(line number in the file, cells) of every row, the header included; blank rows skipped."""
    source = _xlsx_rows(path) if info.file_format == "xlsx" else _csv_rows(path, info)
    for number, cells in enumerate(source, start=1):
        if any(cells):
            yield number, cells


# Exports often open with a title, a date or a report name above the table ("Выгрузка заявок за ноябрь").
HEADER_SEARCH_ROWS = 10


def _trimmed(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _known_columns(cells: list[str]) -> int:
    from leadflow.imports.mapping import guess_mapping

    return max(len(guess_mapping(cells, "leads")), len(guess_mapping(cells, "clients")))


def _names_known_columns(cells: list[str]) -> bool:
    return _known_columns(cells) > 0


def header_and_rows(path: Path, info: FileInfo) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header row and an iterator over the data rows after it.

    The header is the first of the first few non-blank rows that names a known column (Phone, ФИО, E-mail...),
    so title lines above the table are skipped; a file where none does keeps its first non-blank row as the
    header (its columns are then mapped by hand). A CRM's export groups its columns under merged cells
    ("Контакт" over Имя, Телефон, Email): when the row under the first one names more known columns, that row is
    the header and the groups' row is skipped."""
    leading: list[tuple[int, list[str]]] = []
    iterator = rows(path, info)
    for number, cells in iterator:
        leading.append((number, cells))
        if _names_known_columns(cells) or len(leading) >= HEADER_SEARCH_ROWS:
            break
    if not leading:
        raise UnreadableFile(_("The file has no header row."))
    at = next((i for i, (_number, cells) in enumerate(leading) if _names_known_columns(cells)), 0)
    if at == len(leading) - 1 and _names_known_columns(leading[at][1]):
        under = next(iterator, None)
        if under is not None:
            leading.append(under)
            if _known_columns(under[1]) > _known_columns(leading[at][1]):
                at += 1
    header = _trimmed(list(leading[at][1]))
    return header, itertools.chain(leading[at + 1:], iterator)


def count_data_rows(path: Path, info: FileInfo) -> int:
    _header, data = header_and_rows(path, info)
    return sum(1 for _ in data)


def preview_rows(path: Path, info: FileInfo, limit: int = 10) -> tuple[list[str], list[list[str]]]:
    header, data = header_and_rows(path, info)
    sample = []
    for _number, cells in data:
        sample.append(cells)
        if len(sample) >= limit:
            break
    return header, sample

