"""`leadflow createtoken USERNAME`: issue a personal API token and print it once."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leadflow.accounts.models import User, UserToken


class Command(BaseCommand):
    help = "Issue a personal API token for a user (Authorization: Bearer ...). It is shown only once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="A label to tell the token apart later.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        if not user.is_active:
            raise CommandError(f"User {user.username!r} is not active.")
        _, raw = UserToken.issue(user=user, name=options["name"][:80])
        # Only the token on stdout, so scripts can capture it; the hint goes to stderr.
        self.stdout.write(raw)
        self.stderr.write(
            f"Token for {user.username}; it is shown only once. Use it as `Authorization: Bearer <token>`."
        )
