"""Find existing cards for a person's facts, and keep the identity keys they are found by.

`find` is the one lookup the intake pipeline (and a card's duplicate list) calls: candidate cards
come from indexed keys (phones, e-mails, INN, name and company keys of `keys.candidate_keys`), then
each is scored against the new facts by `compare.compare`, which also says why.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q

from leadflow.core.rows import insert_many
from leadflow.matching.compare import LOWER_DEFAULT, UPPER_DEFAULT, compare, shares_contact
from leadflow.matching.keys import BLOCK_LIMITS, PERSON_KINDS, block_usable, candidate_keys
from leadflow.matching.models import CardType, IdentityKey, KeyKind
from leadflow.matching.normalize import split_phone_text
from leadflow.matching.record import Record

CONTACT_KINDS = (KeyKind.PHONE, KeyKind.EMAIL, KeyKind.INN)


@dataclass(frozen=True)
class PhoneFact:
    e164: str
    extension: str = ""


@dataclass
class Facts:
    """What a submission or a card says about a person, already normalised."""

    phones: list[PhoneFact] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    inn: str = ""
    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""
    company: str = ""
    city: str = ""

    def record(self, id: str = "new") -> Record:
        return Record(
            id=id, first_name=self.first_name, last_name=self.last_name, middle_name=self.middle_name,
            emails=tuple(self.emails), phones=tuple((p.e164, p.extension) for p in self.phones),
            company=self.company, inn=self.inn, city=self.city,
        )


@dataclass
class Candidate:
    """A card that may be the same person, with a score in [0, 1] and the reasons for it."""

    card_type: str
    card_id: int
    score: float
    reasons: list[str]

    @property
    def possible_duplicate(self) -> bool:
        """Whether the score says maybe the same person; a card found by `find_for_card` below it only shares a
        contact with them."""
        return self.score >= lower_threshold()


def upper_threshold() -> float:
    """At or above: the same person, attach automatically."""
    return float(getattr(settings, "LEADFLOW_MATCH_UPPER", UPPER_DEFAULT))


def lower_threshold() -> float:
    """At or above (and below the upper one): a possible duplicate for a person to decide."""
    return float(getattr(settings, "LEADFLOW_MATCH_LOWER", LOWER_DEFAULT))


def _candidate_refs(record: Record) -> set[tuple[str, int]]:
    """Cards sharing a person key with the record: one statement, one indexed range read per key.

    A key held by more cards than its kind's limit (a common name; a company's switchboard) is too
    common to say anything and is dropped: the person is then found by their other keys. Company keys
    are left out: they group colleagues, they do not find one person.
    """
    keys = sorted((kind, value) for kind, value in candidate_keys(record) if kind in PERSON_KINDS)
    if not keys:
        return set()
    table = connection.ops.quote_name(IdentityKey._meta.db_table)
    # Each branch reads at most limit + 1 rows of its key, so a crowded key costs no more than a rare one.
    # Only the quoted table name and branch numbers are formatted in; every value is a parameter.
    branch = ("SELECT * FROM (SELECT {n} AS branch, card_type, card_id FROM " + table +  # noqa: S608
              " WHERE kind = %s AND value = %s AND card_type <> %s LIMIT %s) AS k{n}")
    params: list[Any] = []
    for kind, value in keys:
        params += [kind, value, CardType.INTEREST, BLOCK_LIMITS.get(kind, 0) + 1]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branch.format(n=n) for n in range(len(keys))), params)
        rows = cursor.fetchall()
    per_key: dict[int, list[tuple[str, int]]] = {}
    for n, card_type, card_id in rows:
        per_key.setdefault(n, []).append((card_type, card_id))
    refs: set[tuple[str, int]] = set()
    for n, found in per_key.items():
        if block_usable(keys[n][0], len(found)):
            refs.update(found)
    return refs


def _in(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def load_records(refs: set[tuple[str, int]]) -> dict[tuple[str, int], Record]:
    """Records of stored leads and contacts, with every phone and e-mail their keys know.

    Plain SQL (three indexed reads by id): this runs on every submission, and the ORM spent several
    times the database's own time building these statements (docs/benchmarks.md, intake)."""
    from django.apps import apps

    lead_ids = sorted(card_id for card_type, card_id in refs if card_type == CardType.LEAD)
    contact_ids = sorted(card_id for card_type, card_id in refs if card_type == CardType.CONTACT)
    if not (lead_ids or contact_ids):
        return {}
    quote = connection.ops.quote_name
    keys, leads = quote(IdentityKey._meta.db_table), quote(apps.get_model("leads", "Lead")._meta.db_table)
    contact_model = apps.get_model("clients", "Contact")
    contacts = quote(contact_model._meta.db_table)
    companies = quote(contact_model._meta.get_field("company").related_model._meta.db_table)
    extra: dict[tuple[str, int], dict[str, set[Any]]] = {}
    people: list[tuple[str, tuple[Any, ...]]] = []
    # Only quoted table names and placeholders are formatted into these statements; values are parameters.
    with connection.cursor() as cursor:
        for card_type, ids in ((CardType.LEAD, lead_ids), (CardType.CONTACT, contact_ids)):
            if not ids:
                continue
            cursor.execute(
                f"SELECT card_id, kind, value, extension FROM {keys} "  # noqa: S608
                f"WHERE card_type = %s AND card_id IN ({_in(ids)}) AND kind IN (%s, %s)",
                [card_type, *ids, KeyKind.PHONE, KeyKind.EMAIL],
            )
            for card_id, kind, value, extension in cursor.fetchall():
                slot = extra.setdefault((card_type, card_id), {"phones": set(), "emails": set()})
                if kind == KeyKind.PHONE:
                    slot["phones"].add((value, extension))
                else:
                    slot["emails"].add(value)
        if lead_ids:
            cursor.execute(
                "SELECT id, first_name, last_name, middle_name, company_name, '', city, phone, phone_ext, email "  # noqa: S608
                f"FROM {leads} WHERE id IN ({_in(lead_ids)}) AND state <> %s",
                [*lead_ids, "merged"],
            )
            people += [(CardType.LEAD, row) for row in cursor.fetchall()]
        if contact_ids:
            cursor.execute(
                "SELECT c.id, c.first_name, c.last_name, c.middle_name, COALESCE(co.name, ''), "  # noqa: S608
                "COALESCE(co.inn, ''), COALESCE(co.city, ''), c.phone, c.phone_ext, c.email "
                f"FROM {contacts} c LEFT JOIN {companies} co ON co.id = c.company_id "
                f"WHERE c.id IN ({_in(contact_ids)})",
                contact_ids,
            )
            people += [(CardType.CONTACT, row) for row in cursor.fetchall()]
    records: dict[tuple[str, int], Record] = {}
    for card_type, (pk, first_name, last_name, middle_name, company, inn, city, phone, phone_ext, email) in people:
        key = (card_type, pk)
        slot = extra.get(key, {"phones": set(), "emails": set()})
        phones = set(slot["phones"])
        if phone:
            phones.add((phone, phone_ext))
        emails = set(slot["emails"]) | ({email} if email else set())
        records[key] = Record(
            id=f"{card_type}:{pk}", first_name=first_name, last_name=last_name, middle_name=middle_name,
            emails=tuple(sorted(emails)), phones=tuple(sorted(phones)), company=company, inn=inn, city=city or "",
        )
    return records


