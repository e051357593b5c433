"""`leadflow run`: everything on one machine with one command (ARCHITECTURE.md "Running it").

Migrates, loads the demo on the first run (no users yet), starts `leadflow worker` as a child
process and serves HTTP with waitress in this process until Ctrl+C or SIGTERM, then stops the
worker cleanly.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from leadflow.accounts.models import User
from leadflow.demo import build_demo, demo_present, describe

log = logging.getLogger("leadflow.run")

WORKER_RESTART_DELAY = 5.0
WORKER_STOP_TIMEOUT = 20.0


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


class WorkerSupervisor:
    """Keeps one `leadflow worker` child running, restarting it if it dies, and stops it on request."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.watcher = threading.Thread(target=self._watch, name="leadflow-worker-watch", daemon=True)

    def start(self) -> int:
        self._spawn()
        self.watcher.start()
        assert self.process is not None
        return self.process.pid

    def _spawn(self) -> None:
        # A session of its own: Ctrl+C reaches only `run`, which then stops the worker once,
        # in order, instead of both receiving SIGINT at the same time.
        self.process = subprocess.Popen(self.command, start_new_session=True)  # noqa: S603

    def _watch(self) -> None:
        while not self.stopping.wait(1.0):
            with self.lock:
                code = self.process.poll() if self.process else 0
            if code is None:
                continue
            log.error("the worker exited with code %s; restarting it in %g s", code, WORKER_RESTART_DELAY)
            if self.stopping.wait(WORKER_RESTART_DELAY):
                return
            with self.lock:
                if not self.stopping.is_set():
                    self._spawn()

    def stop(self) -> int | None:
        """SIGTERM the worker and wait for it to finish its current job; kill it if it hangs."""
        self.stopping.set()
        with self.lock:
            process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(WORKER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log.warning("the worker did not stop within %g s; killing it", WORKER_STOP_TIMEOUT)
                process.kill()
                process.wait()
        return process.returncode


def _stop_serving(signum: int, frame: FrameType | None) -> None:
    # waitress's loop catches SystemExit and shuts its threads down; we then stop the worker.
    raise SystemExit(0)


def proxy_options() -> dict[str, Any]:
    """Behind a reverse proxy (nginx, a load balancer), LEADFLOW_TRUSTED_PROXY names its address
    ("*" for any): waitress then takes the visitor's address and scheme from its X-Forwarded-For /
    -Proto / -Host headers, so per-IP limits and the journal see the visitor, not the proxy. Those
    headers from anyone else are dropped."""
    proxy = settings.LEADFLOW_TRUSTED_PROXY
    if not proxy:
        return {}
    return {
        "trusted_proxy": proxy, "trusted_proxy_count": 1, "clear_untrusted_proxy_headers": True,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
    }


class Command(BaseCommand):
    help = (
        "Run Leadflow: migrate, load demo data on the first run, start the worker and serve HTTP "
        "(LEADFLOW_HOST, LEADFLOW_PORT, LEADFLOW_WEB_THREADS). Ctrl+C or SIGTERM stops both."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--host",
            default=os.environ.get("LEADFLOW_HOST", "127.0.0.1"),
            help="Address to listen on (LEADFLOW_HOST, default 127.0.0.1).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=env_int("LEADFLOW_PORT", 8000),
            help="Port (LEADFLOW_PORT, default 8000; 0 picks a free one).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=env_int("LEADFLOW_WEB_THREADS", 8),
            help="Web threads (LEADFLOW_WEB_THREADS, default 8).",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start a worker (run `leadflow worker` elsewhere)."
        )
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data on the first run.")

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import create_server

        from leadflow.wsgi import application

        self.stdout.write(f"Leadflow: preparing the database ({self._database()})...")
        self.stdout.flush()
        call_command("migrate", interactive=False, verbosity=0)
        first_run = not User.objects.exists()
        result = build_demo() if first_run and not options["no_demo"] else None
        has_demo = result is not None or demo_present()
        has_users = User.objects.exists()
        connections.close_all()  # the web threads and the worker open their own

        try:
            server = create_server(
                application, host=options["host"], port=options["port"], threads=options["threads"], ident="Leadflow",
                **proxy_options(),
            )
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {error.strerror or error}. "
                "Is Leadflow already running? Set LEADFLOW_PORT (or --port) to use another port."
            ) from error
        port = getattr(server, "effective_port", options["port"])
        host = options["host"]
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104
        base_url = f"http://{'[' + shown_host + ']' if ':' in shown_host else shown_host}:{port}"

        if not os.environ.get("LEADFLOW_BASE_URL"):
            # Not configured: links in e-mails and snippets point where this server listens (another --port than
            # the default's 8000 included), in the web threads and in the worker, which inherits the environment.
            os.environ["LEADFLOW_BASE_URL"] = settings.LEADFLOW_BASE_URL = base_url
        smtp_server = self._start_smtpd(server) if settings.LEADFLOW_SMTPD_IN_RUN else None
        supervisor = None
        if not options["no_worker"]:
            supervisor = WorkerSupervisor([sys.executable, "-m", "leadflow.cli", "worker", "--exit-with-parent"])
            pid = supervisor.start()
            self.stdout.write(f"Worker started (pid {pid}).")

        self._banner(base_url, result=result, has_demo=has_demo, has_users=has_users)
        signal.signal(signal.SIGTERM, _stop_serving)
        try:
            server.run()
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one stop at a time; Ctrl+C still forces
            self.stdout.write("Stopping...")
            self.stdout.flush()
            server.close()
            if smtp_server is not None:
                smtp_server.stop()
            if supervisor is not None:
                code = supervisor.stop()
                self.stdout.write(f"Worker stopped (exit code {code}).")
            self.stdout.write("Leadflow stopped.")
            self.stdout.flush()

    def _start_smtpd(self, web_server: Any) -> Any:
        """LEADFLOW_SMTPD_IN_RUN: `leadflow smtpd` in this process, for a one-machine installation."""
        from leadflow.inbox.smtp import SmtpServer

        host, port = settings.LEADFLOW_SMTPD_HOST, settings.LEADFLOW_SMTPD_PORT
        smtp_server = SmtpServer(host=host, port=port, recipients=settings.LEADFLOW_SMTPD_ADDRESSES,
                                 max_bytes=settings.LEADFLOW_SMTPD_MAX_BYTES)
        try:
            if not smtp_server.recipients:
                raise CommandError("LEADFLOW_SMTPD_IN_RUN needs LEADFLOW_SMTPD_ADDRESSES (addresses to take mail for).")
            port = smtp_server.start()
        except OSError as error:
            web_server.close()
            raise CommandError(f"Cannot listen for SMTP on {host}:{port}: {error.strerror or error}.") from error
        except CommandError:
            web_server.close()
            raise
        self.stdout.write(f"SMTP server listening on {host}:{port} for {smtp_server.recipients}.")
        return smtp_server

    def _database(self) -> str:
        if connection.vendor == "sqlite":
            return f"SQLite {settings.DATABASES['default']['NAME']}"
        params = settings.DATABASES["default"]
        return f"{connection.vendor} {params.get('NAME')} on {params.get('HOST') or 'localhost'}"

    def _banner(self, base_url: str, *, result: Any, has_demo: bool, has_users: bool) -> None:
        lines = [
            "",
            f"Leadflow is running at {base_url}/",
            f"  Admin:     {base_url}/admin/",
            f"  API docs:  {base_url}/api/docs",
            "",
        ]
        if result is not None:
            lines += describe(result, base_url=base_url)
        elif has_demo:
            lines += describe(build_demo(), base_url=base_url)[1:]
        elif has_users:
            lines.append(f"Log in at {base_url}/admin/ (a new administrator: `leadflow createadmin`).")
        else:
            lines.append("No users yet: create an administrator with `leadflow createadmin`.")
        if base_url.rstrip("/") != settings.LEADFLOW_BASE_URL.rstrip("/"):
            lines.append(
                f"(Links in e-mails use LEADFLOW_BASE_URL={settings.LEADFLOW_BASE_URL}; set it to "
                "the address people use.)"
            )
        lines += ["", "Press Ctrl+C to stop.", ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
