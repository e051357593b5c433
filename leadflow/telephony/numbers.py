"""Phone numbers as PBXs send them: "74951234567", "+7 (495) ...", "8495...", "anonymous"."""

from __future__ import annotations

from django.conf import settings

from leadflow.matching import normalize

# What providers put in the caller field when the number is withheld.
HIDDEN = {"", "anonymous", "unknown", "private", "restricted", "unavailable", "hidden", "0", "00"}


def normalize_number(raw: str, *, region: str | None = None) -> normalize.Phone | None:
    """E.164 of a provider's number, or None when it is hidden or no phone at all.

    Providers send international numbers without the plus ("74951234567", "380441234567"): a long run
    of digits is tried as international first, then as written in the default region ("84951234567").
    """
    text = (raw or "").strip()
    if text.casefold() in HIDDEN:
        return None
    region = region or settings.LEADFLOW_DEFAULT_REGION
    attempts = [text]
    digits = text.lstrip("+")
    if digits.isdigit() and len(digits) >= 11 and not text.startswith("+"):
        attempts.insert(0, "+" + digits)
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
