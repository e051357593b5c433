"""Backups of a Leadflow installation, and putting one back.

A backup is one file, `leadflow-backup-<YYYYMMDD-HHMMSS>[-label].tar.gz`, made while Leadflow runs:

- `database.sqlite3`: a consistent snapshot through SQLite's online backup API (copying the file while the server
  writes would not be: the WAL file holds the newest pages), or `database.pgdump`: `pg_dump --format=custom`;
- `media/`: the files Leadflow keeps (imported spreadsheets and their error files, e-mail attachments);
- `secret_key`: the installation's key when it lives in the data directory (stored secrets such as IMAP passwords
  are encrypted with a key derived from it: without it they cannot be read on another machine);
- `manifest.json`: when, which database, Leadflow's version and the number of leads, clients, submissions and
  users in the snapshot, to check a restore against.

The file holds personal data and the key, so it is readable by its owner only. Restoring first backs up what is
there now (label `before-restore`), so a restore over the wrong installation loses nothing either.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from leadflow.core.every import Every

FORMAT = 1
PREFIX = "leadflow-backup-"
NAME = re.compile(rf"^{PREFIX}(\d{{8}})-(\d{{6}})(?:-([a-z0-9-]+))?\.tar\.gz$")
ATTEMPT = Every(15 * 60)  # a failing daily backup (disk full) is tried again every 15 minutes, not every tick
COUNTED = {"leads": "leads.Lead", "clients": "clients.Client", "submissions": "intake.Submission",
           "users": "accounts.User"}


class BackupError(Exception):
    """A backup or restore that cannot be done, with what to do about it."""


@dataclass
class Made:
    path: Path
    counts: dict[str, int]
    size: int


@dataclass
class Restored:
    counts: dict[str, int]
    expected: dict[str, int]
    made_at: str
    saved_before: Path | None
    notes: list[str] = field(default_factory=list)


def backup_dir() -> Path:
    return Path(settings.LEADFLOW_BACKUP_DIR)


def vendor() -> str:
    return connection.vendor


def _secret_key_file() -> Path | None:
    """The data directory's key file when the key comes from it (not from LEADFLOW_SECRET_KEY)."""
    key_file = Path(settings.DATA_DIR) / "secret_key"
    if os.environ.get("LEADFLOW_SECRET_KEY") or not key_file.is_file():
        return None
    return key_file


def _version() -> str:
    try:
        return importlib.metadata.version("leadflow")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _tables() -> dict[str, str]:
    return {name: apps.get_model(label)._meta.db_table for name, label in COUNTED.items()}


def _count_sqlite(path: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return {name: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 (model tables)
                for name, table in _tables().items()}


def _count_here() -> dict[str, int]:
    return {name: apps.get_model(label)._default_manager.count() for name, label in COUNTED.items()}


def _sqlite_source() -> sqlite3.Connection:
    """A connection of its own to the live database (a separate reader: the snapshot sees committed data)."""
    name = str(connection.settings_dict["NAME"])
    return sqlite3.connect(name, uri=name.startswith("file:"), timeout=30)


def _pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """libpq's environment for pg_dump / pg_restore (the password never on a command line)."""
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                          ("NAME", "PGDATABASE")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: on Debian, apt-get install postgresql-client "
                          "(the same major version as the server, or newer).")
    return found


def _run(command: list[str], settings_dict: dict[str, Any]) -> None:
    result = subprocess.run(command, env=_pg_env(settings_dict), capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.returncode}")


def _site_time(moment: datetime) -> datetime:
    """The moment in the site's zone (LEADFLOW_TIME_ZONE), whoever's zone is active: names and the daily hour."""
    return timezone.localtime(moment, timezone=ZoneInfo(settings.LEADFLOW_TIME_ZONE))


def _stamp(moment: datetime) -> str:
    return _site_time(moment).strftime("%Y%m%d-%H%M%S")


