"""Backups while Leadflow runs, the worker's daily one, and restoring on another machine (leadflow.core.backup)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from leadflow.core import backup
from leadflow.telephony.models import Integration

ROOT = Path(__file__).resolve().parents[3]
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def installation(tmp_path, settings, monkeypatch):
    """This installation's data directory: a key file, a kept import file, the backup directory."""
    data = tmp_path / "data"
    (data / "media" / "imports" / "2026" / "11").mkdir(parents=True)
    (data / "media" / "imports" / "2026" / "11" / "leads.csv").write_text("Телефон;Имя\n+79120000001;Ольга\n")
    # The key that encrypted this test run's secrets, kept in the data directory as `leadflow run` keeps it.
    (data / "secret_key").write_text(settings.SECRET_KEY)
    monkeypatch.delenv("LEADFLOW_SECRET_KEY", raising=False)
    settings.DATA_DIR = data
    settings.MEDIA_ROOT = data / "media"
    settings.LEADFLOW_BACKUP_DIR = tmp_path / "backups"
    backup.ATTEMPT.reset()
    return data


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}  # type: ignore


def test_a_backup_holds_the_database_the_kept_files_and_the_key(transactional_db, installation, make_lead, settings):
    for _ in range(3):
        make_lead()
    made = backup.make_backup()
    assert made.path.parent == settings.LEADFLOW_BACKUP_DIR and backup.NAME.match(made.path.name)
    assert made.path.stat().st_mode & 0o777 == 0o600  # personal data and the key: its owner's only
    inside = members(made.path)
    manifest = json.loads(inside["manifest.json"])
    assert manifest["database"] == connection.vendor and manifest["counts"]["leads"] == 3
    assert made.counts == manifest["counts"]
    assert inside["media/imports/2026/11/leads.csv"].decode() == "Телефон;Имя\n+79120000001;Ольга\n"
    assert inside["secret_key"].decode() == settings.SECRET_KEY
    if connection.vendor == "sqlite":
        snapshot = made.path.parent / "snapshot.sqlite3"
        snapshot.write_bytes(inside["database.sqlite3"])
        with contextlib.closing(sqlite3.connect(snapshot)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            phones = {row[0] for row in db.execute("SELECT phone FROM leads_lead")}
        assert phones == {"+79120000001", "+79120000002", "+79120000003"}
    else:
        assert inside["database.pgdump"].startswith(b"PGDMP")  # pg_dump's custom format


def test_a_key_from_the_environment_is_not_written_into_the_backup(transactional_db, installation, monkeypatch):
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "from-the-environment")
    made = backup.make_backup()
    assert "secret_key" not in members(made.path)
    assert json.loads(members(made.path)["manifest.json"])["secret_key"] is False


def test_the_worker_makes_one_backup_a_day_after_its_hour_and_keeps_the_newest(transactional_db, installation,
                                                                               settings):
    settings.LEADFLOW_BACKUP_AT, settings.LEADFLOW_BACKUP_KEEP = "03:00", 2

    def at(day: int, hour: int, minute: int = 0) -> int:
        return backup.backup_when_due(now=datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW))

    assert at(24, 2, 59) == 0  # before the hour
    assert at(24, 3, 0) == 1
    assert at(24, 23, 30) == 0  # one a day
    backup.make_backup(label="before-restore", now=datetime(2026, 11, 24, 12, 0, tzinfo=MOSCOW))
    assert at(25, 9, 40) == 1  # the worker was down at 03:00: made when it is back, the same day
    assert at(26, 3, 5) == 1
    names = [path.name for path in backup.backups()]
    # The two newest daily ones are kept; a labelled one (made before a restore) is never pruned.
    assert names == ["leadflow-backup-20261124-120000-before-restore.tar.gz", "leadflow-backup-20261125-094000.tar.gz",
                     "leadflow-backup-20261126-030500.tar.gz"]
    settings.LEADFLOW_BACKUP_AT = ""
    assert at(27, 3, 0) == 0  # switched off


def test_a_wrong_backup_time_is_named(settings):
    settings.LEADFLOW_BACKUP_AT = "3 am"
    with pytest.raises(backup.BackupError, match="LEADFLOW_BACKUP_AT: '3 am' is not a time of day"):
        backup.daily_time()


