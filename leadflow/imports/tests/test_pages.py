"""The import pages and the export links: who may use them, and what they do."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse
from openpyxl import load_workbook

from leadflow.accounts.models import Role, Team, User
from leadflow.imports.models import ImportJob, ImportStatus
from leadflow.leads.models import Lead

CSV_TEXT = "ФИО;Телефон;Эл. почта\r\nСергеев Пётр;8 912 345-67-89;petr@example.ru\r\nБез телефона;;плохой\r\n"


def logged_in(user: User) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def upload(client: HttpClient, text: str = CSV_TEXT, name: str = "leads.csv", encoding: str = "cp1251") -> object:
    return client.post(reverse("import_list"), {"file": SimpleUploadedFile(name, text.encode(encoding))})


def test_head_uploads_maps_dry_runs_and_imports(head: User, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(head)
    response = upload(client)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("import_job", args=[job.pk])
    assert (job.encoding, job.delimiter, job.headers) == ("cp1251", ";", ["ФИО", "Телефон", "Эл. почта"])

    page = client.get(reverse("import_job", args=[job.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Сергеев Пётр" in text and 'value="phone" selected' in text  # preview and the guessed mapping

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_job", args=[job.pk]),
                               {"column_0": "name", "column_1": "phone", "column_2": "email"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert (job.dry_counts["created"], job.dry_counts["invalid"]) == (1, 1)
    assert Lead.objects.count() == 0
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'data-count="created">1<' in page and "Import 2 rows" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_run", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.counts["created"] == 1 and job.counts["invalid"] == 1
    assert Lead.objects.get().phone == "+79123456789"
    progress = client.get(reverse("import_progress", args=[job.pk]), headers={"HX-Request": "true"})
    assert progress["HX-Refresh"] == "true"
    errors = client.get(reverse("import_error_file", args=[job.pk]))
    body = b"".join(errors.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body), delimiter=","))  # the English head's dialect, as every export
    assert rows[0] == ["ФИО", "Телефон", "Эл. почта", "error"]
    assert rows[1][:3] == ["Без телефона", "", "плохой"] and rows[1][3].startswith("E-mail: ")


def test_a_bad_file_gets_a_clear_answer_not_a_500(head: User) -> None:
    response = upload(logged_in(head), text="\r\n\r\n", name="empty.csv")
    assert response.status_code == 400
    assert "The file is empty." in response.content.decode()
    response = logged_in(head).post(reverse("import_list"), {
        "file": SimpleUploadedFile("leads.xlsx", b"PK\x03\x04broken")})
    assert response.status_code == 400 and "not a valid XLSX" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_mapping_without_a_contact_is_refused_on_the_page(head: User) -> None:
    client = logged_in(head)
    upload(client)
    job = ImportJob.objects.get()
    response = client.post(reverse("import_job", args=[job.pk]), {"column_0": "name"})
    assert response.status_code == 400
    assert "Map a column to Phone or E-mail" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_managers_cannot_reach_imports_and_heads_see_only_their_own(head: User, alice: User, admin_user: User,
                                                                    other_team: Team) -> None:
    other_head = User.objects.create_user(username="olga", password="pw", role=Role.HEAD, team=other_team)
    upload(logged_in(head))
    job = ImportJob.objects.get()
    pages = [reverse("import_job", args=[job.pk]), reverse("import_progress", args=[job.pk]),
             reverse("import_error_file", args=[job.pk])]
    assert upload(logged_in(alice)).status_code == 404
    for url in [reverse("import_list"), *pages]:
        assert logged_in(alice).get(url).status_code == 404
    for url in pages:
        assert logged_in(other_head).get(url).status_code == 404
    assert logged_in(other_head).post(reverse("import_run", args=[job.pk])).status_code == 404
    assert logged_in(admin_user).get(pages[0]).status_code == 200
    assert "leads.csv" not in logged_in(other_head).get(reverse("import_list")).content.decode()
    assert HttpClient().get(pages[0]).status_code == 302  # to the login page
    assert ImportJob.objects.get().status == ImportStatus.UPLOADED


def test_the_real_import_needs_a_dry_run_first(head: User) -> None:
    client = logged_in(head)
    upload(client)
    job = ImportJob.objects.get()
    client.post(reverse("import_run", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED and Lead.objects.count() == 0


# ---------------------------------------------------------------- export


@pytest.fixture
def tricky_leads(make_lead: Callable[..., Lead], alice: User, bob: User) -> dict[str, Lead]:
    hot = make_lead(owner=alice, first_name="Анна", last_name="Горячева", phone="+79160000002")
    Lead.objects.filter(pk=hot.pk).update(temperature="hot")
    return {
        "formula": make_lead(owner=alice, first_name="=HYPERLINK(\"http://evil\";\"x\")", last_name="Петров",
                             company_name="@SUM(A1)", position="-2+3", city="\tTab", phone="+79160000001"),
        "alice_hot": hot,
        "bob": make_lead(owner=bob, first_name="Борис", last_name="Бобров", phone="+79160000003"),
    }


def export_csv(user: User, query: str = "") -> list[list[str]]:
    """The lead export as `user` reads it: `;` and a BOM for a Russian spreadsheet, `,` for an English one."""
    response = logged_in(user).get(reverse("lead_export_csv") + query)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    russian = user.language == "ru"
    assert body.startswith(b"\xef\xbb\xbf") == russian
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";" if russian else ","))


def test_csv_export_neutralises_formulas_and_keeps_phones_readable(alice: User, tricky_leads: dict[str, Lead]) -> None:
    rows = export_csv(alice)
    header, data = rows[0], {row[0]: row for row in rows[1:]}
    row = dict(zip(header, data[str(tricky_leads["formula"].pk)], strict=True))
    assert row["First name"] == "'=HYPERLINK(\"http://evil\";\"x\")"
    assert row["Company"] == "'@SUM(A1)"
    assert row["Position"] == "'-2+3"
    assert row["City / region"] == "'\tTab"
    assert row["Phone"] == "'+79160000001"
    assert row["Full name"] == "Петров =HYPERLINK(\"http://evil\";\"x\")"
    # No cell of the whole file starts a formula.
    assert not [cell for line in rows for cell in line if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_a_russian_reader_gets_the_csv_their_spreadsheet_splits(alice: User, tricky_leads: dict[str, Lead]) -> None:
    """Russian Excel splits on `;` and needs the BOM to read UTF-8; an English one splits on `,` (the `;` file it was
    given opened as one column). Formulas stay neutralised in both."""
    english = export_csv(alice)
    alice.language = "ru"
    alice.save(update_fields=["language"])

    russian = export_csv(alice)

    assert russian[0][:3] == ["ID", "ФИО", "Фамилия"] and english[0][:3] == ["ID", "Full name", "Surname"]
    assert sorted(row[0] for row in russian[1:]) == sorted(row[0] for row in english[1:]) == sorted(
        str(lead.pk) for lead in tricky_leads.values() if lead.owner == alice)
    for rows in (english, russian):
        row = dict(zip(rows[0], next(r for r in rows if r[0] == str(tricky_leads["formula"].pk)), strict=True))
        assert row.get("First name", row.get("Имя")) == "'=HYPERLINK(\"http://evil\";\"x\")"
        assert not [cell for line in rows for cell in line if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_xlsx_export_writes_text_cells_never_formulas(alice: User, tricky_leads: dict[str, Lead],
                                                      tmp_path: Path) -> None:
    response = logged_in(alice).get(reverse("lead_export_xlsx"))
    assert response.status_code == 200
    path = tmp_path / "leads.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    sheet = load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    cells = dict(zip(header, rows[tricky_leads["formula"].pk], strict=True))
    assert cells["First name"].value == "=HYPERLINK(\"http://evil\";\"x\")"
    assert cells["First name"].data_type == "s" and cells["First name"].quotePrefix
    assert cells["Phone"].value == "+79160000001" and cells["Phone"].data_type == "s"
    assert cells["Phone"].quotePrefix
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_export_keeps_the_list_filters_and_what_the_person_may_see(head: User, alice: User, bob: User,
                                                                  tricky_leads: dict[str, Lead],
                                                                  make_lead: Callable[..., Lead],
                                                                  carol: User) -> None:
    make_lead(owner=carol, team=carol.team, first_name="Кира", last_name="Чужая", phone="+79160000009")
    ids = lambda rows: sorted(int(row[0]) for row in rows[1:])  # noqa: E731
    expected_alice = sorted([tricky_leads["formula"].pk, tricky_leads["alice_hot"].pk])
    assert ids(export_csv(alice)) == expected_alice
    assert ids(export_csv(alice, "?temperature=hot")) == [tricky_leads["alice_hot"].pk]
    assert ids(export_csv(bob)) == [tricky_leads["bob"].pk]
    assert ids(export_csv(head)) == sorted(lead.pk for lead in tricky_leads.values())
    assert ids(export_csv(head, f"?owner={bob.pk}")) == [tricky_leads["bob"].pk]
    assert ids(export_csv(head, "?q=Горячева")) == [tricky_leads["alice_hot"].pk]


def test_export_link_on_the_list_page_carries_the_filters(alice: User, tricky_leads: dict[str, Lead]) -> None:
    page = logged_in(alice).get(reverse("lead_list") + "?temperature=hot").content.decode()
    assert f'href="{reverse("lead_export_csv")}?temperature=hot"' in page
    assert f'href="{reverse("lead_export_xlsx")}?temperature=hot"' in page
    assert reverse("import_list") not in page  # managers do not import


def test_export_is_for_people_who_work_leads(db: None, tricky_leads: dict[str, Lead]) -> None:
    marketer = User.objects.create_user(username="mary", password="pw", role="marketer")
    assert logged_in(marketer).get(reverse("lead_export_csv")).status_code == 404
    assert HttpClient().get(reverse("lead_export_xlsx")).status_code == 302



def test_a_client_file_is_uploaded_as_clients(head: User) -> None:
    client = logged_in(head)
    text = "Компания;ИНН;ФИО;Телефон\r\nООО Ромашка;7728168971;Сидоров Олег;+7 916 300-00-01\r\n"
    client.post(reverse("import_list"), {"kind": "clients", "file": SimpleUploadedFile("c.csv", text.encode())})
    job = ImportJob.objects.get()
    assert (job.kind, job.mapping) == ("clients", {"0": "company", "1": "inn", "2": "name", "3": "phone"})
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert '<option value="inn" selected>INN</option>' in page


def test_export_reads_a_constant_number_of_queries(head: User, alice: User, make_lead: Callable[..., Lead]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(head)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("lead_export_csv"))
            b"".join(response.streaming_content)
        return len(captured.captured_queries)

    make_lead(owner=alice)
    few = queries()
    for _ in range(15):
        make_lead(owner=alice)
    assert queries() == few


# ---------------------------------------------------------------- export follows the list's order


def _hot_leads_with_points(make_lead: Callable[..., Lead], owner: User) -> list[Lead]:
    """Five leads of `owner`, in the order "hottest first" lists them (made in another order)."""
    from leadflow.warming.models import LeadScore

    made = [make_lead(owner=owner, last_name=f"Points{n}", phone=f"+7916555000{n}") for n in range(5)]
    plan = {0: ("warm", 90), 1: ("hot", 10), 2: ("hot", 70), 3: ("cold", 0), 4: ("hot", 40)}
    for n, (temperature, fit) in plan.items():
        Lead.objects.filter(pk=made[n].pk).update(temperature=temperature)
        if fit:
            LeadScore.objects.create(lead=made[n], fit_points=fit)
    return [made[2], made[4], made[1], made[0], made[3]]


def test_csv_export_follows_the_chosen_order(alice: User, bob: User, make_lead: Callable[..., Lead]) -> None:
    expected = _hot_leads_with_points(make_lead, alice)
    make_lead(owner=bob, phone="+79165550099")  # not alice's: never in her file
    ids = lambda rows: [int(row[0]) for row in rows[1:]]  # noqa: E731
    assert ids(export_csv(alice, "?sort=hottest")) == [lead.pk for lead in expected]
    # Without an order, newest first, as the list shows it.
    assert ids(export_csv(alice)) == sorted((lead.pk for lead in expected), reverse=True)
    # The filters still hold in that order.
    assert ids(export_csv(alice, "?sort=hottest&temperature=hot")) == [lead.pk for lead in expected[:3]]


def test_xlsx_export_follows_the_chosen_order(alice: User, make_lead: Callable[..., Lead], tmp_path: Path) -> None:
    expected = _hot_leads_with_points(make_lead, alice)
    response = logged_in(alice).get(reverse("lead_export_xlsx") + "?sort=hottest")
    path = tmp_path / "leads.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    sheet = load_workbook(path).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [lead.pk for lead in expected]


def test_export_by_score_pages_through_the_same_order_as_the_list(alice: User, make_lead: Callable[..., Lead],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from django.utils import timezone

    from leadflow.imports import export
    from leadflow.scoring.models import ModelStatus, Prediction, ScoringModel

    monkeypatch.setattr(export, "BATCH", 2)  # several batches with a few leads: the cursor crosses every border
    model = ScoringModel.objects.create(status=ModelStatus.TRAINED, trained_at=timezone.now())
    leads = [make_lead(owner=alice, phone=f"+7916444000{n}") for n in range(5)]
    for lead, probability in zip(leads, [0.3, None, 0.9, 0.3, 0.5], strict=True):
        if probability is not None:
            Prediction.objects.create(lead=lead, model=model, probability=probability)
    expected = [leads[2].pk, leads[4].pk, leads[3].pk, leads[0].pk, leads[1].pk]
    page = logged_in(alice).get(reverse("lead_list") + "?sort=score").content.decode()
    shown = sorted(expected, key=lambda pk: page.index(f'href="/leads/{pk}/"'))
    assert shown == expected
    assert [int(row[0]) for row in export_csv(alice, "?sort=score")[1:]] == expected


def test_an_unknown_order_is_refused_like_the_list_refuses_it(alice: User, make_lead: Callable[..., Lead]) -> None:
    make_lead(owner=alice)
    response = logged_in(alice).get(reverse("lead_export_csv") + "?sort=loudest")
    assert response.status_code == 302 and "sort=loudest" in response["Location"]


def test_the_dry_run_report_is_worded_in_the_heads_language(head: User) -> None:
    """The worker (English) wrote a Russian head's report: "phone: phone number has too few digits", "no usable
    contact", "Did you mean petr@gmail.com?" among Russian headings."""
    from django.utils import translation

    from leadflow.imports.services import execute

    head.language = "ru"
    head.save(update_fields=["language"])
    client = logged_in(head)
    upload(client, "ФИО;Телефон;Эл. почта\r\nСергеев Пётр;12;плохой@@\r\nБез Контакта;;\r\n"
                   "Иванов Иван;8 912 345-67-89;ivan@gmial.com\r\n")
    job = ImportJob.objects.get()
    client.post(reverse("import_job", args=[job.pk]), {"column_0": "name", "column_1": "phone", "column_2": "email"})
    with translation.override("en"):  # the worker's language
        execute(job.pk, True)
    page = client.get(reverse("import_job", args=[job.pk]), headers={"Accept-Language": "ru"}).content.decode()
    assert "в номере телефона слишком мало цифр" in page and "too few digits" not in page
    assert "no usable contact" not in page and "нет контакта, по которому можно связаться" in page
    assert "Did you mean" not in page
    assert "Телефон: в номере телефона слишком мало цифр" in page and "phone:" not in page
