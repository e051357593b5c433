"""`leadflow worker`: run background jobs and the scheduler until SIGTERM / Ctrl+C."""

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from leadflow.worker import run_worker


class Command(BaseCommand):
    help = (
        "Run the worker: jobs from the database queue, outbox delivery every second and the "
        "periodic services (escalation, deferred leads, reminders). Stops cleanly on SIGTERM or Ctrl+C."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--queues", default="*", help="Comma-separated queue names, '*' for all (default).")
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=1.0,
            help="Seconds to wait for new jobs when the queue is empty (default 1).",
        )
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Only run queued jobs; leave the scheduler to another worker."
        )
        parser.add_argument(
            "--exit-with-parent",
            action="store_true",
            help="Stop when the parent process is gone (used by `leadflow run`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run_worker(
            queues=options["queues"],
            poll_interval=options["poll_interval"],
            scheduler=not options["no_scheduler"],
            parent_pid=os.getppid() if options["exit_with_parent"] else None,
        )
