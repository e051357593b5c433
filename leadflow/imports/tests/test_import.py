"""Importing a file of leads: the dry run says exactly what the import then does, through the pipeline."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leadflow.accounts.models import User
from leadflow.core.errors import Forbidden, InvalidInput
from leadflow.imports import services
from leadflow.imports.models import ImportJob, ImportStatus
from leadflow.intake.models import Submission
from leadflow.leads.models import Interest, Lead, Notification, Request
from leadflow.marketing.models import Campaign, Source

from .conftest import write_csv

HEADER = ["ФИО", "Телефон", "E-mail", "Компания", "Комментарий"]
ROWS = [
    ["Сергеев Пётр Ильич", "8 (912) 345-67-89", "petr@example.ru", "ООО Ромашка", "с выставки"],  # 2 new
    ["Кузнецова Анна", "8 916 100-00-02", "", "", "повторно"],  # 3 attached to alice's lead
    ["Иванов Иван", "12", "", "", ""],  # 4 invalid phone and nothing else identifies the person
    ["Пётр Сергеев", "+7 912 345 67 89", "", "", "ещё раз"],  # 5 the same person as row 2
    ["", "+7 916 555-44-33", "", "", "перезвоните"],  # 6 interest: no name
    ["=HYPERLINK(\"http://evil\")", "", "bad@", "", ""],  # 7 invalid e-mail and no phone
    ["Орлова Мария Петровна", "+7 916 100-00-03", "maria@example.ru", "", ""],  # 8 new
    ["Мария Орлова", "", "MARIA@example.ru", "", "ещё раз, по почте"],  # 9 the same person as row 8
]


@pytest.fixture
def existing(make_lead: Callable[..., Lead], alice: User) -> Lead:
    return make_lead(owner=alice, first_name="Анна", last_name="Кузнецова", phone="+79161000002",
                     email="anna@example.ru")


@pytest.fixture
def expo(db: None) -> tuple[Source, Campaign]:
    source = Source.objects.create(name="Exhibition", utm_source="expo")
    return source, Campaign.objects.create(name="Expo 2026", utm_campaign="expo2026", source=source)


def job_for(tmp_path: Path, by: User, rows: list[list[str]] = ROWS, **csv_options: str) -> ImportJob:
    path = write_csv(tmp_path / "expo.csv", [HEADER, *rows], **csv_options)
    return services.create_job(upload=path, by=by)


def mapped(job: ImportJob, by: User, source: Source | None = None, campaign: Campaign | None = None) -> ImportJob:
    return services.set_mapping(job=job, mapping=job.mapping, source=source, campaign=campaign, by=by)


def test_dry_run_counts_equal_the_real_run(tmp_path: Path, head: User, existing: Lead,
                                           expo: tuple[Source, Campaign]) -> None:
    job = mapped(job_for(tmp_path, head, encoding="cp1251"), head, *expo)
    assert job.mapping == {"0": "name", "1": "phone", "2": "email", "3": "company", "4": "message"}
    leads_before = Lead.objects.count()

    dry = services.dry_run(job)

    assert dry["created"] == 2 and dry["attached"] == 3 and dry["attached_in_file"] == 2
    assert (dry["interest"], dry["invalid"], dry["spam"], dry["rejected"]) == (1, 2, 0, 2)
    # A dry run writes nothing: no lead, no journal row, no request.
    assert Lead.objects.count() == leads_before
    assert not Submission.objects.filter(channel="import").exists()
    report = {item["row"]: item for item in ImportJob.objects.get(pk=job.pk).report}
    assert report[3]["status"] == "attached" and f"#{existing.pk}" in report[3]["detail"]
    assert report[4]["status"] == "invalid" and report[4]["detail"].startswith("Phone:")
    assert report[5]["detail"] == "the same person as row 2 above"
    assert report[9]["detail"] == "the same person as row 8 above"
    assert report[7]["status"] == "invalid" and report[7]["detail"].startswith("E-mail:")

    real = services.run_import(job)

    assert {k: real[k] for k in real if k != "attached_in_file"} == {k: dry[k] for k in dry if k != "attached_in_file"}
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows) == (ImportStatus.DONE, 8, 8)
    new = Lead.objects.exclude(pk=existing.pk).order_by("pk")
    assert [lead.full_name for lead in new] == ["Сергеев Пётр Ильич", "Орлова Мария Петровна"]
    # Every row's source and campaign, and each lead keeps its repeat as a second request.
    assert {(lead.channel, lead.source_id, lead.campaign_id, lead.utm_source) for lead in new} == {
        ("import", expo[0].pk, expo[1].pk, "expo")}
    assert [Request.objects.filter(lead=lead).count() for lead in new] == [2, 2]
    assert Request.objects.filter(lead=existing, channel="import").count() == 1
    assert Interest.objects.filter(phone="+79165554433").count() == 1
    # Every row journaled, with its row number.
    journal = Submission.objects.filter(channel="import").order_by("pk")
    assert [s.payload["import_row"] for s in journal] == list(range(2, 10))
    assert [s.status for s in journal] == [
        "created", "attached", "invalid", "attached", "interest", "invalid", "created", "attached"]


def test_error_file_holds_rejected_rows_with_their_columns_and_the_problem(tmp_path: Path, head: User,
                                                                            existing: Lead) -> None:
    job = mapped(job_for(tmp_path, head), head)
    services.run_import(job)
    job.refresh_from_db()
    raw = Path(job.error_file.path).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # an English reader's file: `,` and no BOM, like every export
    rows = list(csv.reader(io.StringIO(raw.decode()), delimiter=","))
    assert rows[0] == [*HEADER, "error"]
    # Cells a spreadsheet would run as formulas (the name; the phone's leading +) get an apostrophe.
    assert [row[:5] for row in rows[1:]] == [ROWS[2], ["'" + ROWS[5][0], *ROWS[5][1:]]]
    assert rows[1][5].startswith("Phone: ")
    assert rows[2][5].startswith("E-mail: ")


def test_one_summary_notification_per_person_instead_of_one_per_row(tmp_path: Path, head: User, alice: User,
                                                                     make_lead: Callable[..., Lead]) -> None:
    people = [make_lead(owner=alice, first_name=f"Иван{n}", last_name="Петров", phone=f"+7912555{n:04d}")
              for n in range(5)]
    Notification.objects.all().delete()
    rows = [[f"Петров Иван{n}", f"8 912 555 {n:04d}", "", "", "повтор"] for n in range(5)]
    job = mapped(job_for(tmp_path, head, rows), head)
    counts = services.run_import(job)
    assert counts["attached"] == 5
    assert Request.objects.filter(lead__in=people, channel="import").count() == 5
    notes = list(Notification.objects.values_list("user__username", "kind"))
    assert sorted(notes) == [("alice", "import.summary"), ("head", "import.done")]
    assert "5" in Notification.objects.get(user=alice).text


def test_a_stopped_import_continues_without_doubling_rows(tmp_path: Path, head: User) -> None:
    job = mapped(job_for(tmp_path, head), head)
    first = services.run_import(job)
    leads_after_first = Lead.objects.count()
    job.status = ImportStatus.CHECKED
    job.save()
    again = services.run_import(job)
    assert Lead.objects.count() == leads_after_first
    assert Submission.objects.filter(channel="import").count() == len(ROWS)
    # The outcome is read back from the journal: the same counts, nothing processed twice.
    assert again == first and first["created"] == 3


def test_mapping_needs_a_name_and_a_contact_and_columns_of_the_file(tmp_path: Path, head: User) -> None:
    job = job_for(tmp_path, head)
    with pytest.raises(InvalidInput) as error:
        services.set_mapping(job=job, mapping={"0": "name"}, source=None, campaign=None, by=head)
    assert "Phone or E-mail" in error.value.fields["mapping"][0]
    with pytest.raises(InvalidInput):
        services.set_mapping(job=job, mapping={"0": "name", "9": "phone"}, source=None, campaign=None, by=head)
    with pytest.raises(InvalidInput):
        services.set_mapping(job=job, mapping={"0": "name", "1": "password"}, source=None, campaign=None, by=head)
    job.refresh_from_db()
    assert job.mapping == {"0": "name", "1": "phone", "2": "email", "3": "company", "4": "message"}


def test_a_manager_may_not_import(tmp_path: Path, alice: User) -> None:
    with pytest.raises(Forbidden):
        job_for(tmp_path, alice)
    assert not ImportJob.objects.exists()


def test_import_command_with_dry_run_then_for_real(tmp_path: Path, head: User, existing: Lead,
                                                   expo: tuple[Source, Campaign]) -> None:
    path = write_csv(tmp_path / "expo.csv", [HEADER, *ROWS])
    out = io.StringIO()
    call_command("import", str(path), "--as", "head", "--source", "expo", "--dry-run",
                 "--mapping", "ФИО=name,2=phone,E-mail=email", stdout=out, stderr=io.StringIO())
    assert "8 rows: 2 new leads would be created, 3 would be attached" in out.getvalue()
    assert Lead.objects.count() == 1
    out = io.StringIO()
    call_command("import", str(path), "--as", "head", "--source", "Exhibition", stdout=out, stderr=io.StringIO())
    assert "8 rows: 2 new leads were created, 3 were attached" in out.getvalue()
    assert Lead.objects.filter(source=expo[0]).count() == 2
    with pytest.raises(CommandError, match="no column named"):
        call_command("import", str(path), "--as", "head", "--mapping", "Имя=name", stdout=io.StringIO(),
                     stderr=io.StringIO())
    with pytest.raises(CommandError, match="head of sales or admin"):
        call_command("import", str(path), "--as", "nobody", stdout=io.StringIO(), stderr=io.StringIO())


def test_a_job_cannot_be_started_twice(tmp_path: Path, head: User, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    job = mapped(job_for(tmp_path, head), head)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        with pytest.raises(InvalidInput, match="Some fields"):
            services.enqueue(job, dry=False, by=head)  # no dry run yet
        services.enqueue(job, dry=True, by=head)
        stale = ImportJob.objects.get(pk=job.pk)
        stale.status = ImportStatus.UPLOADED  # a second click, from a page loaded before the first
        with pytest.raises(InvalidInput) as error:
            services.enqueue(stale, dry=True, by=head)
    assert error.value.fields["__all__"] == ["The import is running; wait until it ends."]
    assert len(queued) == 1
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.CHECKING


def test_xlsx_import_dry_run_equals_the_import(tmp_path: Path, head: User, existing: Lead) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Фамилия", "Имя", "Мобильный", "Email"])
    sheet.append(["Сергеев", "Пётр", 79123456789, "petr@example.ru"])  # a phone typed as a number
    sheet.append(["Кузнецова", "Анна", "8 916 100-00-02", None])  # alice's lead
    sheet.append(["Сергеев", "Пётр", "+7 912 345-67-89", None])  # row 2 again
    sheet.append(["Орлов", "", "", "orlov@"])  # invalid e-mail
    path = tmp_path / "leads.xlsx"
    workbook.save(path)
    job = services.create_job(upload=path, by=head)
    assert (job.file_format, job.mapping) == ("xlsx", {"0": "last_name", "1": "first_name", "2": "phone",
                                                       "3": "email"})
    job = mapped(job, head)
    dry = services.dry_run(job)
    real = services.run_import(job)
    assert (dry["created"], dry["attached"], dry["invalid"]) == (real["created"], real["attached"],
                                                                 real["invalid"]) == (1, 2, 1)
    assert Lead.objects.get(email="petr@example.ru").phone == "+79123456789"


def test_imported_leads_raise_no_speed_to_lead_alarms(tmp_path: Path, head: User,
                                                      make_lead: Callable[..., Lead]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from leadflow.leads.services import escalate_unclaimed, warn_sla_breaches

    live = make_lead(first_name="Живой", last_name="Запрос", phone="+79169990000")
    job = mapped(job_for(tmp_path, head), head)
    services.run_import(job)
    imported = Lead.objects.exclude(pk=live.pk)
    assert imported.count() == 3 and all(lead.tasks.count() == 1 for lead in imported)  # first call kept
    Notification.objects.all().delete()
    later = timezone.now() + timedelta(days=2)
    assert warn_sla_breaches(now=Lead.objects.get(pk=live.pk).sla_due_at) == 1  # warned as its deadline nears
    assert escalate_unclaimed(now=later) == 1
    assert set(Notification.objects.values_list("lead_id", flat=True)) == {live.pk}


def test_an_import_whose_worker_died_continues_where_it_stopped(tmp_path: Path, head: User,
                                                                django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    job = mapped(job_for(tmp_path, head), head)
    services.dry_run(job)
    # The worker journaled and processed the first two rows, then was killed.
    services.CHUNK, chunk = 2, services.CHUNK
    try:
        stop = RuntimeError("worker killed")

        def killed(done: int, total: int) -> None:
            raise stop

        with pytest.raises(RuntimeError):
            services.run_import(job, progress=killed)
    finally:
        services.CHUNK = chunk
    assert Submission.objects.filter(channel="import").count() == 2
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING and not job.is_stalled
    with pytest.raises(InvalidInput):
        services.enqueue(job, dry=False, by=head)  # still within its heartbeat: not started twice
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=11))
    job.refresh_from_db()
    assert job.is_stalled
    with django_capture_on_commit_callbacks(execute=True):
        services.enqueue(job, dry=False, by=head)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.counts["created"] == 3
    assert Submission.objects.filter(channel="import").count() == len(ROWS)
    assert Lead.objects.count() == 3
