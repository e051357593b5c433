"""Files as sales teams really get them: what the dry run says and what the import then makes of each row."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from leadflow.accounts.models import User
from leadflow.imports import readers, services
from leadflow.imports.mapping import guess_mapping, payload_of
from leadflow.imports.models import ImportJob, ImportKind
from leadflow.leads.models import Lead, Request

pytestmark = pytest.mark.django_db

HEADER = "ФИО;Телефон;E-mail\r\n"


def job_of(tmp_path: Path, by: User, data: bytes, *, name: str = "expo.csv", kind: str = ImportKind.LEADS):
    path = tmp_path / name
    path.write_bytes(data)
    job = services.create_job(upload=path, by=by, kind=kind)
    return services.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=by)


# --- e-mail domain slips: a warning per row in the dry run, the row imported as typed -------------


def test_the_dry_run_warns_of_an_email_domain_slip_and_the_import_takes_the_row_as_typed(tmp_path, head):
    rows = ("Сергеев Пётр;+7 912 345-67-89;petr@gmail.con\r\n"
            "Орлова Мария;+7 916 100-00-03;maria@example.ru\r\n"
            "Кузнецов Олег;;oleg@mail.ru, o.kuznetsov@yandex.ri\r\n")
    job = job_of(tmp_path, head, (HEADER + rows).encode("cp1251"))

    dry = services.dry_run(job)

    assert (dry["created"], dry["invalid"]) == (3, 0)
    report = {item["row"]: item for item in ImportJob.objects.get(pk=job.pk).report}
    assert set(report) == {2, 4}  # the right row is not listed
    assert (report[2]["status"], report[2]["detail"], report[2]["warning"]) == (
        "created", "", "«E-mail» (email): Did you mean petr@gmail.com?")  # the column named (realdata4)
    assert report[4]["warning"] == "«E-mail» (email): Did you mean o.kuznetsov@yandex.ru?"

    http = HttpClient()
    http.force_login(head)
    page = http.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "2 rows will be imported as typed with something to check" in page
    assert page.count('data-testid="row-warning"') == 2

    real = services.run_import(job)

    assert real["created"] == 3
    assert Lead.objects.get(last_name="Сергеев").email == "petr@gmail.con"
    assert Request.objects.get(lead__last_name="Кузнецов").facts["other_emails"] == ["o.kuznetsov@yandex.ri"]


def test_a_client_import_dry_run_warns_too(tmp_path, head):
    data = "Компания;ИНН;ФИО;E-mail\r\nООО Ромашка;7707083893;Иванов Иван;ivan@gmial.com\r\n".encode("cp1251")
    job = job_of(tmp_path, head, data, kind=ImportKind.CLIENTS)
    services.dry_run(job)
    assert [(item["row"], item["warning"]) for item in ImportJob.objects.get(pk=job.pk).report] == [
        (2, "«E-mail» (email): Did you mean ivan@gmail.com?")]


# --- how the file is written -----------------------------------------------------------------------

NAMES = "ФИО;Телефон;E-mail\r\nИванов Иван;89123456789;ivan@mail.ru\r\nПЕТРОВА АННА;+7 916 100-00-03;\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        # a short file (a header and two names) in each of the Russian single-byte encodings
        (NAMES.encode("cp1251"), "cp1251"),
        (NAMES.encode("koi8_r"), "koi8_r"),
        (NAMES.encode("cp866"), "cp866"),
        (NAMES.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + NAMES.encode("utf-8"), "utf-8-sig"),
        # Excel's "Unicode text" (Текст Юникод): UTF-16 with a byte-order mark, tab-separated
        (NAMES.replace(";", "\t").encode("utf-16"), "utf-16"),
    ],
)
def test_a_russian_file_is_read_in_its_encoding(tmp_path, data, encoding):
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    info = readers.inspect(path, path.name)
    header, rows = readers.header_and_rows(path, info)
    assert info.encoding == encoding
    assert header == ["ФИО", "Телефон", "E-mail"]
    assert [cells for _number, cells in rows] == [["Иванов Иван", "89123456789", "ivan@mail.ru"],
                                                  ["ПЕТРОВА АННА", "+7 916 100-00-03", ""]]


def test_cells_a_crm_exported_as_text_formulas_are_their_text(tmp_path):
    path = tmp_path / "crm.csv"
    path.write_bytes('ФИО;Телефон;E-mail\r\n="Иванов Иван";="89123456789";="ivan@mail.ru"\r\n'.encode("cp1251"))
    info = readers.inspect(path, path.name)
    _header, rows = readers.header_and_rows(path, info)
    assert [cells for _number, cells in rows] == [["Иванов Иван", "89123456789", "ivan@mail.ru"]]


def test_a_western_file_is_not_read_as_cyrillic(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes("Name;Phone\r\nJürgen Müller;+49 30 1234567\r\nFrançois Dupré;+33 1 23 45 67 89\r\n"
                     .encode("latin-1"))
    info = readers.inspect(path, path.name)
    _header, rows = readers.header_and_rows(path, info)
    assert [cells[0] for _number, cells in rows] == ["Jürgen Müller", "François Dupré"]


@pytest.mark.parametrize(
    ("header", "cells", "payload"),
    [
        # two columns of one name ("Телефон;Телефон" from a CRM export) or numbered ones: every number is kept
        (["ФИО", "Телефон", "Телефон"], ["Иванов Иван", "89123456789", "+7 495 123-45-67 доб. 12"],
         {"name": "Иванов Иван", "phone": "89123456789; +7 495 123-45-67 доб. 12"}),
        (["ФИО", "Телефон", "Телефон 2", "Доп. телефон"], ["Иванов Иван", "89123456789", "", "84951234567"],
         {"name": "Иванов Иван", "phone": "89123456789; 84951234567"}),
        (["Name", "Email", "Work email"], ["John Smith", "john@gmail.com", "j.smith@acme.com"],
         {"name": "John Smith", "email": "john@gmail.com; j.smith@acme.com"}),
        # two comment columns: neither note is lost
        (["ФИО", "Телефон", "Комментарий", "Примечание"], ["Иванов Иван", "89123456789", "с выставки", "VIP"],
         {"name": "Иванов Иван", "phone": "89123456789", "message": "с выставки\nVIP"}),
        # empty columns after the last one named (a spreadsheet's leftovers) change nothing
        (["ФИО", "Телефон", "", ""], ["Иванов Иван", "89123456789", "", "", ""],
         {"name": "Иванов Иван", "phone": "89123456789"}),
    ],
)
def test_columns_as_exports_write_them(header, cells, payload):
    assert payload_of(cells, guess_mapping(header)) == payload


def test_both_phones_of_two_columns_reach_the_card(tmp_path, head):
    data = "ФИО;Телефон;Телефон\r\nИванов Иван;+7 495 123-45-67;8 912 345 67 89\r\n".encode("cp1251")
    job = job_of(tmp_path, head, data)
    services.run_import(job)
    lead = Lead.objects.get()
    assert lead.phone == "+74951234567"
    assert Request.objects.get(lead=lead).facts["other_phones"] == ["+79123456789"]
