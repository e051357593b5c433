"""The worker: the database job queue in the main thread, the scheduler in a second one.

The scheduler delivers outbox events every second and, every LEADFLOW_SCHEDULER_INTERVAL
seconds, runs the periodic services (escalation of unclaimed pooled leads, deferred leads
coming back, task reminders). Several workers may run against one database: the outbox is read
with SKIP LOCKED and every periodic service claims its rows with a conditional UPDATE.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from leadflow.accounts.lockout import prune_login_log
from leadflow.core.backup import backup_when_due
from leadflow.core.every import Every
from leadflow.events import webhooks
from leadflow.events.services import deliver_pending
from leadflow.inbox.imap import poll_mailboxes_when_due
from leadflow.intake.pipeline import retry_due
from leadflow.leads.services import escalate_unclaimed, remind_due_tasks, return_deferred, warn_sla_breaches
from leadflow.nurture import mail as nurture_mail
from leadflow.nurture import services as nurture
from leadflow.partners.postbacks import send_due_postbacks
from leadflow.scoring.services import retrain_when_due
from leadflow.warming.services import cool_down

log = logging.getLogger("leadflow.worker")

DELIVERY_INTERVAL = 1.0  # seconds between outbox deliveries
DELIVERY_BATCH = 200


@task()
def ping() -> str:
    """A no-op job: enqueue it to check that a worker takes jobs from the queue."""
    return "pong"


def _guarded(name: str, job: Callable[[], int], results: dict[str, int]) -> None:
    """Run one job so that its failure is logged and the others still run."""
    try:
        results[name] = job()
    except Exception:
        log.exception("scheduled job %s failed; it runs again on the next tick", name)
        results["errors"] = results.get("errors", 0) + 1


def deliver_events() -> dict[str, int]:
    """Deliver the outbox until it is empty (in batches), for the every-second tick."""
    results: dict[str, int] = {}

    def deliver_all() -> int:
        total = 0
        while True:
            delivered = deliver_pending(limit=DELIVERY_BATCH)
            total += delivered
            if delivered < DELIVERY_BATCH:
                return total

    _guarded("delivered", deliver_all, results)
    _guarded("postbacks", send_due_postbacks, results)  # partner postbacks those events queued, and retries
    _guarded("webhooks", webhooks.send_due, results)  # integrations' webhooks those events queued, and retries
    _guarded("sequence_steps", nurture.run_due, results)  # due sequence steps, then the mail they queued
    _guarded("marketing_mail", nurture_mail.send_queued, results)
    return results


def run_periodic(now: datetime | None = None) -> dict[str, int]:
    """The slower periodic services; each one claims its rows, so workers may overlap."""
    now = now or timezone.now()
    results: dict[str, int] = {}
    _guarded("submissions_retried", lambda: retry_due(now=now), results)  # first: leads before their timers
    _guarded("escalated", lambda: escalate_unclaimed(now=now), results)
    _guarded("returned", lambda: return_deferred(now=now), results)
    _guarded("reminded", lambda: remind_due_tasks(now=now), results)
    _guarded("sla_warned", lambda: warn_sla_breaches(now=now), results)
    _guarded("optimized", lambda: optimize_database(now=now), results)
    _guarded("mail_taken", poll_mailboxes_when_due, results)
    _guarded("scoring", lambda: retrain_when_due(now=now), results)
    _guarded("enrolled", lambda: nurture.enroll_entering(now=now), results)
    _guarded("cooled", lambda: cool_down(now=now), results)  # points fade: hot -> warm -> cold
    _guarded("login_log_pruned", lambda: prune_login_log(now=now), results)
    _guarded("backed_up", lambda: backup_when_due(now=now), results)
    return results


OPTIMIZE = Every(3600.0)


def optimize_database(*, now: datetime | None = None) -> int:
    """SQLite: refresh the planner's statistics (`PRAGMA optimize`) once an hour.

    Without them SQLite guesses, and a list page may sort a whole team instead of reading the
    newest-first index. PostgreSQL keeps its own statistics (autovacuum), so nothing to do there.
    """
    from django.db import connection

    if connection.vendor != "sqlite":
        return 0
    first = not OPTIMIZE.ran
    if not OPTIMIZE.due((now or timezone.now()).timestamp()):
        return 0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if first else "PRAGMA optimize")
    return 1


def run_scheduled_once(now: datetime | None = None) -> dict[str, int]:
    """One full scheduler tick: the periodic services, then delivery of every event they wrote.

    Returns how many leads were escalated and returned, tasks reminded and events delivered,
    plus "errors" when a job failed (it is logged; the others still ran).
    """
    results = run_periodic(now)
    delivered = deliver_events()
    results["delivered"] = delivered.get("delivered", 0)
    if delivered.get("errors"):
        results["errors"] = results.get("errors", 0) + delivered["errors"]
    return results


class Scheduler(threading.Thread):
    """Delivers events every second and runs the periodic services every `interval` seconds."""

    def __init__(self, *, stop: threading.Event, interval: float, parent_pid: int | None = None) -> None:
        super().__init__(name="leadflow-scheduler", daemon=True)
        self.stop = stop
        self.interval = interval
        self.parent_pid = parent_pid

    def run(self) -> None:
        next_periodic = time.monotonic()
        try:
            while not self.stop.is_set():
                if self.parent_pid is not None and os.getppid() != self.parent_pid:
                    # `leadflow run` died without stopping us (SIGKILL, crash): do not linger.
                    log.warning("parent process %s is gone; stopping the worker", self.parent_pid)
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
                # Like a request: drop a connection that broke or outlived CONN_MAX_AGE, before and after.
                close_old_connections()
                try:
                    if time.monotonic() >= next_periodic:
                        results = run_periodic()
                        next_periodic = time.monotonic() + self.interval
                        if any(results.get(key) for key in ("escalated", "returned", "reminded")):
                            log.info("periodic jobs: %s", results)
                    deliver_events()
                except Exception:  # the jobs guard themselves; this keeps the loop alive regardless
                    log.exception("scheduler tick failed")
                finally:
                    close_old_connections()
                self.stop.wait(DELIVERY_INTERVAL)
        finally:
            connections.close_all()


class QueueWorker(Worker):
    """django-tasks-db's worker, which also stops the scheduler when it is told to stop."""

    def __init__(self, *, stop: threading.Event, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.stop = stop

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        self.stop.set()
        super().shutdown(signum, frame)


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"[:64]


def run_worker(
    *,
    queues: str = "*",
    poll_interval: float = 1.0,
    scheduler: bool = True,
    parent_pid: int | None = None,
) -> None:
    """Run until SIGTERM or SIGINT: jobs in this (main) thread, the scheduler in another."""
    stop = threading.Event()
    interval = float(settings.LEADFLOW_SCHEDULER_INTERVAL)
    scheduler_thread = Scheduler(stop=stop, interval=interval, parent_pid=parent_pid) if scheduler else None
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    log.info(
        "worker %s started: queues %s, scheduler %s",
        worker_id(),
        queues if isinstance(backend, DatabaseBackend) else "none (jobs run in-process)",
        f"every {interval:g} s" if scheduler else "off",
    )
    if scheduler_thread is not None:
        scheduler_thread.start()
    try:
        if isinstance(backend, DatabaseBackend):
            queue_worker = QueueWorker(
                stop=stop,
                queue_names=queues.split(","),
                interval=poll_interval,
                batch=False,
                backend_name=DEFAULT_TASK_BACKEND_ALIAS,
                startup_delay=False,
                max_tasks=None,
                worker_id=worker_id(),
                excluded_queue_names=[],
            )
            queue_worker.configure_signals()
            queue_worker.run()
        else:
            # Another task backend runs jobs itself (immediate) or elsewhere: only the scheduler here.
            def request_stop(signum: int, frame: FrameType | None) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, request_stop)
            signal.signal(signal.SIGINT, request_stop)
            while not stop.wait(0.5):
                pass
    finally:
        stop.set()
        if scheduler_thread is not None:
            scheduler_thread.join(timeout=30)
        log.info("worker %s stopped", worker_id())
