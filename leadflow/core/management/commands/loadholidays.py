"""`leadflow loadholidays RU 2027 [--team NAME]`: a country's year of holidays into the working calendar."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leadflow.accounts.calendar import load_public_holidays
from leadflow.accounts.models import Team
from leadflow.core.errors import InvalidInput


class Command(BaseCommand):
    help = ("Add a country's public holidays and days off (non-working) and its weekend days made working days "
            "(working) for a year to the working calendar; dates already there are kept as they are.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("country", help="Two-letter country code: RU, KZ, US, ...")
        parser.add_argument("year", type=int)
        parser.add_argument("--team", help="A team's own calendar (its name) instead of the company's.")

    def handle(self, *args: Any, **options: Any) -> None:
        team = None
        if options["team"]:
            team = Team.objects.filter(name=options["team"]).first()
            if team is None:
                raise CommandError(f"--team: no team named {options['team']!r}.")
        try:
            loaded = load_public_holidays(country=options["country"], year=options["year"], team=team)
        except InvalidInput as error:
            raise CommandError("; ".join(f"{field}: {' '.join(problems)}"
                                         for field, problems in error.fields.items())) from error
        where = f"team {team.name}" if team else "the company"
        self.stdout.write(f"{options['country'].upper()} {options['year']} for {where}: {loaded.created} dates added, "
                          f"{loaded.kept} already there kept. Shortened pre-holiday days are not loaded: "
                          "add them in the admin (working day, shortened by 60 minutes).")