def find(facts: Facts, *, minimum: float | None = None) -> list[Candidate]:
    """Leads and contacts that may be this person, and companies that may be theirs, best first."""
    record = facts.record()
    refs = _candidate_refs(record)
    floor = lower_threshold() if minimum is None else minimum
    found = []
    for (card_type, card_id), stored in load_records(refs).items() if refs else ():
        match = compare(record, stored)
        if match.score >= floor:
            found.append(Candidate(card_type, card_id, match.score, list(match.reasons)))
    found.extend(find_companies(facts))
    found.sort(key=lambda c: (-c.score, c.card_type, -c.card_id))
    return found


def find_for_card(facts: Facts, *, card: tuple[str, int]) -> list[Candidate]:
    """What a card shows a manager before they call: the possible duplicates (`find`), and also the cards holding
    one of this person's own phones or e-mail addresses that scored too low to be the same person (one mobile
    given by two names: a family's, a colleague's, or a slip). Calling either reaches the same person, and no two
    managers should do that unknowingly. `card` (type, id) is the card itself, left out."""
    return [candidate for candidate in find(facts, minimum=0.0) if (candidate.card_type, candidate.card_id) != card
            and (candidate.possible_duplicate or shares_contact(candidate.reasons))]


def find_companies(facts: Facts) -> list[Candidate]:
    """Companies the person may belong to: INN equality decides; the same name (legal form,
    quotes, case and transliteration aside) is a strong hint, not proof."""
    wanted = {(kind, value) for kind, value in candidate_keys(facts.record()) if kind in (KeyKind.INN,
                                                                                             KeyKind.COMPANY)}
    if not wanted:
        return []
    condition = Q()
    for kind, value in wanted:
        condition |= Q(kind=kind, value=value)
    by_company: dict[int, set[str]] = {}
    for kind, card_id in IdentityKey.objects.filter(condition, card_type=CardType.COMPANY).values_list(
            "kind", "card_id")[:50]:
        by_company.setdefault(card_id, set()).add(kind)
    return [
        Candidate(CardType.COMPANY, card_id, 1.0 if KeyKind.INN in kinds else 0.8,
                  ["INN equal"] if KeyKind.INN in kinds else ["same company name"])
        for card_id, kinds in by_company.items()
    ]


