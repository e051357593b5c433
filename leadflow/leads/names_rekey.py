"""Names split before the parser knew particles ("фон Бок Мария" read as Фон / Мария / Бок), split again.

Run by the migration `leads.0023_rekey_particle_names` and by `leadflow rekeynames` (which also says what it would
change with --dry-run). A lead is re-split only from the name its first request gave (the journal's raw payload), and
only when its stored parts are the same words as the new split in another arrangement: a name a manager edited since
is left as it is. The new parts are audited on the card (by Leadflow) and the name keys follow them, so the person
is found under the same keys as a new submission of the same name. Interests keep the name as given: their name keys
are made again from it.

A client's contact (with `contacts`: the command, and the migration clients.0007 after the leads are done) is split
again the same way, from the name its lead's first request gave, or an import row of its client gave; the change is
audited on its clients, and a private client named after the person is renamed with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as django_apps
from django.db import transaction

from leadflow.matching import normalize
from leadflow.matching import services as matching
from leadflow.matching.models import CardType

_PARTICLES = frozenset(normalize._ALL_PARTICLES)


@dataclass
class Report:
    leads: list[tuple[int, str, str]] = field(default_factory=list)  # (id, old full name, new full name)
    contacts: list[tuple[int, str, str]] = field(default_factory=list)  # the same, of client contacts
    interests: int = 0
    skipped: int = 0  # candidates with no raw name, or edited since


def _suspect(*parts: str) -> bool:
    """A particle stands as a word of a name part on its own: what the old parser left of "фон Бок"."""
    return any(word.casefold().replace("ё", "е") in _PARTICLES for part in parts for word in part.split())


def _words(*parts: str) -> list[str]:
    return sorted(word.casefold() for part in parts for word in part.split())


def _raw_name(lead: Any, get: Callable[[str, str], Any]) -> normalize.PersonName | None:
    """The name as the lead's first request gave it (the journal's raw payload), split by today's parser."""
    first = get("leads", "Request").objects.filter(lead_id=lead.pk).exclude(submission_id=None).order_by(
        "created_at", "id").first()
    submission = get("intake", "Submission").objects.filter(pk=first.submission_id).first() if first else None
    return _name_in(submission.payload if submission is not None else None)


def _name_in(payload: Any) -> normalize.PersonName | None:
    """The person's name a journaled payload gave, split by today's parser; None without one."""
    payload = payload if isinstance(payload, dict) else {}
    texts = {key: payload.get(key) if isinstance(payload.get(key), str) else "" for key in
             ("name", "first_name", "last_name", "middle_name")}
    if texts["first_name"] or texts["last_name"]:
        return normalize.person_name_from_parts(first=texts["first_name"], last=texts["last_name"],
                                                middle=texts["middle_name"])
    return normalize.split_person_name(texts["name"]) if texts["name"] else None


def _replace_name_keys(get: Callable[[str, str], Any], card_type: str, card_id: int, facts: matching.Facts) -> None:
    """matching.replace_keys with the given models (a migration's historical ones)."""
    key_model = get("matching", "IdentityKey")
    key_model.objects.filter(card_type=card_type, card_id=card_id).exclude(kind__in=matching.CONTACT_KINDS).delete()
    rows = [key_model(kind=row.kind, value=row.value, extension=row.extension, card_type=row.card_type,
                      card_id=row.card_id) for row in matching._rows(card_type, card_id, facts)]
    key_model.objects.bulk_create(rows, ignore_conflicts=True)


