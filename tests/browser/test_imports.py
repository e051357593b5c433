"""Importing a file in a real browser (issue 5): upload, map, dry run, import, progress to done, error file.

The page queues the dry run and the import in the real django-tasks database queue; the test works the
queue as `leadflow worker` does while the page's progress bar polls the job until it is done.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import expect

from leadflow.imports import services
from leadflow.imports.models import ImportJob, ImportStatus
from leadflow.leads.models import Lead
from leadflow.marketing.models import Source

from .conftest import Site

pytestmark = pytest.mark.browser

ROWS = 120
HEADER = ["ФИО", "Моб. телефон", "Эл. почта", "Откуда", "Примечание"]


def exhibition_file(path: Path) -> Path:
    """windows-1251, `;`: what Excel in a Russian locale saves. Rows 2..ROWS+1; a few invalid, a few repeats."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(ROWS):
        if n % 30 == 7:
            writer.writerow([f"Неверный Телефон {n}", "12-34", "", "Казань", ""])
        elif n % 30 == 9:
            writer.writerow(["Посетитель Стенда 1", "8 916 200 00 01", "", "Москва", "подошёл ещё раз"])
        else:
            writer.writerow([f"Посетитель Стенда {n}", f"+7 916 200-{n // 100:02d}-{n % 100:02d}",
                             f"visitor{n}@example.ru", "Москва", "визитка"])
    path.write_bytes(buffer.getvalue().encode("cp1251"))
    return path


@pytest.fixture
def queue(settings: Any, live_server: Any) -> Iterator[Any]:
    """The database task queue, and a function that works it as `leadflow worker` does.

    The worker runs in the test's thread on the live server's own connection when the test database
    is SQLite in memory (a second connection to a shared in-memory database fails on table locks
    instead of waiting), while chromium keeps polling the progress bar. Small chunks, so it moves.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    chunk, services.CHUNK = services.CHUNK, 10

    shared = live_server.thread.connections_override.get("default")

    def work() -> None:
        own = connections["default"]
        if shared is not None:
            connections["default"] = shared
        try:
            assert DBTaskResult.objects.ready().count() == 1, "the page did not queue the job"
            Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                   max_tasks=None, worker_id="browser-test", excluded_queue_names=[]).run()
            assert not DBTaskResult.objects.ready().exists()
        finally:
            connections["default"] = own

    yield work
    services.CHUNK = chunk


def test_import_a_file_with_a_dry_run_and_a_progress_bar(site: Site, head, queue, tmp_path: Path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    Source.objects.create(name="Exhibition", utm_source="expo")
    path = exhibition_file(tmp_path / "visitors.csv")
    me = site.new_page()
    page = me.page
    site.login(me, "head")

    page.goto(f"{site.url}/leads/")
    page.get_by_role("link", name="Import leads").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import leads or clients")
    page.get_by_label("CSV or XLSX file").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    job = ImportJob.objects.get()
    expect(page.get_by_test_id("status")).to_have_text("Uploaded: map the columns")
    expect(page.get_by_text("cp1251")).to_be_visible()

    # The guessed mapping, editable: "Откуда" is not a known word, so the head maps it to the city.
    expect(page.get_by_label("ФИО", exact=True)).to_have_value("name")
    expect(page.get_by_label("Моб. телефон")).to_have_value("phone")
    expect(page.get_by_label("Эл. почта")).to_have_value("email")
    expect(page.get_by_label("Примечание")).to_have_value("message")
    expect(page.get_by_label("Откуда")).to_have_value("")
    page.get_by_label("Откуда").select_option("city")
    expect(page.get_by_test_id("mapping")).to_contain_text("Посетитель Стенда 0")  # the preview
    page.get_by_label("Source for every row").select_option(label="Exhibition")
    page.get_by_test_id("dry-run").click()

    # The dry run waits for the worker; the bar polls it until the page shows what would happen.
    expect(page.get_by_test_id("status")).to_have_text("Dry run in progress")
    expect(page.get_by_test_id("progress")).to_contain_text("0 of 0 rows")
    queue()
    expect(page.get_by_test_id("status")).to_have_text("Dry run done", timeout=20_000)
    counts = page.get_by_test_id("dry-counts")
    expect(counts.locator('[data-count="created"]')).to_have_text("112")
    expect(counts.locator('[data-count="attached"]')).to_have_text("4")
    expect(counts.locator('[data-count="invalid"]')).to_have_text("4")
    expect(page.get_by_test_id("dry-report")).to_contain_text("the same person as row 3 above")
    assert Lead.objects.count() == 0
    site.screenshot(me, "import-dry-run")

    page.get_by_test_id("run-import").click()
    expect(page.get_by_test_id("status")).to_have_text("Importing")
    expect(page.get_by_test_id("progress")).to_be_visible()
    queue()
    expect(page.get_by_test_id("status")).to_have_text("Done", timeout=20_000)
    counts = page.get_by_test_id("counts")
    expect(counts.locator('[data-count="created"]')).to_have_text("112")
    expect(counts.locator('[data-count="attached"]')).to_have_text("4")
    expect(counts.locator('[data-count="invalid"]')).to_have_text("4")
    site.screenshot(me, "import-done")

    with page.expect_download() as download:
        page.get_by_test_id("error-file").click()
    raw = Path(download.value.path()).read_bytes()
    assert not raw.startswith("\ufeff".encode())  # the English head's spreadsheet: `,`, as every export (round 7)
    rows = list(csv.reader(io.StringIO(raw.decode()), delimiter=","))
    assert rows[0] == [*HEADER, "error"]
    assert [row[0] for row in rows[1:]] == [f"Неверный Телефон {n}" for n in range(ROWS) if n % 30 == 7]
    assert all(row[5].startswith("Phone: ") for row in rows[1:])

    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.total_rows) == (ImportStatus.DONE, ROWS, ROWS)
    leads = Lead.objects.all()
    assert leads.count() == 112
    assert {(lead.channel, lead.source.utm_source, lead.city) for lead in leads} == {("import", "expo", "Москва")}
    repeated = Lead.objects.get(phone="+79162000001")
    assert repeated.requests.count() == 5
