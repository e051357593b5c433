"""The `leadflow` commands: demo, createadmin, createtoken, and `leadflow run` end to end."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import threading
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.utils import timezone

from leadflow import demo
from leadflow.accounts.models import Role, RoutingScheme, Team, User
from leadflow.cli import main
from leadflow.clients.models import Client
from leadflow.core.tests.test_worker import PROCESS_TIMEOUT, isolated_env, leadflow_command, query, wait_until
from leadflow.intake.models import Submission
from leadflow.leads.models import Lead, LeadState, Request, Task


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "leads": Lead.objects.count(),
        "clients": Client.objects.count(),
        "submissions": Submission.objects.count(),
        "requests": Request.objects.count(),
        "tasks": Task.objects.count(),
    }


@pytest.mark.django_db
def test_demo_builds_two_teams_their_people_and_leads_through_the_pipeline():
    output = run_demo()

    assert set(User.objects.values_list("username", flat=True)) == {
        "admin",
        "head",
        "alice",
        "bob",
        "carol",
        "dave",
        "mary",
    }
    assert authenticate(RequestFactory().post("/login/"), username="alice", password="leadflow") is not None
    assert User.objects.get(username="admin").is_superuser
    schemes = dict(Team.objects.values_list("name", "routing_scheme"))
    assert schemes == {"Продажи Москва": RoutingScheme.POOL, "Wholesale": RoutingScheme.RULES}
    assert Lead.objects.count() == len(demo.PEOPLE) + len(demo.LATE)
    # Every lead came in through the pipeline: one journaled submission created each of them.
    created = Submission.objects.filter(status="created")
    assert sorted(created.values_list("lead_id", flat=True)) == sorted(Lead.objects.values_list("pk", flat=True))
    attached = Submission.objects.filter(status="attached")
    assert attached.filter(lead__isnull=False).count() >= 3
    assert attached.filter(client__isnull=False).count() >= 1
    assert Request.objects.filter(lead__isnull=False).count() > Lead.objects.count()
    assert set(Submission.objects.values_list("status", flat=True)) == {
        "created",
        "attached",
        "interest",
        "spam",
        "invalid",
    }
    assert "X-Form-Key: lff_" in output and "X-Api-Key: lfp_" in output and 'password "leadflow"' in output


@pytest.mark.django_db
def test_demo_leads_have_a_history_and_clients_have_valid_companies():
    run_demo()

    states = {state: Lead.objects.filter(state=state).count() for state in LeadState.values}
    assert states["converted"] == 4 and states["refused"] == 3 and states["deferred"] == 1
    assert Lead.objects.filter(state="refused", lost_reason__isnull=True).count() == 0
    assert Lead.objects.filter(owner__isnull=True, state="open").exists()  # the pool is not empty
    clients = list(Client.objects.select_related("company", "lead"))
    assert len(clients) == 4
    for client in clients:
        client.company.full_clean()  # INN, KPP and OGRN check digits
        assert client.company.inn and client.company.ogrn and client.lead.state == "converted"
    assert sorted(len(c.company.inn) for c in clients) == [10, 10, 10, 12]
    today = timezone.localtime(timezone.now(), ZoneInfo(demo.DEMO_ZONE)).date()
    for username in ("alice", "bob", "carol", "dave"):
        due_today = [
            t
            for t in Task.objects.open().filter(assignee__username=username)
            if timezone.localtime(t.due_at, ZoneInfo(demo.DEMO_ZONE)).date() == today
        ]
        assert len(due_today) >= 2, username


@pytest.mark.django_db
def test_demo_a_second_time_changes_nothing():
    run_demo()
    before = counts()

    output = run_demo()

    assert counts() == before
    assert "already there" in output


@pytest.mark.django_db
def test_demo_keeps_an_administrator_created_before_it():
    call_command(
        "createadmin", "--username", "admin", "--password", "Correct-Horse-42", "--no-input", stdout=io.StringIO()
    )

    run_demo()

    assert User.objects.filter(username="admin").count() == 1
    assert User.objects.get(username="admin").check_password("Correct-Horse-42")
    assert Lead.objects.count() == len(demo.PEOPLE) + len(demo.LATE)


@pytest.mark.django_db
def test_createadmin_without_a_terminal_creates_a_superuser_with_the_admin_role():
    call_command(
        "createadmin",
        "--username",
        "root",
        "--password",
        "Correct-Horse-42",
        "--email",
        "root@example.com",
        "--no-input",
        stdout=io.StringIO(),
    )

    user = User.objects.get(username="root")
    assert (user.is_superuser, user.is_staff, user.role, user.email) == (True, True, Role.ADMIN, "root@example.com")
    assert user.check_password("Correct-Horse-42")


@pytest.mark.django_db
def test_createadmin_refuses_a_weak_password_and_creates_nobody():
    with pytest.raises(CommandError, match="Password rejected"):
        call_command("createadmin", "--username", "root", "--password", "123", "--no-input")

    assert User.objects.count() == 0


@pytest.mark.django_db
def test_createadmin_refuses_a_taken_username(admin_user):
    with pytest.raises(CommandError, match="already exists"):
        call_command("createadmin", "--username", "admin", "--password", "Correct-Horse-42", "--no-input")

    assert User.objects.count() == 1


@pytest.mark.django_db
def test_createtoken_prints_a_token_that_authenticates_the_api(alice):
    out = io.StringIO()
    call_command("createtoken", "alice", stdout=out, stderr=io.StringIO())
    token = out.getvalue().strip()

    assert token.startswith("lfu_")
    assert HttpClient().get("/api/leads", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert HttpClient().get("/api/leads", headers={"Authorization": "Bearer lfu_wrong"}).status_code == 401


@pytest.mark.django_db
def test_createtoken_for_an_unknown_user_fails():
    with pytest.raises(CommandError, match="No user"):
        call_command("createtoken", "nobody")


def test_leadflow_without_arguments_prints_its_commands(capsys):
    main(["leadflow"])

    out = capsys.readouterr().out
    for command in ("run", "worker", "migrate", "demo", "createadmin", "createtoken"):
        assert f"leadflow {command}" in out


def test_leadflow_passes_other_commands_to_django(capsys):
    # `help` only prints, so it runs in-process; commands proper close the connections when done.
    main(["leadflow", "help", "createtoken"])

    assert "usage: leadflow createtoken" in capsys.readouterr().out


# ------------------------------------------------------------------ `leadflow run` end to end


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310  (http to the local test server)
        url,
        method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, json.loads(response.read() or b"{}")


def test_leadflow_run_serves_the_api_with_a_worker_and_stops_on_sigterm(tmp_path):
    # The test client stands in for a reverse proxy on 127.0.0.1 forwarding a visitor's address.
    env = isolated_env(tmp_path, LEADFLOW_PORT="0", LEADFLOW_WEB_THREADS="2", LEADFLOW_TRUSTED_PROXY="127.0.0.1")
    process = subprocess.Popen(  # noqa: S603
        [*leadflow_command(), "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    worker_pid = None
    stopped_cleanly = False
    try:
        wait_until(lambda: "Press Ctrl+C to stop" in "".join(lines), what="`leadflow run` to start")
        output = "".join(lines)
        base_url = re.search(r"running at (http://[\d.]+:\d+)/", output).group(1)
        form_key = re.search(r"'website': X-Form-Key: (\S+)", output).group(1)
        worker_pid = int(re.search(r"Worker started \(pid (\d+)\)", output).group(1))
        assert "/admin/" in output and "/api/docs" in output and 'password "leadflow"' in output
        # LEADFLOW_BASE_URL not set: links in e-mails point where this server listens, not at the default's 8000.
        assert "Links in e-mails use" not in output

        status, schema = http("GET", f"{base_url}/api/openapi.json")
        assert status == 200 and schema["info"]["title"] == "Leadflow API"
        status, answer = http(
            "POST",
            f"{base_url}/api/submissions",
            {"name": "Пётр Сидоров", "phone": "+7 915 000-12-34", "consent": True},
            {"X-Form-Key": form_key, "X-Forwarded-For": "203.0.113.7"},
        )
        assert (status, answer["status"]) == (200, "received")
        journaled = query(tmp_path / "data" / "leadflow.sqlite3",
                          "SELECT remote_addr FROM intake_submission ORDER BY id DESC LIMIT 1")
        assert journaled == [("203.0.113.7",)]  # the visitor, not the proxy

        database = tmp_path / "data" / "leadflow.sqlite3"
        lead_created = (
            "SELECT count(*) FROM events_outboxevent WHERE name = 'lead.created' AND delivered_at IS NOT NULL "
            "AND json_extract(payload, '$.lead_id') = ?"
        )
        lead_id = last_submission_lead(database)
        wait_until(lambda: query(database, lead_created, lead_id) == [(1,)], what="the worker to deliver lead.created")

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=PROCESS_TIMEOUT) == 0
        reader.join(timeout=5)
        assert "Worker stopped (exit code 0)" in "".join(lines)
        stopped_cleanly = True
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if worker_pid is not None and not stopped_cleanly:
            stop_worker_if_running(worker_pid)


def last_submission_lead(database) -> int:
    """The lead the last submission created."""
    rows = query(database, "SELECT lead_id FROM intake_submission ORDER BY id DESC LIMIT 1")
    assert rows and rows[0][0] is not None
    return rows[0][0]


def stop_worker_if_running(pid: int) -> None:
    """The worker runs in a session of its own: a failed test must not leave it behind."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return  # already gone
    if b"worker" in cmdline:  # still our worker, not a process that reused its id
        os.kill(pid, signal.SIGKILL)
