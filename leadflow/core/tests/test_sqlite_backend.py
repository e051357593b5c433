"""The SQLite backend queues the server's threads for the write lock in the process."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper as PlainSQLite
from django.db.utils import ConnectionHandler, OperationalError

from leadflow.core.sqlite.base import DatabaseWrapper, write_lock

THREADS, TRANSACTIONS = 6, 40


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):  # type: ignore[no-untyped-def]
    """These tests open their own database files, not the test database."""
    with django_db_blocker.unblock():
        yield


def _settings(path: Path, engine: str) -> dict:
    # SQLite's own busy handler is switched off (busy_timeout=0): a thread that finds the write lock taken
    # fails at once, unless it queued for the lock in the process first.
    options = {"transaction_mode": "IMMEDIATE", "timeout": 30,
               "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=0;"}
    return ConnectionHandler({"default": {"ENGINE": engine, "NAME": str(path), "OPTIONS": options}}).settings["default"]


def _hammer(wrapper_class: type, settings: dict) -> tuple[int, list[BaseException]]:
    """THREADS threads, each with its own connection, each writing TRANSACTIONS transactions of 3 rows."""
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(n: int) -> None:
        db = wrapper_class(settings, alias=f"t{n}")
        try:
            start.wait()
            for k in range(TRANSACTIONS):
                db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)  # as atomic() does
                try:
                    with db.cursor() as cursor:
                        for part in range(3):
                            cursor.execute("INSERT INTO t (who, k, part) VALUES (%s, %s, %s)", [n, k, part])
                    db.commit()
                except BaseException:
                    db.rollback()
                    raise
                finally:
                    db.set_autocommit(True)
        except BaseException as error:
            errors.append(error)
        finally:
            db.close()

    setup = wrapper_class(settings, alias="setup")
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS t (who INTEGER, k INTEGER, part INTEGER)")
        cursor.execute("DELETE FROM t")
    # Open through the run, as a server's connections are: when the last connection to a WAL database closes,
    # the next one to open rebuilds its shared index under an exclusive lock, and six threads opening at once
    # (busy_timeout=0) would then fail on opening, not on the write lock measured here.
    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    setup.close()
    check = wrapper_class(settings, alias="check")
    with check.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM t")
        (rows,) = cursor.fetchone()
    check.close()
    return rows, errors


def test_threads_queue_for_the_write_lock_and_none_is_refused(tmp_path: Path) -> None:
    rows, errors = _hammer(DatabaseWrapper, _settings(tmp_path / "queued.sqlite3", "leadflow.core.sqlite"))
    assert errors == []
    assert rows == THREADS * TRANSACTIONS * 3


def test_without_the_process_lock_the_same_load_is_refused(tmp_path: Path) -> None:
    """The control: Django's plain backend under the same load loses transactions to "database is locked"
    (so the test above shows the queue, not a quiet machine)."""
    rows, errors = _hammer(PlainSQLite, _settings(tmp_path / "plain.sqlite3", "django.db.backends.sqlite3"))
    assert errors and all(isinstance(e, OperationalError) and "locked" in str(e) for e in errors)
    assert rows < THREADS * TRANSACTIONS * 3


def test_a_failed_begin_releases_the_lock(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "release.sqlite3", "leadflow.core.sqlite")
    db = DatabaseWrapper(settings, alias="one")
    db.ensure_connection()
    db.connection.execute("BEGIN")  # a transaction already open on the raw connection: BEGIN IMMEDIATE fails
    with pytest.raises(OperationalError):
        db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    db.connection.execute("ROLLBACK")
    db.close()
    lock = write_lock(settings["NAME"])
    assert lock.acquire(blocking=False)
    lock.release()
