"""`leadflow privacy export --email X [--output FILE]` and `leadflow privacy erase --email X --as ADMIN --yes`."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from leadflow.accounts.models import User
from leadflow.clients.models import Client
from leadflow.core.errors import DomainError
from leadflow.leads.models import Lead
from leadflow.privacy import services


class Command(BaseCommand):
    help = "Export or erase a person's personal data (data-subject requests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--telegram", default="", help="a Telegram account (@name or a t.me link)")
        parser.add_argument("--lead", type=int)
        parser.add_argument("--client", type=int)
        parser.add_argument("--include", action="append", default=[],
                            help="a card (lead:7) that shares only a contact with the person's: take it in too")
        parser.add_argument("--strip", action="append", default=[],
                            help="a card left out (lead:7) that lists the person's contact among its other "
                                 "contacts: keep the card, take the contact off it (erased and tombstoned)")
        parser.add_argument("--output", help="export: write the JSON here instead of the terminal")
        parser.add_argument("--as", dest="as_user", help="erase: the administrator erasing (logged)")
        parser.add_argument("--reference", default="", help="erase: the request's reference (no personal data)")
        parser.add_argument("--yes", action="store_true", help="erase: do it without asking")

    def handle(self, *args: Any, **options: Any) -> None:
        lead = Lead.objects.filter(pk=options["lead"]).first() if options["lead"] else None
        client = Client.objects.filter(pk=options["client"]).first() if options["client"] else None
        if (options["lead"] and lead is None) or (options["client"] and client is None):
            raise CommandError("No such lead or client.")
        if not (lead or client or options["email"] or options["phone"] or options["telegram"]):
            raise CommandError("Name the person: --email, --phone, --telegram, --lead or --client.")
        try:
            person = services.find_person(lead=lead, client=client, email=options["email"], phone=options["phone"],
                                          telegram=options["telegram"], include=options["include"],
                                          strip=options["strip"])
        except DomainError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())) from error
        if person.is_empty:
            raise CommandError("Nothing found for this person.")
        if options["action"] == "export":
            document = services.export_person(person=person)
            text = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
            if options["output"]:
                with open(options["output"], "w", encoding="utf-8") as handle:
                    handle.write(text)
                self.stderr.write(f"Written to {options['output']}")
            else:
                self.stdout.write(text)
            return
        admin = User.objects.filter(username=options["as_user"] or "", is_active=True).first()
        if admin is None or not services.can_erase(admin):
            raise CommandError("--as must name an active administrator.")
        described = person.describe()
        self.stderr.write(f"Leads {described['lead_ids']}, clients {described['client_ids']}, "
                          f"e-mails {described['emails']}, phones {described['phones']}, "
                          f"Telegram {described['telegrams']}")
        for join in sorted(person.left_out.values(), key=lambda join: join.card):
            if join.kept_by is not None:
                self.stderr.write(f"Left out {join.ref}: still lists {join.value_text}, which erasure #{join.kept_by} "
                                  "left on it")
            else:
                self.stderr.write(f"Left out {join.ref}: shares {join.value_text} with "
                                  f"{services.card_ref(join.via) if join.via else 'the search'} but looks like "
                                  "another person (--include it if it is theirs)")
            removable = sorted(services.value_text(value) for value in person.removable.get(join.card, ()))
            if join.card in person.stripped:
                self.stderr.write(f"  {', '.join(removable)} will be taken off {join.ref}'s other contacts; the "
                                  "card stays")
            elif removable:
                self.stderr.write(f"  it lists {', '.join(removable)} among its other contacts: --strip "
                                  f"{join.ref} takes only that off it (the card stays)")
        if not options["yes"]:
            if not sys.stdin.isatty() or input("Erase for good? Type 'erase': ").strip() != "erase":
                raise CommandError("Not confirmed: nothing erased (use --yes).")
        log = services.erase_person(person=person, by=admin, reference=options["reference"])
        self.stdout.write(json.dumps({"erasure": log.pk, "counts": log.counts, "tombstones": log.tombstones,
                                      "left_out": log.left_out, "redacted": log.redacted}))
