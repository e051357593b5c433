"""The contacts a person gave besides a card's own phone and e-mail, as a card shows them and conversion carries them.

A lead or a client contact is read alike: its `email`, `phone_text` and `other_contacts`."""

from __future__ import annotations

from typing import Any


def replaced_contacts(lead: Any) -> set[str]:
    """The phones and e-mails the lead's card had and a manager replaced (a slip corrected, a wrong number edited)."""
    from leadflow.leads.models import FieldChange

    return set(FieldChange.objects.filter(lead_id=lead.pk, field__in=("phone", "email")).exclude(old_value="")
               .values_list("old_value", flat=True))


def held_by(*cards: Any) -> set[str]:
    """The phones (as other contacts keep them) and e-mails the cards (leads or client contacts) hold."""
    return {value for card in cards for value in (card.email, card.phone_text, *(card.other_contacts or [])) if value}


def also_gave(lead: Any, facts: dict[str, Any], replaced: set[str] | None = None, *,
              held: set[str] | None = None) -> list[dict[str, Any]]:
    """The contacts a request gave that the card does not hold (its phone and e-mail, the others given in the same
    field), each with whether it is a phone, for the card's "Also gave" and its "Add to the card" buttons.

    Not offered again: a contact the card had and a manager replaced (`replaced`, replaced_contacts). A client's
    card passes what all its contacts hold (`held`)."""
    from leadflow.matching.normalize import Phone, phone_text, split_phone_text

    facts = facts if isinstance(facts, dict) else {}
    replaced = replaced or set()
    on_card = held if held is not None else held_by(lead)
    phones = [phone_text(Phone(facts["phone"], facts.get("phone_ext", "")))] if facts.get("phone") else []
    phones += [p for p in facts.get("other_phones", []) if isinstance(p, str)]
    emails = ([facts["email"]] if facts.get("email") else []) + [
        e for e in facts.get("other_emails", []) if isinstance(e, str)]
    found, seen = [], set()
    for value in [*phones, *emails]:
        if value and value not in on_card and value not in seen and split_phone_text(value)[0] not in replaced:
            seen.add(value)
            found.append({"value": value, "is_email": "@" in value})
    return found


CONTACT_FIELDS = ("phone", "email")


def unreadable_given(requests: list[Any], fields: tuple[str, ...] | None = None) -> list[dict[str, str]]:
    """Fields given that could not be read, kept as given (pipeline._keep_unreadable, _keep_other_fields), newest
    request first; only the `fields` named (CONTACT_FIELDS: the phones and e-mails) when given."""
    found, seen = [], set()
    for item in requests:
        facts = item.facts if isinstance(item.facts, dict) else {}
        for entry in facts.get("unreadable", []) or []:
            if not isinstance(entry, dict) or (fields is not None and entry.get("field") not in fields):
                continue
            if (entry.get("field"), entry.get("value")) not in seen:
                seen.add((entry.get("field"), entry.get("value")))
                found.append(entry)
    return found


def messengers_given(requests: list[Any]) -> list[str]:
    """The messenger accounts the requests kept ("t.me/ivan_petrov", pipeline._messenger_accounts): for an interest
    whose only contact one is, the way to reach the person."""
    found: list[str] = []
    for item in requests:
        facts = item.facts if isinstance(item.facts, dict) else {}
        found += [account for account in facts.get("messengers", []) or []
                  if isinstance(account, str) and account not in found]
    return found


def interest_contacts(interest: Any) -> dict[str, Any]:
    """What an interest's requests gave besides its phone and e-mail, the ways a manager has to reach the person and
    ask for what is missing: further phones and e-mails given in the same fields (`other`), phones and e-mails that
    could not be read, kept as typed (`unreadable`), and Telegram accounts (`messengers`). The API's InterestOut and
    the Interests page show the same."""
    from leadflow.matching.normalize import Phone, phone_text

    requests = list(interest.requests.all())
    held = {interest.email, phone_text(Phone(interest.phone, interest.phone_ext)) if interest.phone else ""} - {""}
    other: list[str] = []
    for request in requests:
        other += [given["value"] for given in also_gave(None, request.facts, held=held) if given["value"] not in other]
    return {"other": other, "unreadable": unreadable_given(requests, CONTACT_FIELDS),
            "messengers": messengers_given(requests)}


