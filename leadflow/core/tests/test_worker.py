"""The worker: one scheduler tick in-process, and `leadflow worker` as a real process."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from leadflow.events.models import OutboxEvent
from leadflow.leads import services
from leadflow.leads.models import LeadState, Notification, Task, TaskKind
from leadflow.worker import run_scheduled_once

PROCESS_TIMEOUT = 180  # seconds: `leadflow run` migrates and builds the demo first; only reached when it fails


@pytest.mark.django_db
def test_tick_escalates_a_pooled_lead_nobody_claimed_in_time(make_lead, head):
    lead = make_lead()

    result = run_scheduled_once(now=lead.created_at + timedelta(minutes=31))
    again = run_scheduled_once(now=lead.created_at + timedelta(minutes=40))

    lead.refresh_from_db()
    assert result["escalated"] == 1 and again["escalated"] == 0
    assert lead.escalated_at is not None and lead.owner is None
    assert Task.objects.filter(lead=lead, assignee=head, kind=TaskKind.ASSIGN).count() == 1
    assert Notification.objects.filter(user=head, kind="lead.escalated", lead=lead).count() == 1
    assert "errors" not in result


@pytest.mark.django_db
def test_tick_leaves_a_pooled_lead_that_is_still_within_its_limit(make_lead, head):
    lead = make_lead()

    result = run_scheduled_once(now=lead.created_at + timedelta(minutes=29))

    lead.refresh_from_db()
    assert result["escalated"] == 0 and lead.escalated_at is None
    assert not Notification.objects.filter(kind="lead.escalated").exists()


@pytest.mark.django_db
def test_tick_delivers_every_pending_outbox_event_and_its_email(make_lead, head):
    lead = make_lead()
    mail.outbox.clear()

    result = run_scheduled_once(now=lead.created_at + timedelta(minutes=31))

    events = OutboxEvent.objects.all()
    assert result["delivered"] == events.count() > 0
    assert not events.filter(delivered_at__isnull=True).exists()
    escalation = f"[Leadflow] Nobody claimed {lead.full_name} in time"
    assert [m.to for m in mail.outbox if m.subject == escalation] == [["head@example.com"]]


def team_today(lead: Any) -> date:
    """Today where the lead's team works: a deferral date comes at the team's midnight, not UTC's."""
    return timezone.localdate(timezone=ZoneInfo(lead.team.time_zone))


@pytest.mark.django_db
def test_tick_returns_a_deferred_lead_whose_date_has_come(make_lead, alice):
    lead = make_lead(owner=alice)
    services.defer_lead(lead=lead, until=team_today(lead) + timedelta(days=1), by=alice)

    early = run_scheduled_once(now=timezone.now())
    result = run_scheduled_once(now=timezone.now() + timedelta(days=2))

    lead.refresh_from_db()
    assert early["returned"] == 0 and result["returned"] == 1
    assert lead.state == LeadState.OPEN and lead.deferred_until is None
    assert Notification.objects.filter(user=alice, kind="lead.returned", lead=lead).count() == 1


@pytest.mark.django_db
def test_a_failing_job_is_logged_and_the_others_still_run(monkeypatch, make_lead, alice, caplog):
    def broken(**kwargs: object) -> int:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("leadflow.worker.escalate_unclaimed", broken)
    lead = make_lead(owner=alice)
    services.defer_lead(lead=lead, until=team_today(lead) + timedelta(days=1), by=alice)

    result = run_scheduled_once(now=timezone.now() + timedelta(days=2))

    assert result["errors"] == 1 and "escalated" not in result
    assert result["returned"] == 1 and result["delivered"] > 0
    assert "scheduled job escalated failed" in caplog.text and "database hiccup" in caplog.text


# ------------------------------------------------------------------ the real process


def leadflow_command() -> list[str]:
    """The installed console script when there is one, else the module it points to."""
    script = Path(sys.executable).with_name("leadflow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "leadflow.cli"]


def isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Production settings on a SQLite file of its own, whatever the test run is configured with."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LEADFLOW_") and name not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="leadflow.settings",
        LEADFLOW_DATA_DIR=str(tmp_path / "data"),
        LEADFLOW_SECRET_KEY="test-secret-key-for-a-subprocess",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def wait_until(condition, *, timeout: float = PROCESS_TIMEOUT, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up after {timeout} s waiting for {what}")


def query(database: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(database, timeout=10) as connection:
        return connection.execute(sql, params).fetchall()


def test_worker_process_delivers_events_runs_jobs_and_stops_on_sigterm(tmp_path):
    env = isolated_env(tmp_path, LEADFLOW_SCHEDULER_INTERVAL="1")
    database = tmp_path / "data" / "leadflow.sqlite3"
    subprocess.run(  # noqa: S603
        [*leadflow_command(), "migrate", "--verbosity", "0"], env=env, check=True, timeout=PROCESS_TIMEOUT, cwd=tmp_path
    )
    subprocess.run(  # noqa: S603
        [
            *leadflow_command(),
            "shell",
            "-c",
            "from leadflow.events.services import record_event; from leadflow.worker import ping; "
            "record_event('test.ping', n=1); ping.enqueue()",
        ],
        env=env,
        check=True,
        timeout=PROCESS_TIMEOUT,
        cwd=tmp_path,
        capture_output=True,
    )
    assert query(database, "SELECT count(*) FROM events_outboxevent WHERE delivered_at IS NULL") == [(1,)]

    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(  # noqa: S603
            [*leadflow_command(), "worker"], env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_until(
            lambda: query(database, "SELECT count(*) FROM events_outboxevent WHERE delivered_at IS NULL") == [(0,)],
            what="the worker to deliver the outbox event",
        )
        wait_until(
            lambda: (
                query(database, "SELECT status, return_value FROM django_tasks_database_dbtaskresult")
                == [("SUCCESSFUL", '"pong"')]
            ),
            what="the worker to run the queued job",
        )
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=PROCESS_TIMEOUT) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert "shutting down gracefully" in log.read_text()


@pytest.mark.django_db
def test_sqlite_statistics_are_refreshed_once_an_hour(monkeypatch):
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from leadflow import worker

    monkeypatch.setattr(worker.OPTIMIZE, "last", None)
    now = timezone.now()
    expected = 1 if connection.vendor == "sqlite" else 0
    assert worker.optimize_database(now=now) == expected
    assert worker.optimize_database(now=now + timedelta(minutes=10)) == 0
    assert worker.optimize_database(now=now + timedelta(hours=2)) == expected
