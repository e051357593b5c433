"""Phone numbers as PBXs send them: "74951234567", "+7 (495) ...", "8495...", "anonymous"."""

from __future__ import annotations

import re

from django.conf import settings

from leadflow.matching import normalize

# What providers put in the caller field when the number is withheld (compared lower-case, punctuation as spaces).
HIDDEN = {
    "", "anonymous", "unknown", "private", "restricted", "unavailable", "hidden", "0", "00", "withheld",
    "private number", "restricted number", "unknown number", "unknown caller", "not available", "blocked",
    "cli withheld", "number withheld", "no caller id", "anonymous anonymous invalid",
    "скрыт", "номер скрыт", "скрытый номер", "скрытый", "неизвестен", "неизвестный", "неизвестный номер", "аноним",
}
# A SIP or tel URI as a PBX writes the caller: "<sip:79123456789@10.0.0.1>", "sip:anonymous@anonymous.invalid",
# "tel:+79123456789;ext=12". The number is its user part; the host after "@" is the PBX's, never the caller's.
_URI = re.compile(r"^<?\s*(?:sips?|tel):([^@;>]*)([^@>]*)(?:@[^>]*)?>?$", re.IGNORECASE)
_PUNCTUATION = re.compile(r"[\W_]+")


def is_hidden(raw: str) -> bool:
    """True when the caller field says the number was withheld ("anonymous", "Private Number", "Номер скрыт")."""
    text = (raw or "").strip()
    uri = _URI.match(text)
    if uri:
        text = uri.group(1)
    return " ".join(_PUNCTUATION.sub(" ", text.casefold()).split()) in HIDDEN


def normalize_number(raw: str, *, region: str | None = None) -> normalize.Phone | None:
    """E.164 of a provider's number, or None when it is hidden or no phone at all.

    Providers send international numbers without the plus ("74951234567", "380441234567"): a long run
    of digits is tried as international first, then as written in the default region ("84951234567").
    """
    text = (raw or "").strip()
    if is_hidden(text):
        return None
    uri = _URI.match(text)
    if uri:
        parameters = uri.group(2)
        extension = re.search(r";ext=(\d+)", parameters, re.IGNORECASE)
        text = uri.group(1).strip() + (f" ext. {extension.group(1)}" if extension else "")
    region = region or settings.LEADFLOW_DEFAULT_REGION
    attempts = [text]
    digits = text.partition(" ext. ")[0].lstrip("+")
    if digits.isdigit() and len(digits) >= 11 and not text.startswith("+"):
        attempts.insert(0, "+" + text)
    for attempt in attempts:
        try:
            return normalize.normalize_phone(attempt, region=region)
        except normalize.NormalizationError:
            continue
    return None


def line_key(raw: str) -> str:
    """How a line is matched: its E.164, or its digits when it is not a phone (a SIP name, a short number)."""
    phone = normalize_number(raw)
    if phone is not None:
        return phone.e164
    return "".join(ch for ch in raw if ch.isalnum())[:20]
