"""`leadflow smtpd`: serve SMTP for the configured lead addresses until Ctrl+C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from leadflow.inbox.smtp import Recipients, SmtpServer


class Command(BaseCommand):
    help = (
        "Receive e-mail over SMTP for the configured addresses (LEADFLOW_SMTPD_ADDRESSES) and turn it into "
        "leads. Other recipients are refused with 550."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=settings.LEADFLOW_SMTPD_HOST,
                            help="Address to listen on (LEADFLOW_SMTPD_HOST, default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=settings.LEADFLOW_SMTPD_PORT,
                            help="Port (LEADFLOW_SMTPD_PORT, default 2525; 0 picks a free one).")
        parser.add_argument("--address", action="append", dest="addresses", metavar="ADDRESS",
                            help="Accepted recipient, repeatable; \"@example.com\" accepts a domain "
                                 "(default: LEADFLOW_SMTPD_ADDRESSES).")
        parser.add_argument("--max-bytes", type=int, default=settings.LEADFLOW_SMTPD_MAX_BYTES,
                            help="Largest message accepted (LEADFLOW_SMTPD_MAX_BYTES, default 25 MB).")

    def handle(self, *args: Any, **options: Any) -> None:
        addresses = options["addresses"] or settings.LEADFLOW_SMTPD_ADDRESSES
        if not Recipients(addresses):
            raise CommandError("No addresses to take mail for: set LEADFLOW_SMTPD_ADDRESSES or give --address.")
        if options["max_bytes"] <= 0:
            raise CommandError("--max-bytes must be a positive number of bytes.")
        server = SmtpServer(host=options["host"], port=options["port"], recipients=addresses,
                            max_bytes=options["max_bytes"])
        try:
            port = server.start()
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {error.strerror or error}. "
                "Set LEADFLOW_SMTPD_PORT (or --port) to use another port."
            ) from error
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self.stdout.write(f"SMTP server listening on {options['host']}:{port} for {server.recipients}")
        self.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            server.stop()
            self.stdout.write("SMTP server stopped.")
            self.stdout.flush()
