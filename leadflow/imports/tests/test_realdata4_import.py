"""An import row whose phone cannot be read is imported on its e-mail, the phone kept as given (realdata4)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from leadflow.clients.models import Client
from leadflow.imports import services
from leadflow.imports.models import ImportJob, ImportKind
from leadflow.leads.models import Lead, Request

pytestmark = pytest.mark.django_db

HEADER = "ФИО;Телефон;E-mail;Комментарий\r\n"
ROWS = ("Сергеев Пётр;8-912-ЗВОНИТЬ ВЕЧЕРОМ;petr@example.ru;с выставки, просил прайс\r\n"
        "Орлова Мария;+7 916 100-00-03;maria@example.ru;\r\n"
        "Кузнецов Олег;12;;хочет опт\r\n"
        "Быстрова Анна;+7 916 100-00-04;anna@;\r\n")


def job_of(tmp_path: Path, by, data: str, kind: str = ImportKind.LEADS) -> ImportJob:
    path = tmp_path / "expo.csv"
    path.write_bytes(data.encode("cp1251"))
    job = services.create_job(upload=path, by=by, kind=kind)
    return services.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=by)


def test_a_row_with_an_unreadable_phone_is_imported_on_its_email_and_warned_of_by_column(tmp_path, head):
    job = job_of(tmp_path, head, HEADER + ROWS)

    dry = services.dry_run(job)

    assert (dry["created"], dry["invalid"]) == (3, 1)
    report = {item["row"]: item for item in ImportJob.objects.get(pk=job.pk).report}
    assert report[2]["status"] == "created"
    assert report[2]["warning"].startswith("«Телефон» (phone): “8-912-ЗВОНИТЬ ВЕЧЕРОМ” could not be read (")
    assert report[5]["status"] == "created" and report[5]["warning"].startswith("«E-mail» (email): “anna@”")
    # the row that identifies nobody is refused, saying why
    assert report[4]["status"] == "invalid" and report[4]["detail"].startswith("Phone: ")
    assert report[4]["detail"].endswith("(no other readable phone or e-mail identifies the person)")

    counts = services.run_import(job)

    assert (counts["created"], counts["invalid"]) == (3, 1)
    lead = Lead.objects.get(last_name="Сергеев")
    assert (lead.email, lead.phone, lead.message) == ("petr@example.ru", "", "с выставки, просил прайс")
    [kept] = Request.objects.get(lead=lead).facts["unreadable"]
    assert (kept["field"], kept["value"]) == ("phone", "8-912-ЗВОНИТЬ ВЕЧЕРОМ")
    assert Lead.objects.get(last_name="Быстрова").phone == "+79161000004"
    # the result keeps its own report: the warnings by column and the refused row
    job.refresh_from_db()
    result = {item["row"]: item for item in job.report}
    assert set(result) == {2, 4, 5}
    assert result[2]["warning"] == report[2]["warning"] and result[4]["status"] == "invalid"
    http = HttpClient()
    http.force_login(head)
    page = http.get(reverse("import_job", args=[job.pk])).content.decode()
    assert page.count('data-testid="run-row-warning"') == 2 and "«Телефон» (phone)" in page
    # the error file holds only the row that identifies nobody, with the field and the problem
    rows = list(csv.reader(io.StringIO(job.error_file.open("rb").read().decode()), delimiter=","))
    assert [row[0] for row in rows[1:]] == ["Кузнецов Олег"] and rows[1][-1].startswith("Phone: ")


def test_a_client_row_with_an_unreadable_phone_keeps_the_rest_too(tmp_path, head):
    data = ("Компания;ИНН;ФИО;Телефон;E-mail\r\nООО Ромашка;7707083893;Иванов Иван;доб. 12;ivan@romashka.ru\r\n"
            "АО Лютик;7736207543;Петров Пётр;8 (495) 12;\r\n")  # no e-mail: the company's INN identifies it
    job = job_of(tmp_path, head, data, kind=ImportKind.CLIENTS)
    services.dry_run(job)
    items = ImportJob.objects.get(pk=job.pk).report
    assert [(item["row"], item["status"]) for item in items] == [(2, "created"), (3, "created")]
    assert items[0]["warning"].startswith("«Телефон» (phone): “доб. 12”")
    assert items[1]["warning"].startswith("«Телефон» (phone): “8 (495) 12”")
    counts = services.run_import(job)
    assert (counts["created"], counts["invalid"]) == (2, 0)
    job.refresh_from_db()
    assert [entry["warning"] for entry in job.report] == [item["warning"] for item in items]
    assert Client.objects.get(company__inn="7736207543").contact.full_name == "Петров Пётр"
