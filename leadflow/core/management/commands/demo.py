"""`leadflow demo`: load the demo data (teams, people, ~60 leads through the intake pipeline)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from leadflow.demo import build_demo, describe


class Command(BaseCommand):
    help = (
        "Load demo data: two teams, their people (password 'leadflow'), sources, a form, a partner "
        "and ~60 leads with their history. Does nothing if the demo users already exist."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = build_demo()
        for line in describe(result, base_url=settings.LEADFLOW_BASE_URL.rstrip("/")):
            self.stdout.write(line)