def worded_for_reader(entry: dict[str, str]) -> dict[str, str]:
    """A field kept as given, its problem worded in the reader's language: the pipeline stored it in the sender's (a
    partner's English "not a phone number" on a Russian card), so a phone or e-mail is read again here, and a text
    too long for its field (pipeline._keep_long_text) is worded from its limit."""
    from django.conf import settings

    from leadflow.matching import normalize

    value = str(entry.get("value", ""))
    if entry.get("code") == "too_long" and str(entry.get("limit", "")).isdigit():
        from django.utils.translation import gettext as _

        rest = continuation(entry)
        if rest:
            return {**entry, "rest": rest, "problem": _(
                "longer than %(limit)d characters: the field has its beginning, here the rest") % {
                "limit": int(entry["limit"])}}
        return {**entry, "problem": _("longer than %(limit)d characters: the field has its beginning") % {
            "limit": int(entry["limit"])}}
    if entry.get("field") == "name" and entry.get("code") == "unreadable":
        from django.utils.translation import gettext as _

        if entry.get("reason") == "other_person":  # "Иван и Мария": the card is Иван's (pipeline)
            return {**entry, "problem": _("another person named in the same field")}
        return {**entry, "problem": _("not part of the name")}
    try:
        if entry.get("field") == "email":
            normalize.normalize_emails(value)
        elif entry.get("field") == "phone":
            normalize.normalize_phones(value, region=settings.LEADFLOW_DEFAULT_REGION)
    except normalize.NormalizationError as error:
        return {**entry, "problem": str(error)}
    return entry


def continuation(entry: dict[str, str]) -> str:
    """The part of a text too long for its field that the field does not have: what follows the beginning the
    pipeline cut to the field's length (pipeline.cut_to), so a card shows a 12,000-character comment once, not its
    first 10,000 characters twice. Empty when the beginning is not the field's own cut (a name that fit its field
    but not the card's name parts, cut part by part): the card then shows the whole text as given."""
    from leadflow.intake.pipeline import TEXT_LIMITS, cut_to

    value, limit = str(entry.get("value", "")), int(entry["limit"])
    if TEXT_LIMITS.get(str(entry.get("field"))) != limit or len(value) <= limit:
        return ""
    return value[len(cut_to(value, limit).removesuffix("…")):].lstrip()


def for_reader(entries: Any) -> list[dict[str, str]]:
    """Fields kept as given, each problem worded in the reader's language (worded_for_reader)."""
    return [worded_for_reader(entry) for entry in entries or [] if isinstance(entry, dict)]


def unreadable_of(item: Any) -> list[dict[str, str]]:
    """One request's fields kept as given, worded for the reader."""
    facts = item.facts if isinstance(item.facts, dict) else {}
    return for_reader(facts.get("unreadable"))


def carried_to_client(lead: Any, *, requests: list[Any] | None = None,
                      replaced: set[str] | None = None) -> tuple[list[str], list[dict[str, str]]]:
    """What a converted lead's contact keeps besides its phone and e-mail: (other contacts, contacts kept as given).

    The card's other contacts, then every contact its requests gave that the card does not hold (its "Also gave",
    replaced ones left out as there), and every contact given that could not be read. The client card has no
    requests of the lead, so without this they would drop out of sight at conversion. (A migration passes the
    `requests` and `replaced` it read itself.)"""
    requests = list(lead.requests.all()) if requests is None else requests
    replaced = replaced_contacts(lead) if replaced is None else replaced
    others = [value for value in lead.other_contacts or [] if isinstance(value, str) and value]
    for request in requests:
        others += [given["value"] for given in also_gave(lead, request.facts, replaced) if given["value"] not in others]
    as_given = [{"field": str(entry.get("field", "")), "value": str(entry.get("value", "")),
                 "problem": str(entry.get("problem", ""))} for entry in unreadable_given(requests, CONTACT_FIELDS)]
    return others, as_given


def one_contact(text: str) -> str:
    """A contact as other contacts keep it: one phone ("+74951234567 ext. 12") or one e-mail, normalised. Refused
    (InvalidInput naming "contact") when it is not exactly one readable phone or address."""
    from django.utils.translation import gettext as _

    from leadflow.core.errors import InvalidInput
    from leadflow.matching.normalize import NormalizationError, normalize_email, normalize_phones, phone_text

    try:
        if "@" in text:
            return normalize_email(text)
        phones = normalize_phones(text)
        if len(phones) != 1:
            raise NormalizationError(_("not one phone number"))
        return phone_text(phones[0])
    except NormalizationError as error:
        raise InvalidInput({"contact": [str(error)]}) from None
