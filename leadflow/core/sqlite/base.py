"""Django's SQLite backend, with the write lock taken in the process before SQLite's own.

SQLite lets one transaction write at a time (Leadflow begins every transaction IMMEDIATE, so the lock
is taken at BEGIN). A thread that finds the lock taken is put to sleep by SQLite's busy handler, which
polls with growing pauses (up to 100 ms each): under a burst of submissions a waiting thread keeps
missing the moments the lock is free, and a few wait for a second or more while others pass
(docs/benchmarks.md, intake: p99 1.1 s at four clients). The server's threads therefore queue on a lock
of this process first and are woken the moment the previous transaction ends; SQLite's own lock still
guards against other processes (the worker, a management command).

The wait for the process lock is bounded by the database's `timeout` option: past it the transaction
goes on to SQLite's busy handler as before, so a thread never waits here for ever.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.backends.sqlite3 import base

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def write_lock(name: str) -> threading.Lock:
    """The process-wide write lock of one database file."""
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_write_lock = False

    def _write_lock(self) -> threading.Lock | None:
        if self.is_in_memory_db():
            return None  # one connection shared by the threads of a test: nothing to queue
        return write_lock(str(self.settings_dict["NAME"]))

    def _start_transaction_under_autocommit(self) -> None:
        lock = self._write_lock()
        if lock is not None and not self._holds_write_lock:
            timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
            self._holds_write_lock = lock.acquire(timeout=timeout)
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            lock = self._write_lock()
            if lock is not None:
                lock.release()

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._release_write_lock()