def make_backup(*, directory: Path | None = None, label: str = "", now: datetime | None = None) -> Made:
    """Write one backup file into `directory` (LEADFLOW_BACKUP_DIR by default) and return it."""
    now = now or timezone.now()
    directory = Path(directory or backup_dir())
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file in the way, no permission: said, not a traceback
        raise BackupError(f"cannot make the backup directory {directory}: {error.strerror or error}") from error
    with contextlib.suppress(OSError):
        directory.chmod(0o700)
    name = f"{PREFIX}{_stamp(now)}{'-' + label if label else ''}.tar.gz"
    target = directory / name
    if target.exists():
        raise BackupError(f"{target} exists already: one backup per second.")
    try:
        return _write_backup(directory, name, target, now)
    except PermissionError as error:
        raise BackupError(f"cannot write a backup into {directory}: {error.strerror or error}") from error


def _write_backup(directory: Path, name: str, target: Path, now: datetime) -> Made:
    """The snapshot, the kept files and the key as one archive, renamed to `target` once whole."""
    with tempfile.TemporaryDirectory(prefix="leadflow-backup-") as scratch:
        work = Path(scratch)
        if vendor() == "sqlite":
            database = work / "database.sqlite3"
            with contextlib.closing(_sqlite_source()) as source, contextlib.closing(sqlite3.connect(database)) as copy:
                source.backup(copy)
            counts = _count_sqlite(database)
        elif vendor() == "postgresql":
            database = work / "database.pgdump"
            counts = _count_here()
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={database}"],
                 connection.settings_dict)
        else:
            raise BackupError(f"backups of a {vendor()} database are not supported (SQLite and PostgreSQL are).")
        manifest = {"format": FORMAT, "made_at": now.isoformat(), "leadflow": _version(), "database": vendor(),
                    "counts": counts, "secret_key": _secret_key_file() is not None,
                    "encryption_keys": bool(getattr(settings, "LEADFLOW_ENCRYPTION_KEYS", None))}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = directory / f".{name}.partial"
        try:
            with tarfile.open(partial, "w:gz") as archive:
                archive.add(work / "manifest.json", arcname="manifest.json")
                archive.add(database, arcname=database.name)
                media = Path(settings.MEDIA_ROOT)
                if media.is_dir():
                    archive.add(media, arcname="media")
                key_file = _secret_key_file()
                if key_file is not None:
                    archive.add(key_file, arcname="secret_key")
            partial.chmod(0o600)
            partial.rename(target)  # whole or not at all: a half-written file never has the backup's name
        finally:
            partial.unlink(missing_ok=True)
    return Made(path=target, counts=counts, size=target.stat().st_size)


def backups(directory: Path | None = None) -> list[Path]:
    """The backup files in the directory, oldest first (by the moment in their names)."""
    directory = Path(directory or backup_dir())
    if not directory.is_dir():
        return []
    found = [path for path in directory.iterdir() if NAME.match(path.name)]
    return sorted(found, key=lambda path: NAME.match(path.name).group(1, 2))  # type: ignore[union-attr]


def prune(*, keep: int, directory: Path | None = None) -> list[Path]:
    """Remove all but the `keep` newest daily backups (labelled ones, such as before-restore, are left alone)."""
    daily = [path for path in backups(directory) if not NAME.match(path.name).group(3)]  # type: ignore[union-attr]
    removed = daily[:-keep] if keep > 0 else []
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def daily_time() -> time | None:
    """LEADFLOW_BACKUP_AT as a time of day in the site's zone, or None when daily backups are off."""
    value = str(settings.LEADFLOW_BACKUP_AT or "").strip()
    if not value:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise BackupError(f"LEADFLOW_BACKUP_AT: {value!r} is not a time of day such as 03:00") from None


def backup_when_due(*, now: datetime | None = None) -> int:
    """The worker's daily backup: once a day at or after LEADFLOW_BACKUP_AT (the site's time), if none was made
    that day yet (so a worker started later in the day still makes it, and several workers make one), then only
    the LEADFLOW_BACKUP_KEEP newest are kept."""
    at = daily_time()
    if at is None:
        return 0
    local = _site_time(now or timezone.now())
    if local.time() < at:
        return 0
    day = local.strftime("%Y%m%d")
    if any(NAME.match(path.name).group(1) == day and not NAME.match(path.name).group(3)  # type: ignore[union-attr]
           for path in backups()):
        return 0
    if not ATTEMPT.due(local.timestamp()):
        return 0
    make_backup(now=now)
    prune(keep=settings.LEADFLOW_BACKUP_KEEP)
    return 1