def installation_env(data: Path) -> dict[str, str]:
    """A fresh process's environment for an installation in `data` (none of this test run's settings)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LEADFLOW_", "DJANGO_", "DATABASE_URL"))}
    return {**base, "LEADFLOW_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "leadflow.settings"}


def leadflow(data: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "leadflow.cli", *args], capture_output=True, text=True,  # noqa: S603
                          env=installation_env(data), cwd=ROOT, timeout=300)


def test_a_backup_restores_on_another_machine_with_its_secrets(transactional_db, installation, make_lead, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the embedded installation's restore; PostgreSQL's is the next test")
    make_lead(first_name="Ольга", last_name="Ким", phone="+79161112233")
    Integration.objects.create(name="PBX", secret="pbx-signing-key")
    made = backup.make_backup()

    elsewhere = tmp_path / "elsewhere"  # a new machine: an empty data directory with a key of its own
    result = leadflow(elsewhere, "restore", "--yes", str(made.path))
    assert result.returncode == 0, result.stderr
    assert "Restored: leads 1, clients 0" in result.stdout
    check = ("from leadflow.leads.models import Lead; from leadflow.telephony.models import Integration; "
             "lead = Lead.objects.get(); print(lead.full_name, lead.phone, Integration.objects.get().secret)")
    shown = leadflow(elsewhere, "shell", "-c", check)
    assert shown.stdout.strip().splitlines()[-1] == "Ким Ольга +79161112233 pbx-signing-key", shown.stderr
    assert (elsewhere / "media" / "imports" / "2026" / "11" / "leads.csv").is_file()

    # Restoring again over an installation in use first saves what is there.
    again = leadflow(elsewhere, "restore", "--yes", str(made.path))
    assert again.returncode == 0, again.stderr
    saved = [path for path in (elsewhere / "backups").iterdir() if path.name.endswith("-before-restore.tar.gz")]
    assert len(saved) == 1 and json.loads(members(saved[0])["manifest.json"])["counts"]["leads"] == 1


@pytest.mark.postgres
def test_a_postgresql_backup_restores_into_another_database(transactional_db, installation, make_lead):
    import psycopg

    for _ in range(2):
        make_lead()
    made = backup.make_backup()
    scratch = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        cursor.execute(f'CREATE DATABASE "{scratch}"')
    try:
        dump = made.path.parent / "database.pgdump"
        dump.write_bytes(members(made.path)["database.pgdump"])
        backup._restore_postgresql(dump, {**connection.settings_dict, "NAME": scratch})
        params = connection.get_connection_params()
        params["dbname"] = scratch
        with psycopg.connect(**params) as other:
            phones = {row[0] for row in other.execute("SELECT phone FROM leads_lead")}
        assert phones == {"+79120000001", "+79120000002"}
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(transactional_db, installation, make_lead,
                                                                   tmp_path):
    make_lead()
    stray = tmp_path / "leads.tar.gz"
    stray.write_bytes(b"not a backup")
    with pytest.raises(CommandError, match="is not a Leadflow backup"):
        call_command("restore", str(stray), "--yes")
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as archive:
        manifest = tmp_path / "manifest.json"
        manifest.write_text(json.dumps({"format": 1, "database": other, "counts": {}, "made_at": "", "leadflow": ""}))
        archive.add(manifest, arcname="manifest.json")
    with pytest.raises(CommandError, match=f"holds a {other} database and this installation uses"):
        call_command("restore", str(foreign), "--yes")
    from leadflow.leads.models import Lead

    assert Lead.objects.count() == 1 and not backup.backups()


def test_a_backup_directory_that_cannot_be_written_is_named_not_a_traceback(transactional_db, installation, tmp_path):
    """`leadflow backup --to /proc/nope` printed a FileNotFoundError traceback."""
    (tmp_path / "a-file").write_text("not a directory")
    with pytest.raises(CommandError, match="a-file/backups"):
        call_command("backup", "--to", str(tmp_path / "a-file" / "backups"))
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        if not os.access(read_only, os.W_OK):  # (root writes anywhere)
            with pytest.raises(CommandError, match="read-only"):
                call_command("backup", "--to", str(read_only))
            assert list(read_only.iterdir()) == []
    finally:
        read_only.chmod(0o700)
