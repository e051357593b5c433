"""Reading what people export from their spreadsheets and CRMs: encodings, delimiters, XLSX, headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from leadflow.imports import readers
from leadflow.imports.mapping import guess_mapping, payload_of

ROWS = [
    ["ФИО", "Телефон", "E-mail", "Компания", "Комментарий"],
    ["Сергеев Пётр Ильич", "8 (912) 345-67-89", "petr@example.ru", "ООО «Ромашка»", "Перезвонить; после обеда"],
    ["Орлова Мария", "+7 916 100-00-03", "", "", "ёлка"],
]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str, delimiter: str) -> Path:
    text = "\r\n".join(delimiter.join(f'"{c}"' if delimiter in c else c for c in row) for row in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def read_all(path: Path) -> tuple[readers.FileInfo, list[str], list[list[str]]]:
    info = readers.inspect(path, path.name)
    header, data = readers.header_and_rows(path, info)
    return info, header, [cells for _n, cells in data]


@pytest.mark.parametrize(("encoding", "delimiter", "expected"), [
    ("cp1251", ";", "cp1251"),
    ("utf-8-sig", ";", "utf-8-sig"),
    ("utf-8", ",", "utf-8"),
    ("utf-8", "\t", "utf-8"),
])
def test_csv_encoding_and_delimiter_are_found(tmp_path: Path, encoding: str, delimiter: str, expected: str) -> None:
    path = write_csv(tmp_path / "leads.csv", ROWS, encoding=encoding, delimiter=delimiter)
    info, header, rows = read_all(path)
    assert (info.file_format, info.encoding, info.delimiter) == ("csv", expected, delimiter)
    assert header == ROWS[0]
    assert rows == ROWS[1:]


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1251"])
def test_title_lines_above_the_table_are_skipped(tmp_path: Path, delimiter: str, encoding: str) -> None:
    titled = [["Выгрузка заявок с сайта за ноябрь 2026"], ["Сформировано: 30.11.2026 18:00"], [""], *ROWS]
    info, header, rows = read_all(write_csv(tmp_path / "export.csv", titled, encoding=encoding, delimiter=delimiter))
    assert info.delimiter == delimiter
    assert header == ROWS[0]
    assert rows == ROWS[1:]


def test_title_rows_above_an_xlsx_table_are_skipped_and_line_numbers_kept(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    for row in [["Отчёт: лиды"], [], ["Менеджер: Петров"], *ROWS]:
        sheet.append(row)
    book.save(tmp_path / "report.xlsx")
    path = tmp_path / "report.xlsx"
    header, data = readers.header_and_rows(path, readers.inspect(path, path.name))
    assert header == ROWS[0]
    assert [(number, cells[0]) for number, cells in data] == [(5, ROWS[1][0]), (6, ROWS[2][0])]


def test_a_header_of_unknown_words_stays_the_first_row(tmp_path: Path) -> None:
    # Nothing to recognise: the first row is the header and the person maps its columns by hand.
    unknown = [["Колонка 1", "Колонка 2"], ["Сергеев", "+7 912 345-67-89"]]
    _info, header, rows = read_all(write_csv(tmp_path / "odd.csv", unknown, encoding="utf-8", delimiter=";"))
    assert header == unknown[0]
    assert rows == unknown[1:]


def test_cp1251_file_of_many_rows_is_detected_from_its_sample(tmp_path: Path) -> None:
    rows = [ROWS[0]] + [[f"Иванов Иван {n}", f"+7912{n:07d}", f"i{n}@example.ru", "ЗАО Вектор", "щука"]
                        for n in range(20_000)]
    path = write_csv(tmp_path / "big.csv", rows, encoding="cp1251", delimiter=";")
    info, _header, data = read_all(path)
    assert info.encoding == "cp1251"
    assert len(data) == 20_000
    assert data[-1][0] == "Иванов Иван 19999"


def test_xlsx_cells_become_the_text_a_person_sees(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Phone", "Email", "Signed up"])
    sheet.append(["John Smith", 79123456789, "john@example.com", None])
    sheet.append([None, None, None, None])
    sheet.append(["Анна Кузнецова", "+7 916 100-00-02", "anna@example.ru", 42.5])
    path = tmp_path / "leads.xlsx"
    workbook.save(path)
    info, header, rows = read_all(path)
    assert info.file_format == "xlsx"
    assert header == ["Name", "Phone", "Email", "Signed up"]
    assert rows == [["John Smith", "79123456789", "john@example.com", ""],
                    ["Анна Кузнецова", "+7 916 100-00-02", "anna@example.ru", "42.5"]]


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "leads.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(readers.UnreadableFile, match="not a valid XLSX"):
        read_all(path)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\n\n")
    with pytest.raises(readers.UnreadableFile, match="empty"):
        readers.inspect(empty, empty.name)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\x00\x00binary")
    with pytest.raises(readers.UnreadableFile, match="xls"):
        readers.inspect(old, old.name)


def test_mapping_is_guessed_from_russian_and_english_headers() -> None:
    assert guess_mapping(["ФИО", "Телефон", "E-mail", "Компания", "Должность", "Город", "Комментарий", "Цвет"]) == {
        "0": "name", "1": "phone", "2": "email", "3": "company", "4": "position", "5": "city", "6": "message"}
    assert guess_mapping(["Фамилия", "Имя", "Отчество", "Моб. телефон", "Эл. почта", "Организация"]) == {
        "0": "last_name", "1": "first_name", "2": "middle_name", "3": "phone", "4": "email", "5": "company"}
    assert guess_mapping(["First Name", "Last name", "Phone number", "Email Address", "Company name", "Notes"]) == {
        "0": "first_name", "1": "last_name", "2": "phone", "3": "email", "4": "company", "5": "message"}
    # Each field once, except phones and e-mails: a second phone column is the person's other number (kept as a
    # further contact of the card, never dropped because nobody mapped it by hand).
    assert guess_mapping(["Name", "Phone", "Mobile"]) == {"0": "name", "1": "phone", "2": "phone"}
    assert guess_mapping(["Имя", "Фамилия", "Имя"]) == {"0": "first_name", "1": "last_name"}
    # A column whose header starts with a known word.
    assert guess_mapping(["Телефон (рабочий)", "ФИО клиента"]) == {"0": "phone", "1": "name"}


def test_payload_joins_columns_mapped_to_one_field() -> None:
    assert payload_of(["Иван", "Петров", "", "+79123456789"], {"0": "name", "1": "name", "2": "email", "3": "phone"}) \
        == {"name": "Иван Петров", "phone": "+79123456789"}
