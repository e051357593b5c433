"""Identity keys for the contacts a person gave that were stored before they had keys.

Every contact a card is found by is one of its identity keys: its own phone and e-mail, its other contacts, what
its requests also gave. Cards stored before that (a client contact's other contacts carried over by the migration
clients.0007, a lead's other contacts or a request's "Also gave" from before they were keyed) get their keys here,
so the matcher, the telephony lookup and a data-subject request (privacy.find_person) read one place: the keys.
Run by the migration matching.0003; running it again adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps as django_apps

from leadflow.matching.keys import keys_from_features
from leadflow.matching.normalize import split_phone_text
from leadflow.matching.record import Record, features

BATCH = 1000


def key_values(texts: Iterable[Any]) -> set[tuple[str, str, str]]:
    """(kind, value, extension) of the phones (as other contacts keep them, "+74951234567 ext. 12") and e-mails:
    the values register_keys would write (an e-mail's canonical mailbox, a phone's E.164 and extension)."""
    emails = tuple(t.strip() for t in texts if isinstance(t, str) and "@" in t)
    phones = {split_phone_text(t.strip()) for t in texts if isinstance(t, str) and t.strip().startswith("+")}
    found = {(kind, value, "") for kind, value in keys_from_features(features(Record(id="given", emails=emails)))
             if kind == "email"}
    found.update(("phone", e164, extension) for e164, extension in phones if e164[1:].isdigit())
    return found


def _facts_contacts(facts: Any) -> list[str]:
    """Every phone and e-mail a request gave (its own and "Also gave"), as other contacts keep them."""
    if not isinstance(facts, dict):
        return []
    phone, extension = facts.get("phone"), facts.get("phone_ext")
    texts = [f"{phone} ext. {extension}" if extension else phone] if isinstance(phone, str) else []
    texts += [facts["email"]] if isinstance(facts.get("email"), str) else []
    for name in ("other_phones", "other_emails"):
        texts += [t for t in facts.get(name) or [] if isinstance(t, str)] if isinstance(facts.get(name), list) else []
    return [t for t in texts if t]


def register_given_contacts(*, apps: Any = None) -> None:
    """Keys for the other contacts of leads and client contacts and for every contact their requests gave; an
    erased or merged card is left alone (its keys were removed or moved on purpose)."""
    apps = apps or django_apps
    key_model = apps.get_model("matching", "IdentityKey")
    lead_model, contact_model = apps.get_model("leads", "Lead"), apps.get_model("clients", "Contact")
    request_model = apps.get_model("leads", "Request")
    rows: list[Any] = []

    def add(card_type: str, card_id: int, texts: Iterable[Any]) -> None:
        rows.extend(key_model(kind=kind, value=value, extension=extension, card_type=card_type, card_id=card_id)
                    for kind, value, extension in key_values(texts))
        if len(rows) >= BATCH:
            key_model.objects.bulk_create(rows, ignore_conflicts=True)
            rows.clear()

    leads = lead_model.objects.filter(erased_at__isnull=True, merged_into__isnull=True)
    for pk, others in leads.values_list("pk", "other_contacts").iterator(chunk_size=BATCH):
        if isinstance(others, list) and others:
            add("lead", pk, others)
    contacts = contact_model.objects.filter(merged_into__isnull=True)
    for pk, others in contacts.values_list("pk", "other_contacts").iterator(chunk_size=BATCH):
        if isinstance(others, list) and others:
            add("contact", pk, others)
    requests = request_model.objects.filter(lead__erased_at__isnull=True, lead__merged_into__isnull=True)
    for lead_id, facts in requests.values_list("lead_id", "facts").iterator(chunk_size=BATCH):
        add("lead", lead_id, _facts_contacts(facts))
    requests = request_model.objects.filter(client__erased_at__isnull=True, client__contact__isnull=False,
                                            client__contact__merged_into__isnull=True)
    for contact_id, facts in requests.values_list("client__contact_id", "facts").iterator(chunk_size=BATCH):
        add("contact", contact_id, _facts_contacts(facts))
    if rows:
        key_model.objects.bulk_create(rows, ignore_conflicts=True)
