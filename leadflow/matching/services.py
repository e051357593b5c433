"""Find existing cards for a person's facts, and keep the identity keys they are found by.

`find` is the one replaceable lookup the intake pipeline calls (exact keys for now; the matching
issue replaces its insides with fuzzy scoring, keeping the signature).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from leadflow.matching.models import CardType, IdentityKey, KeyKind


@dataclass(frozen=True)
class PhoneFact:
    e164: str
    extension: str = ""


@dataclass
class Facts:
    """What a submission says about a person, already normalised."""

    phones: list[PhoneFact] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    inn: str = ""


@dataclass
class Candidate:
    """A card that may be the same person, with a score in [0, 1] and the reasons for it."""

    card_type: str
    card_id: int
    score: float
    reasons: list[str]


def _key_filter(facts: Facts) -> Q | None:
    condition = Q()
    for phone in facts.phones:
        # Same office line with different extensions is two people: extensions must agree.
        condition |= Q(kind=KeyKind.PHONE, value=phone.e164, extension=phone.extension)
    for email in facts.emails:
        condition |= Q(kind=KeyKind.EMAIL, value=email)
    if facts.inn:
        condition |= Q(kind=KeyKind.INN, value=facts.inn)
    return condition or None


def find(facts: Facts) -> list[Candidate]:
    """Cards (leads, contacts, companies) sharing an exact normalised phone, e-mail or INN."""
    condition = _key_filter(facts)
    if condition is None:
        return []
    found: dict[tuple[str, int], Candidate] = {}
    for key in IdentityKey.objects.filter(condition).exclude(card_type=CardType.INTEREST).order_by("id"):
        reason = {"phone": "phone equal", "email": "e-mail equal", "inn": "INN equal"}[key.kind]
        candidate = found.setdefault(
            (key.card_type, key.card_id), Candidate(key.card_type, key.card_id, 1.0, [])
        )
        if reason not in candidate.reasons:
            candidate.reasons.append(reason)
    return list(found.values())


def cards_with_keys(facts: Facts, *, card_type: str) -> list[int]:
    """Ids of cards of one type sharing any exact key (e.g. interests a new lead should absorb)."""
    condition = _key_filter(facts)
    if condition is None:
        return []
    return list(
        IdentityKey.objects.filter(condition, card_type=card_type).values_list("card_id", flat=True).distinct()
    )


def register_keys(*, card_type: str, card_id: int, facts: Facts) -> None:
    """Index a card's contacts so later submissions find it with one lookup."""
    rows = [
        IdentityKey(kind=KeyKind.PHONE, value=p.e164, extension=p.extension, card_type=card_type, card_id=card_id)
        for p in facts.phones
    ] + [
        IdentityKey(kind=KeyKind.EMAIL, value=e, card_type=card_type, card_id=card_id) for e in facts.emails
    ]
    if facts.inn:
        rows.append(IdentityKey(kind=KeyKind.INN, value=facts.inn, card_type=card_type, card_id=card_id))
    if rows:
        IdentityKey.objects.bulk_create(rows, ignore_conflicts=True)


def move_keys(*, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
    """Re-point a card's keys to another card (conversion, merge), keeping duplicates out."""
    for key in IdentityKey.objects.filter(card_type=from_type, card_id=from_id):
        register_keys(
            card_type=to_type,
            card_id=to_id,
            facts=Facts(
                phones=[PhoneFact(key.value, key.extension)] if key.kind == KeyKind.PHONE else [],
                emails=[key.value] if key.kind == KeyKind.EMAIL else [],
                inn=key.value if key.kind == KeyKind.INN else "",
            ),
        )


def lock_identity(facts: Facts) -> None:
    """Serialise concurrent submissions of the same person, so two cannot both create a lead.

    On PostgreSQL, a transaction-scoped advisory lock per key (taken in sorted order, so two
    submissions sharing keys never deadlock); SQLite already serialises writers (IMMEDIATE).
    """
    if connection.vendor != "postgresql":
        return
    keys: Iterable[str] = sorted(
        {f"phone:{p.e164}" for p in facts.phones} | {f"email:{e}" for e in facts.emails}
    )
    with connection.cursor() as cursor:
        for key in keys:
            number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def facts_of_lead(lead: object) -> Facts:
    """A stored lead's identity facts, as a submission would state them."""
    phone = getattr(lead, "phone", "")
    email = getattr(lead, "email", "")
    return Facts(
        phones=[PhoneFact(phone, getattr(lead, "phone_ext", ""))] if phone else [],
        emails=[email] if email else [],
    )