def rekey(*, dry_run: bool = False, apps: Any = None, contacts: bool = False) -> Report:
    """Split again the names the old parser split wrong; see the module's text. `apps`: a migration's registry;
    `contacts`: client contacts too (rekey_contacts)."""
    get = apps.get_model if apps is not None else django_apps.get_model
    lead_model, interest_model = get("leads", "Lead"), get("leads", "Interest")
    change_model = get("leads", "FieldChange")
    report = Report()
    # One pass over the names only (a scan: a particle may be any word of any part); the few suspects are read whole.
    names = lead_model.objects.values_list("pk", "last_name", "first_name", "middle_name").order_by("pk")
    suspects = [pk for pk, *parts in names.iterator(chunk_size=5000) if _suspect(*parts)]
    for lead in lead_model.objects.filter(pk__in=suspects).order_by("pk") if suspects else []:
        name = _raw_name(lead, get)
        stored = (lead.last_name, lead.first_name, lead.middle_name)
        if name is None or _words(*stored) != _words(name.last, name.first, name.middle):
            report.skipped += 1
            continue
        new = (name.last, name.first, name.middle)
        if new == stored:
            continue
        report.leads.append((lead.pk, lead.full_name, name.full))
        if dry_run:
            continue
        with transaction.atomic():
            for field_name, old, value in zip(("last_name", "first_name", "middle_name"), stored, new, strict=True):
                if old != value:  # on the card's history, by Leadflow
                    change_model.objects.create(lead_id=lead.pk, field=field_name, old_value=old, new_value=value)
            lead.last_name, lead.first_name, lead.middle_name = new
            lead.full_name = name.full
            # Lead.folded_search_text, written here as a migration's model has no save() of the app's
            search_text = " ".join(part for part in (lead.full_name, lead.company_name, lead.email, lead.phone)
                                   if part).casefold()
            lead_model.objects.filter(pk=lead.pk).update(
                last_name=lead.last_name, first_name=lead.first_name, middle_name=lead.middle_name,
                full_name=lead.full_name, search_text=search_text)
            _replace_name_keys(get, CardType.LEAD, lead.pk, matching.facts_of_lead(lead))
    given = interest_model.objects.values_list("pk", "name").order_by("pk")
    interest_ids = [pk for pk, name in given.iterator(chunk_size=5000) if _suspect(name)]
    for interest in interest_model.objects.filter(pk__in=interest_ids).order_by("pk") if interest_ids else []:
        name = normalize.split_person_name(interest.name)
        report.interests += 1
        if dry_run:
            continue
        facts = matching.Facts(
            phones=[matching.PhoneFact(interest.phone, interest.phone_ext)] if interest.phone else [],
            emails=[interest.email] if interest.email else [], first_name=name.first, last_name=name.last,
            middle_name=name.middle, company=interest.company_name)
        _replace_name_keys(get, CardType.INTEREST, interest.pk, facts)
    if contacts:
        rekey_contacts(report, dry_run=dry_run, apps=apps)
    return report


def _contact_names(contact: Any, clients: list[Any], get: Callable[[str, str], Any]) -> list[normalize.PersonName]:
    """The names the contact was made from, as given: its client's lead's first request, its clients' import rows."""
    found = [name for client in clients if client.lead_id for name in [_raw_name(client.lead, get)] if name]
    rows = get("intake", "Submission").objects.filter(client_id__in=[client.pk for client in clients]).order_by(
        "received_at", "id").values_list("payload", flat=True)
    return found + [name for name in map(_name_in, rows[:50]) if name is not None]


def rekey_contacts(report: Report, *, dry_run: bool = False, apps: Any = None) -> Report:
    """Client contacts split wrong, split again from a name as given whose words are theirs; see the module."""
    get = apps.get_model if apps is not None else django_apps.get_model
    contact_model, client_model = get("clients", "Contact"), get("clients", "Client")
    change_model = get("leads", "FieldChange")
    names = contact_model.objects.values_list("pk", "last_name", "first_name", "middle_name").order_by("pk")
    suspects = [pk for pk, *parts in names.iterator(chunk_size=5000) if _suspect(*parts)]
    for contact in contact_model.objects.filter(pk__in=suspects).select_related("company").order_by(
            "pk") if suspects else []:
        stored = (contact.last_name, contact.first_name, contact.middle_name)
        clients = list(client_model.objects.filter(contact_id=contact.pk).select_related("lead").order_by("pk"))
        if contact.company_id:  # a colleague added by an import row of the company's client
            clients += list(client_model.objects.filter(company_id=contact.company_id).exclude(
                contact_id=contact.pk).select_related("lead").order_by("pk"))
        name = next((name for name in _contact_names(contact, clients, get)
                     if _words(*stored) == _words(name.last, name.first, name.middle)), None)
        if name is None:
            report.skipped += 1
            continue
        new = (name.last, name.first, name.middle)
        if new == stored:
            continue
        report.contacts.append((contact.pk, contact.full_name, name.full))
        if dry_run:
            continue
        with transaction.atomic():
            own = [client for client in clients if client.contact_id == contact.pk] or clients[:1]
            for client in own:  # on the client card's history, by Leadflow
                for field_name, old, value in zip(("last_name", "first_name", "middle_name"), stored, new,
                                                  strict=True):
                    if old != value:
                        change_model.objects.create(client_id=client.pk, field=field_name, old_value=old,
                                                    new_value=value)
                if client.company_id is None and client.name == contact.full_name:  # a private client: the person
                    change_model.objects.create(client_id=client.pk, field="name", old_value=client.name,
                                                new_value=name.full)
                    client_model.objects.filter(pk=client.pk).update(name=name.full)
            contact_model.objects.filter(pk=contact.pk).update(last_name=name.last, first_name=name.first,
                                                               middle_name=name.middle, full_name=name.full)
            company = contact.company
            _replace_name_keys(get, CardType.CONTACT, contact.pk, matching.Facts(
                first_name=name.first, last_name=name.last, middle_name=name.middle,
                company=company.name if company else "", city=company.city if company else ""))
    return report