def _rows(card_type: str, card_id: int, facts: Facts) -> list[IdentityKey]:
    rows = {
        (kind, value, ""): IdentityKey(kind=kind, value=value, card_type=card_type, card_id=card_id)
        for kind, value in candidate_keys(facts.record())
        if kind != KeyKind.PHONE
    }
    for phone in facts.phones:
        # The phone key carries its extension: the lookup ignores it, the comparison weighs it.
        rows[(KeyKind.PHONE, phone.e164, phone.extension)] = IdentityKey(
            kind=KeyKind.PHONE, value=phone.e164, extension=phone.extension, card_type=card_type, card_id=card_id)
    return list(rows.values())


def register_keys(*, card_type: str, card_id: int, facts: Facts) -> None:
    """Index a card's contacts and name keys so later submissions find it with a few lookups."""
    insert_many(_rows(card_type, card_id, facts), ignore_conflicts=True)


def replace_keys(*, card_type: str, card_id: int, facts: Facts) -> None:
    """Re-index a card whose name changed: name keys follow the name; contacts stay findable."""
    IdentityKey.objects.filter(card_type=card_type, card_id=card_id).exclude(kind__in=CONTACT_KINDS).delete()
    register_keys(card_type=card_type, card_id=card_id, facts=facts)


def move_keys(*, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
    """Re-point a card's keys to another card (conversion), keeping duplicates out."""
    rows = [
        IdentityKey(kind=key.kind, value=key.value, extension=key.extension, card_type=to_type, card_id=to_id)
        for key in IdentityKey.objects.filter(card_type=from_type, card_id=from_id)
    ]
    IdentityKey.objects.bulk_create(rows, ignore_conflicts=True)


def cards_with_keys(facts: Facts, *, card_type: str) -> list[int]:
    """Ids of cards of one type sharing a phone, e-mail or INN (e.g. interests a new lead absorbs)."""
    wanted = {(KeyKind.PHONE, phone.e164) for phone in facts.phones} | {(KeyKind.EMAIL, e) for e in facts.emails}
    if not wanted:
        return []
    # Two IN lists instead of an OR per key: the same index range reads; plain SQL, as in load_records.
    kinds, values = sorted({kind for kind, _ in wanted}), sorted({v for _, v in wanted})
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT kind, value, card_id FROM {connection.ops.quote_name(IdentityKey._meta.db_table)} "  # noqa: S608
            f"WHERE card_type = %s AND kind IN ({_in(kinds)}) AND value IN ({_in(values)})",
            [card_type, *kinds, *values],
        )
        rows = cursor.fetchall()
    return sorted({card_id for kind, value, card_id in rows if (kind, value) in wanted})


def lock_identity(facts: Facts) -> None:
    """Serialise concurrent submissions of the same person, so two cannot both create a lead.

    On PostgreSQL, a transaction-scoped advisory lock per contact (taken in sorted order, so two
    submissions sharing contacts never deadlock); SQLite already serialises writers (IMMEDIATE).
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({f"phone:{p.e164}" for p in facts.phones} | {f"email:{e}" for e in facts.emails})
    if not keys:
        return
    numbers = [int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
               for key in keys]
    # One statement; PostgreSQL evaluates the select list left to right, so the locks keep their order.
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(numbers)), numbers)


def contact_facts(contacts: list[str]) -> Facts:
    """Phones as other contacts keep them ("+74951234567 ext. 12") and e-mails, as identity facts."""
    texts = [text for text in contacts if isinstance(text, str) and text]
    return Facts(phones=[PhoneFact(*split_phone_text(text)) for text in texts if "@" not in text],
                 emails=[text for text in texts if "@" in text])


def facts_of_lead(lead: Any) -> Facts:
    """A stored lead's identity facts, as a submission would state them."""
    # and the other contacts a manager put on the card (leads.services.add_other_contact)
    others = [text for text in getattr(lead, "other_contacts", None) or [] if isinstance(text, str)]
    return Facts(
        phones=([PhoneFact(lead.phone, lead.phone_ext)] if lead.phone else [])
        + [PhoneFact(*split_phone_text(text)) for text in others if "@" not in text],
        emails=([lead.email] if lead.email else []) + [text for text in others if "@" in text],
        first_name=lead.first_name, last_name=lead.last_name, middle_name=lead.middle_name,
        company=lead.company_name, city=lead.city,
    )
