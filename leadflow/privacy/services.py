"""Record consents and answer "may we?" for a person and a purpose."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from leadflow.privacy.models import Consent


def record_consent(
    *, purpose: str, given: bool = True, lead: Any = None, client: Any = None, email: str = "", phone: str = "",
    text_version: str = "", text: str = "", ip: str | None = None, channel: str = "", by: Any = None,
    at: datetime | None = None,
) -> Consent:
    return Consent.objects.create(
        purpose=purpose, given=given, lead=lead, client=client, email=(email or "").strip().lower(), phone=phone,
        text_version=text_version, text=text, ip=ip or None, channel=channel, recorded_by=by, at=at or timezone.now(),
    )


def has_consent(*, purpose: str, lead: Any = None, client: Any = None, email: str = "") -> bool:
    """True when the latest record for this purpose, by the card or by the e-mail address, gives consent."""
    # A withdrawal by address (an unsubscribe link) holds for every card with that address.
    email = email or getattr(lead, "email", "") or getattr(getattr(client, "contact", None), "email", "")
    who = Q()
    if lead is not None:
        who |= Q(lead=lead)
    if client is not None:
        who |= Q(client=client)
    if email:
        who |= Q(email=email.strip().lower())
    if not who:
        return False
    latest = Consent.objects.filter(who, purpose=purpose).order_by("-at", "-pk").values_list("given", flat=True).first()
    return bool(latest)


# Every room that keeps personal data registers how to export and erase it for one person, so a
# data-subject request reaches all of them. `person` is whatever `find_person` returns (its e-mails,
# phones, lead ids and client ids); an exporter returns JSON-ready data, an eraser the rows it changed.
Exporter = Callable[[Any], Any]
Eraser = Callable[[Any], int]
exporters: dict[str, Exporter] = {}
erasers: dict[str, Eraser] = {}


def exporter(name: str) -> Callable[[Exporter], Exporter]:
    def register(function: Exporter) -> Exporter:
        exporters[name] = function
        return function

    return register


def eraser(name: str) -> Callable[[Eraser], Eraser]:
    def register(function: Eraser) -> Eraser:
        erasers[name] = function
        return function

    return register
