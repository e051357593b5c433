"""`leadflow createadmin`: create a superuser with the admin role, interactively or from options."""

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from leadflow.accounts.models import Role, User


class Command(BaseCommand):
    help = (
        "Create an administrator (superuser, role admin). Asks for what is missing, or pass "
        "--username, --password and --email (with --no-input) to run without a terminal."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username")
        parser.add_argument("--password", help="Visible in the process list; prefer the prompt.")
        parser.add_argument("--email", default=None)
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Never prompt; fail if something is missing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username, password, email = options["username"], options["password"], options["email"]
        interactive = options["interactive"] and self._has_terminal()
        if not username:
            username = self._ask("Username: ") if interactive else None
        if not username:
            raise CommandError("A username is needed (--username).")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"User {username!r} already exists.")
        if email is None:
            email = self._ask("E-mail (optional): ") if interactive else ""
        if not password and not interactive:
            raise CommandError("A password is needed (--password, or run it in a terminal).")
        candidate = User(username=username, email=email or "")
        while True:
            attempt = password or self._ask_password()
            try:
                validate_password(attempt, user=candidate)
            except ValidationError as error:
                if password:  # given as an option: nobody to ask again
                    raise CommandError("Password rejected: " + " ".join(error.messages)) from error
                self.stderr.write("Password rejected: " + " ".join(error.messages))
                continue
            password = attempt
            break
        User.objects.create_superuser(username=username, email=email or "", password=password, role=Role.ADMIN)
        self.stdout.write(self.style.SUCCESS(f"Administrator {username!r} created; log in at /admin/."))

    def _has_terminal(self) -> bool:
        return sys.stdin is not None and sys.stdin.isatty()

    def _ask(self, prompt: str) -> str:
        return input(prompt).strip()

    def _ask_password(self) -> str:
        while True:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Password (again): ")
            if first and first == second:
                return first
            self.stderr.write("The passwords are empty or differ; try again.")