# ---------------------------------------------------------------------------------------------------- restore


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = archive.extractfile("manifest.json")
            manifest = json.loads(member.read()) if member else None
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise BackupError(f"{path} is not a Leadflow backup ({error}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format') if manifest else None!r}.")
    return manifest


def restore_backup(path: Path) -> Restored:
    """Put a backup in place of this installation's database, files and key. Leadflow must be stopped.

    What is there now is first saved as a backup labelled before-restore (in LEADFLOW_BACKUP_DIR).
    """
    path = Path(path)
    manifest = read_manifest(path)
    if manifest["database"] != vendor():
        raise BackupError(f"the backup holds a {manifest['database']} database and this installation uses "
                          f"{vendor()}: restore it into an installation of the same kind.")
    saved_before = make_backup(label="before-restore").path if _has_tables() else None
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="leadflow-restore-") as scratch, tarfile.open(path, "r:gz") as archive:
        archive.extractall(scratch, filter="data")
        work = Path(scratch)
        if vendor() == "sqlite":
            counts = _restore_sqlite(work / "database.sqlite3")
        else:
            _restore_postgresql(work / "database.pgdump", connection.settings_dict)
            counts = _count_here()
        if (work / "media").is_dir():
            shutil.copytree(work / "media", settings.MEDIA_ROOT, dirs_exist_ok=True)
        notes += _restore_key(work / "secret_key")
    if manifest.get("leadflow") not in (None, "unknown", _version()):
        notes.append(f"The backup was made by Leadflow {manifest['leadflow']}, this is {_version()}: the database is "
                     "migrated forward; a backup from a newer version needs that version to run it.")
    if manifest.get("encryption_keys"):
        notes.append("Stored secrets were encrypted with LEADFLOW_ENCRYPTION_KEYS, which a backup never holds: set "
                     "the same keys here.")
    return Restored(counts=counts, expected=manifest["counts"], made_at=manifest["made_at"],
                    saved_before=saved_before, notes=notes)


def _has_tables() -> bool:
    return apps.get_model(COUNTED["leads"])._meta.db_table in connection.introspection.table_names()


def _restore_sqlite(snapshot: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(snapshot)) as db:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the backup's database fails SQLite's integrity check: nothing was changed.")
    connection.close()
    live = Path(str(connection.settings_dict["NAME"]))
    # Through the backup API into the live file (not a file copy): SQLite rewrites it and its WAL consistently.
    with contextlib.closing(sqlite3.connect(snapshot)) as source, contextlib.closing(sqlite3.connect(live)) as target:
        source.backup(target)
    return _count_sqlite(live)


def _restore_postgresql(dump: Path, settings_dict: dict[str, Any]) -> None:
    # One transaction: a failed restore leaves the database as it was.
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", f"--dbname={settings_dict['NAME']}", str(dump)], settings_dict)


def _restore_key(key_backup: Path) -> list[str]:
    if not key_backup.is_file():
        return ["The backup has no secret key (it came from LEADFLOW_SECRET_KEY): set the same LEADFLOW_SECRET_KEY "
                "here, or stored secrets (IMAP passwords, telephony keys) cannot be read."]
    key_file = Path(settings.DATA_DIR) / "secret_key"
    backup_key = key_backup.read_text().strip()
    if os.environ.get("LEADFLOW_SECRET_KEY"):
        if os.environ["LEADFLOW_SECRET_KEY"].strip() == backup_key:
            return []
        kept = key_file.with_name("secret_key.from-backup")
        kept.write_text(backup_key)
        kept.chmod(0o600)
        return [f"LEADFLOW_SECRET_KEY differs from the backup's key, kept in {kept}: stored secrets (IMAP "
                "passwords, telephony keys) need the backup's key in LEADFLOW_SECRET_KEY."]
    if key_file.is_file() and key_file.read_text().strip() == backup_key:
        return []
    if key_file.is_file():
        key_file.rename(key_file.with_name(f"secret_key.before-restore-{_stamp(timezone.now())}"))
    key_file.write_text(backup_key)
    key_file.chmod(0o600)
    return ["The backup's secret key is now this installation's (the previous one is kept beside it)."]
