"""A CRM's Excel export as amoCRM and Bitrix24 write it, round eight: its columns grouped under merged cells
("Контакт" over Имя, Телефон, Email), their own column names ("Рабочий email", "Основной контакт"), phones stored as
numbers, formatting far below the last row."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from leadflow.imports import services
from leadflow.imports.models import ImportKind
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db


def test_an_export_with_its_columns_grouped_under_merged_cells_is_imported(tmp_path: Path, head):
    book = Workbook()
    sheet = book.active
    sheet.append(["Выгрузка сделок за ноябрь"])
    sheet.append(["Сделка", None, "Основной контакт", None, None])
    sheet.merge_cells("A2:B2")
    sheet.merge_cells("C2:E2")
    sheet.append(["Название сделки", "Бюджет", "ФИО", "Рабочий телефон", "Рабочий email"])
    sheet.append(["Сделка #1", 10000, "Иванов Иван", 79123456789, "IVAN@MAIL.RU"])
    sheet.append(["Сделка #2", 20000, "Петрова Анна", 7.9031234567e10, None])
    sheet.cell(row=5000, column=1).number_format = "0"  # formatting below the table: rows with nothing in them
    path = tmp_path / "amocrm_export.xlsx"
    book.save(path)
    job = services.create_job(upload=path, by=head, kind=ImportKind.LEADS)

    assert (job.mapping["2"], job.mapping["3"], job.mapping["4"]) == ("name", "phone", "email")
    job = services.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=head)
    counts = services.run_import(job)

    assert (counts["created"], counts["invalid"]) == (2, 0)
    assert sorted(Lead.objects.values_list("last_name", "phone", "email")) == [
        ("Иванов", "+79123456789", "ivan@mail.ru"), ("Петрова", "+79031234567", "")]
