"""Candidate (blocking) keys: the few indexed values under which a record's possible duplicates sit.

A lookup fetches the records sharing any key with the query, and only those are compared; the batch
scan compares the records inside each key's block. Keys are selective (a phone, an e-mail, a
surname's phonetic code together with a given name or birth date) so one key touches few rows in a
base of a million, yet forgiving: names are keyed after transliteration, diminutives and a phonetic
code, in either order, so "Иванов Саша" and "Alexander Ivanov" share a key.

Kinds: ``phone`` (E.164 without the extension, so the people behind one office line meet and the
extension rule can speak), ``email`` (canonical mailbox), ``inn``, ``company`` (the company's own
name, for grouping an organisation's contacts) and ``name`` (values prefixed by their shape).
"""

from __future__ import annotations

from leadflow.matching.names import phonetic
from leadflow.matching.record import Features, Record, features

KINDS = ("phone", "email", "inn", "name", "company")
# Kinds that find the same *person*. A "company" key finds the organisation's other contacts (to group
# them under it); blocking a person search on it only compares colleagues, so the scans skip it.
PERSON_KINDS = frozenset(("phone", "email", "inn", "name"))
# The most records a key may hold and still be worth comparing against, per kind. A name key held by
# more is a common name (Иванов Александр): a name alone cannot attach anyone, so such a block is
# skipped and the person is found by their contacts. A lookup reads up to limit + 1 rows per key and
# drops the key when it gets more; an office line over its limit is split by extension in the scan.
BLOCK_LIMITS = {"phone": 120, "email": 120, "inn": 120, "name": 40, "company": 0}


def block_usable(kind: str, size: int) -> bool:
    """True when a key shared by `size` records is selective enough to compare them."""
    return size <= BLOCK_LIMITS.get(kind, 0)


def candidate_keys(record: Record) -> set[tuple[str, str]]:
    """Keys of one record: (kind, value) pairs; records sharing one are compared."""
    return keys_from_features(features(record))


def keys_from_features(f: Features) -> set[tuple[str, str]]:
    """`candidate_keys` from precomputed features (the batch scan calls this directly)."""
    keys: set[tuple[str, str]] = {("phone", e164) for e164 in f.phones}
    keys.update(("email", email) for email in f.emails)
    if f.inn:
        keys.add(("inn", f.inn))
    if f.company:
        keys.add(("company", f.company))
    keys.update(("name", value) for value in name_keys(f))
    return keys


def name_keys(f: Features) -> set[str]:
    """Name-based key values; never a name part alone (too common to be a block)."""
    values: set[str] = set()
    last = phonetic(f.last.skel) if f.last.skel and not f.last.initial else ""
    first_codes = {phonetic(form) for form in f.first_forms} if f.first.skel and not f.first.initial else set()
    if last:
        for code in first_codes:
            # Order-free, so "Smith John" (mis-split) meets "John Smith".
            values.add("n:" + ":".join(sorted((last, code))))
        initials = _initials(f)
        if initials:
            values.add(f"i:{last}:{initials}")
        if f.birth_date:
            values.add(f"lb:{last}:{f.birth_date}")
        if f.postcode:
            values.add(f"lp:{last}:{f.postcode}")
    for code in first_codes:
        if f.birth_date:
            values.add(f"fb:{code}:{f.birth_date}")
        if f.postcode:
            values.add(f"fp:{code}:{f.postcode}")
        if f.company:
            values.add(f"fc:{code}:{f.company}")
    if f.birth_date and f.postcode:
        values.add(f"bp:{f.birth_date}:{f.postcode}")
    if f.birth_date and f.city:
        values.add(f"bc:{f.birth_date}:{f.city}")
    if last and f.company and not first_codes:
        values.add(f"lc:{last}:{f.company}")
    return values


def _initials(f: Features) -> str:
    """First letters of the given name and patronymic ("ИИ" for Иван Иванович and for И.И.)."""
    if not (f.first.skel and f.middle.skel):
        return ""
    return f.first.skel[0] + f.middle.skel[0]
