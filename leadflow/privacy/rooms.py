"""The built-in rooms' exporters and erasers (leadflow.privacy.services registries).

Erasing keeps every row that a count, a report or a partner's bill relies on (leads, clients, requests,
submissions, calls, activities, deals: their state, stage, dates, source, campaign, amounts) and removes
what identifies or describes the person: names, phones, e-mails, addresses, free text, raw messages,
UTM content and term, referrer and landing page (their query strings carry e-mails), visitor ids, IPs.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_noop

from leadflow.core.spreadsheet import dialect_written
from leadflow.leads.models import system_result
from leadflow.privacy import services as people
from leadflow.privacy.services import Person, Value, eraser, exporter, mailbox_regex

ERASED = "[erased]"
# What a journaled payload keeps after erasure: counts per channel, campaign and partner (billing, click id).
KEPT_PAYLOAD_KEYS = (
    "utm_source", "utm_medium", "utm_campaign", "product_interest", "deal_type", "region", "consent", "consents",
    "consent_text_version", "consent_text_versions", "click_id", "sub_id", "import_job", "import_row",
)
TOUCH_ERASED = {"utm_content": "", "utm_term": "", "referrer": "", "landing_page": "", "visitor_id": ""}


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _rows(qs: QuerySet, *fields: str) -> list[dict[str, Any]]:
    return [_json(row) for row in qs.values(*fields)]


def _erased_params(params: Any) -> dict[str, Any]:
    """System-text parameters with every text value (a name, a file name) replaced."""
    if not isinstance(params, dict):
        return {}
    return {key: _erased_param(value) for key, value in params.items()}


def _erased_param(value: Any) -> Any:
    # A nested system text (a task's title in a notification) keeps its key, its own names erased.
    if isinstance(value, dict) and isinstance(value.get("key"), str):
        return {"key": value["key"], "params": _erased_params(value.get("params") or {})}
    return ERASED if isinstance(value, str) else value


def _rerender(qs: QuerySet, text_field: str) -> int:
    """Rewrite system texts (task titles, notifications) with the erased parameters, row by row."""
    from leadflow.leads.models import render_system_text

    changed = 0
    for row in qs.only("pk", text_field, "text_key", "text_params"):
        params = _erased_params(row.text_params)
        try:
            text = render_system_text(row.text_key, params) if row.text_key else ERASED
        except (KeyError, TypeError, ValueError):
            text = ERASED
        type(row).objects.filter(pk=row.pk).update(**{text_field: text[:255], "text_params": params})
        changed += 1
    return changed


def _card_q(person: Person, *, lead: str = "lead_id", client: str = "client_id") -> Q:
    return Q(**{f"{lead}__in": person.lead_ids}) | Q(**{f"{client}__in": person.client_ids})


def submission_ids(person: Person) -> set[int]:
    """Journal rows of the person: linked to their cards, or carrying their e-mail or phone (invalid ones)."""
    cached = getattr(person, "_submission_ids", None)
    if cached is not None:
        return cached
    from leadflow.intake.models import Submission

    condition = _card_q(person) | Q(interest_id__in=person.interest_ids)
    ids = set(Submission.objects.filter(condition).values_list("pk", flat=True))
    text = Submission.objects.annotate(raw=Cast("payload", TextField()))
    if person.emails:
        # Any spelling of the person's mailboxes (one given only as an extra contact is known by its canonical key,
        # and a rejected submission typed it as it came: "Zina.Belousova+shop@googlemail.com").
        found = Q(raw__iregex=mailbox_regex(person.emails, anchored=False))
        for email in person.emails:
            found |= Q(raw__icontains=email)
        ids |= set(text.filter(found).values_list("pk", flat=True))
    if person.telegrams:
        ids |= set(text.filter(raw__iregex=_telegram_sql(person)).values_list("pk", flat=True))
    ids |= _submissions_with_phones(text, person.phones)
    person._submission_ids = ids  # type: ignore[attr-defined]
    return ids


# Between two digits of a typed phone: up to three separators (spaces, "-", "(", ")", ".", "/", a no-break
# space). In the payload as the database stores it as text a non-ASCII separator may be a JSON escape (\u00a0).
_SQL_SEPARATOR = r'(?:[^0-9"\\]|\\u[0-9a-fA-F]{4}){0,3}'
_TEXT_SEPARATOR = r"[^\d\w]{0,3}"


def _phone_patterns(e164: str) -> tuple[str, re.Pattern[str]] | None:
    """For one stored phone: a loose SQL regex (its national digits with any separators, to narrow the journal
    in the database) and a strict one for the text of a payload value (no digit may touch the number)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.national_significant_number(number)
    if len(national) < 6:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(
        phonenumbers.region_code_for_number(number) or "", None)
    trunk = re.escape(metadata.national_prefix) if metadata is not None and metadata.national_prefix else ""
    country = str(number.country_code)
    prefixes = [rf"(?:\+|00)\s*{country}", country, *([trunk] if trunk else [])]
    sql = _SQL_SEPARATOR.join(national)
    prefix = rf"(?:(?:{'|'.join(prefixes)}){_TEXT_SEPARATOR})?"
    text = re.compile(rf"(?<![\d+]){prefix}{_TEXT_SEPARATOR.join(national)}(?!\d)")
    return sql, text


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _names_phone(value: str, e164: str, extension: str, pattern: re.Pattern[str]) -> bool:
    """A payload value is this phone when the project's normaliser reads it as the same number (an extension,
    where both sides have one, must agree: two extensions of one office line are two people), or, for free
    text that is not one phone, when the number is written in it with any separators."""
    from django.conf import settings

    from leadflow.matching.normalize import NormalizationError, normalize_phone

    try:
        parsed = normalize_phone(value, region=settings.LEADFLOW_DEFAULT_REGION)
    except NormalizationError:
        return bool(pattern.search(value))
    return parsed.e164 == e164 and (not parsed.extension or not extension or parsed.extension == extension)


def _submissions_with_phones(text: QuerySet, phones: set[tuple[str, str]]) -> set[int]:
    """Journal rows whose payload names one of the phones, however it was typed ("8 (912) 345-67-89").

    The database narrows first: a regular expression over the payload's text (the national digits with any
    separators between them) is one pass inside the database, so a journal of a million rows is never read
    into memory; only the few candidates come back, in chunks, and the normaliser confirms each value."""
    found: set[int] = set()
    for e164, extension in sorted(phones):
        patterns = _phone_patterns(e164)
        if patterns is None:
            continue
        sql, pattern = patterns
        candidates = text.filter(raw__regex=sql).values_list("pk", "payload")
        for pk, payload in candidates.iterator(chunk_size=500):
            if pk not in found and any(_names_phone(value, e164, extension, pattern) for value in _strings(payload)):
                found.add(pk)
    return found


# ---------------------------------------------------------------- leads and interests


LEAD_PERSONAL = ("last_name", "first_name", "middle_name", "full_name", "company_name", "legal_form", "position",
                 "phone", "phone_ext", "email", "city", "message", "lost_note", "utm_content", "utm_term",
                 "referrer", "landing_page", "visitor_id", "other_contacts", "email_checked", "telegram")


@exporter("leads")
def export_leads(person: Person) -> dict[str, Any]:
    from leadflow.leads.models import Interest, Lead

    leads = Lead.objects.filter(pk__in=person.lead_ids).order_by("pk")
    return {
        "leads": _rows(leads, "id", *LEAD_PERSONAL, "product_interest", "deal_type", "state", "stage__name",
                       "channel", "source__name", "campaign__name", "utm_source", "utm_medium", "utm_campaign",
                       "consent_given", "consent_text_version", "consent_channel", "consent_at", "created_at",
                       "converted_at", "refused_at", "lost_reason__name", "owner__username", "team__name"),
        "interests": _rows(Interest.objects.filter(pk__in=person.interest_ids).order_by("pk"), "id", "name",
                           "company_name", "phone", "phone_ext", "email", "message", "reason", "channel",
                           "created_at"),
    }


@eraser("leads")
def erase_leads(person: Person) -> int:
    from leadflow.leads.models import Interest, Lead

    # Kept: state, stage, team, owner, channel, source, campaign, UTM source/medium/campaign, product
    # interest, deal type, dates and the consent summary: the funnel and the reports stay right.
    changed = Lead.objects.filter(pk__in=person.lead_ids).update(
        last_name="", first_name="", middle_name="", full_name=ERASED, company_name="", legal_form="", position="",
        phone="", phone_ext="", email="", city="", message="", lost_note="", search_text="",
        other_contacts=[], email_checked="", telegram="", erased_at=timezone.now(), **TOUCH_ERASED,
    )
    changed += Interest.objects.filter(pk__in=person.interest_ids).update(
        name=ERASED, company_name="", phone="", phone_ext="", email="", message="", **TOUCH_ERASED,
    )
    return changed


# ---------------------------------------------------------------- clients, contacts, companies


@exporter("clients")
def export_clients(person: Person) -> dict[str, Any]:
    from leadflow.clients.models import Client, Company, Contact, Deal

    return {
        "clients": _rows(Client.objects.filter(pk__in=person.client_ids).order_by("pk"), "id", "name",
                         "company_id", "contact_id", "lead_id", "owner__username", "is_active", "created_at"),
        "contacts": _rows(Contact.objects.filter(pk__in=person.contact_ids).order_by("pk"), "id", "last_name",
                          "first_name", "middle_name", "full_name", "position", "phone", "phone_ext", "email",
                          "telegram", "other_contacts", "unreadable_contacts", "company_id"),
        "sole_proprietor_companies": _rows(
            Company.objects.filter(pk__in=person.company_ids).order_by("pk"), "id", "name", "legal_form", "inn",
            "kpp", "ogrn", "okpo", "legal_address", "city", "phone", "website"),
        "deals": _rows(Deal.objects.filter(client_id__in=person.client_ids).order_by("pk"), "id", "client_id",
                       "amount", "closed_at", "note"),
    }


@eraser("clients")
def erase_clients(person: Person) -> int:
    from leadflow.clients.models import Client, Company, Contact, ContactMerge, Deal

    now = timezone.now()
    changed = Contact.objects.filter(pk__in=person.contact_ids).update(
        last_name="", first_name="", middle_name="", full_name=ERASED, position="", phone="", phone_ext="", email="",
        telegram="", email_checked="", other_contacts=[], unreadable_contacts=[])
    changed += Company.objects.filter(pk__in=person.company_ids).update(
        name=ERASED, inn="", kpp="", ogrn="", okpo="", legal_address="", city="", phone="", website="")
    # A legal entity's name is not personal data and names the client in reports; a person's name is.
    for client in Client.objects.filter(pk__in=person.client_ids).select_related("company"):
        keeps_company = client.company is not None and client.company_id not in person.company_ids
        Client.objects.filter(pk=client.pk).update(
            name=client.company.name if keeps_company else ERASED, erased_at=now)  # type: ignore[union-attr]
        changed += 1
    changed += Deal.objects.filter(client_id__in=person.client_ids).exclude(note="").update(note="")
    # A merge's undo snapshot holds the old values: the merge can no longer be undone.
    changed += ContactMerge.objects.filter(survivor_id__in=person.contact_ids).update(snapshot={})
    return changed


# ---------------------------------------------------------------- requests and the journal


@exporter("requests")
def export_requests(person: Person) -> list[dict[str, Any]]:
    from leadflow.leads.models import Request

    qs = Request.objects.filter(_card_q(person) | Q(interest_id__in=person.interest_ids)).order_by("pk")
    return _rows(qs, "id", "lead_id", "client_id", "interest_id", "channel", "message", "facts", "matched_by",
                 "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "referrer", "landing_page",
                 "visitor_id", "created_at")


@eraser("requests")
def erase_requests(person: Person) -> int:
    from leadflow.leads.models import Request

    qs = Request.objects.filter(_card_q(person) | Q(interest_id__in=person.interest_ids))
    changed = qs.update(message="", facts={}, matched_by="", **TOUCH_ERASED)
    # Another person's request whose message copies or quotes this one (a colleague's letter with the person's
    # earlier message quoted): the request stays theirs, only the mentions go.
    mentions = _mentions_q(person, "message")
    if mentions is not None:
        others = Request.objects.filter(mentions).exclude(_card_q(person) | Q(interest_id__in=person.interest_ids))
        for pk, message, lead_id, client_id in others.values_list("pk", "message", "lead_id", "client_id"):
            scrubbed = scrub_text(message, person)
            if scrubbed != message:
                changed += Request.objects.filter(pk=pk).update(message=scrubbed)
                card = f"lead:{lead_id}" if lead_id else (f"client:{client_id}" if client_id else "")
                person.redacted.append({"row": f"request:{pk}", "card": card, "fields": ["message"]})
    return changed


def _mentions_q(person: Person, field: str) -> Q | None:
    """Rows whose text column `field` holds one of the person's e-mails (any spelling), phones (any notation) or
    Telegram accounts (@name, a t.me link), narrowed inside the database (None: the person has no contact to look
    for)."""
    from django.db import connection

    # On SQLite a regular expression is a call into Python for every row: a test in SQLite's own C first (the
    # phone's national digits in order, anything between: GLOB; one of the address's domains: instr) passes only
    # rows the expression may match, so the expression runs on those few (docs/benchmarks.md, erasure-inbox).
    narrow = connection.vendor == "sqlite"
    condition = Q(pk__in=[])
    if person.emails:
        found = Q(**{f"{field}__iregex": mailbox_regex(person.emails, anchored=False)})
        domains = _mailbox_domains(person)
        # lower() folds ASCII only: an internationalised domain (почта.рф) is left to the expression
        condition |= (_holds_any(field, domains) & found) if narrow and all(d.isascii() for d in domains) else found
    for e164, extension in sorted(person.phones):
        patterns = None if extension else _phone_patterns(e164)
        if patterns is not None:
            found = Q(**{f"{field}__regex": patterns[0]})
            condition |= (_digits_in_order(field, patterns[0]) & found) if narrow else found
    if person.telegrams:
        found = Q(**{f"{field}__iregex": _telegram_sql(person)})
        condition |= (_holds_any(field, _telegram_names(person), prefix="") & found) if narrow else found
    return condition if (person.emails or person.phones or person.telegrams) else None


def _mailbox_domains(person: Person) -> list[str]:
    """Every domain one of the person's mailboxes may be written with (the provider's aliases too), lower case."""
    from leadflow.matching.record import _providers

    aliases, _free = _providers()
    domains = {mailbox.rpartition("@")[2] for mailbox in person.mailboxes}
    return sorted(domains | {alias for alias, target in aliases.items() if target in domains})


def _holds_any(field: str, domains: list[str], *, prefix: str = "@") -> Q:
    """SQLite: the text column holds "@<domain>" (`prefix` and the text) for one of the domains, in any ASCII
    case."""
    from django.db.models import F, Func, IntegerField, Value
    from django.db.models.lookups import GreaterThan

    condition = Q(pk__in=[])
    for domain in domains:
        place = Func(Func(F(field), function="lower"), Value(f"{prefix}{domain}"), function="instr",
                     output_field=IntegerField())
        condition |= Q(GreaterThan(place, 0))
    return condition


def _digits_in_order(field: str, sql_pattern: str) -> Q:
    """SQLite: the text column holds the digits of a phone pattern (_phone_patterns) in order, anything between
    (GLOB, case-blind for digits): every text the pattern matches does."""
    from django.db.models import BooleanField, F, Func, Value

    digits = sql_pattern.split(_SQL_SEPARATOR)
    if not all(digit.isdigit() for digit in digits):
        return Q()
    glob = Func(Value("*" + "*".join(digits) + "*"), F(field), function="glob", output_field=BooleanField())
    return Q(glob)


@exporter("submissions")
def export_submissions(person: Person) -> list[dict[str, Any]]:
    from leadflow.intake.models import Submission

    qs = Submission.objects.filter(pk__in=submission_ids(person)).order_by("pk")
    return _rows(qs, "id", "channel", "payload", "received_at", "remote_addr", "status", "errors", "form__name",
                 "partner__name", "lead_id", "client_id", "interest_id")


def _names_the_person(text: str, person: Person) -> bool:
    """Whether a free text holds one of the person's e-mails (in any spelling) or phone numbers (its digits, with or
    without the country code)."""
    if not text:
        return False
    folded = text.casefold()
    digits = re.sub(r"\D", "", text)
    if any(email.casefold() in folded for email in person.emails) or _any_spelling(person).search(text):
        return True
    if person.telegrams and _telegram_pattern(person).search(text):
        return True
    return any(e164.lstrip("+") in digits or (len(e164) > 11 and e164[-10:] in digits) for e164 in person.e164s)


def _any_spelling(person: Person) -> re.Pattern[str]:
    """Any spelling of the person's mailboxes inside a text (compiled once per erasure)."""
    cached = getattr(person, "_any_spelling", None)
    if cached is None:
        pattern = mailbox_regex(person.emails, anchored=False)
        cached = re.compile(pattern or r"(?!)", re.IGNORECASE)
        person._any_spelling = cached  # type: ignore[attr-defined]
    return cached


def _telegram_names(person: Person) -> list[str]:
    """The user names of the person's Telegram accounts ("ivan_petrov" of "t.me/ivan_petrov"), lower case."""
    return sorted({account.rpartition("/")[2].lower() for account in person.telegrams})


def _telegram_sql(person: Person) -> str:
    """A regular expression (the common part of Python's and PostgreSQL's dialects, for `__iregex`) matching a text
    that writes one of the person's Telegram accounts as "@name" or a t.me link, the name whole ("@ivan_petrov2" is
    someone else's): to narrow inside the database; _telegram_pattern confirms and replaces."""
    names = "|".join(re.escape(name) for name in _telegram_names(person))
    return rf"(@|t\.me/|telegram\.me/)({names})([^a-z0-9_]|$)"


def _telegram_pattern(person: Person) -> re.Pattern[str]:
    """One of the person's Telegram accounts in a text, as intake reads one (matching.normalize.TELEGRAM): "@name"
    not inside an e-mail address, or a t.me / telegram.me link with its scheme and closing slash; only the whole
    user name, so "@ivan_petrov" never takes "@ivan_petrov2" or "@ivan_petrov_shop" (compiled once per erasure)."""
    cached = getattr(person, "_telegram_pattern", None)
    if cached is None:
        names = "|".join(re.escape(name) for name in _telegram_names(person))
        cached = re.compile(
            rf"(?:(?<![\w.@/])@|(?<![\w.])(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/)(?:{names})"
            rf"(?:/(?!\w))?(?![\w@]|\.\w)" if names else r"(?!)", re.IGNORECASE)
        person._telegram_pattern = cached  # type: ignore[attr-defined]
    return cached


def _someone_elses(row: Any, person: Person) -> bool:
    """A journal row that made or fed another person's card (it only mentions this person: a colleague's request
    giving their number, a message naming their address)."""
    return bool((row.lead_id and row.lead_id not in person.lead_ids)
                or (row.client_id and row.client_id not in person.client_ids)
                or (row.interest_id and row.interest_id not in person.interest_ids))


def _redacted(value: Any, person: Person, *, whole: bool = True) -> Any:
    """`value` (a payload, its errors) with every text that names the person replaced (`whole`), or only the
    mentions in it (another person's row: their message quoting this person's address keeps the rest), the rest
    as it was."""
    if isinstance(value, str):
        if not _names_the_person(value, person):
            return value
        if whole:
            return ERASED
        scrubbed = scrub_text(value, person)
        return ERASED if _names_the_person(scrubbed, person) else scrubbed
    if isinstance(value, dict):
        return {key: _redacted(item, person, whole=whole) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item, person, whole=whole) for item in value]
    return value


def _stem(word: str) -> str:
    """A name as a regular expression for any of its Russian cases: the case ending replaces the last vowel
    (Белоусова, Белоусовой, Белоусову, Белоусов), and ё is written е as often as not (Пётр, Петру)."""
    word = word.rstrip("аяоеуыийьАЯОЕУЫИЙЬaeiouyAEIOUY") if len(word) > 4 else word
    return "".join("[её]" if ch in "еёЕЁ" else re.escape(ch) for ch in word)


# The case endings a short name takes (Ким: Кима, Киму, Кимом, Киме; Пак: Паку, Паком): after a name of four letters
# or fewer, any other letters make another word ("Кимры", "Пакет", "Лимон", "Аннотация"), not a case of the name.
_SHORT_NAME_ENDINGS = r"(?:а|я|у|ю|ом|ем|ём|е|ы|и|ой|ей|ым|им|ов|ев|ам|ям|ами|ями|ах|ях)?"
# A short name's own last -а or -я gives way to these (Анна: Анны, Анне, Анну, Анной; Илья: Ильи, Ильёй).
_FEMININE_ENDINGS = "(?:а|я|ы|и|е|у|ю|ой|ей|ёй|ою|ею|ёю)"
# A name ending in another vowel is not declined (Ли, Шоу, Рене): only the name itself, never "Лиза".
_UNDECLINED = "оеёиуыэюОЕЁИУЫЭЮoeiuyOEIUY"


def _declined(word: str, written: str = "") -> str:
    """A name with its case ending as a regular expression (`written`: the name as _stem or _capitalised reads it,
    _stem's by default): up to three letters after a long one's stem ("Белоусовой"), only a case ending after one of
    four letters or fewer, which is read as a whole word ("Ким", "Киму", never "Кимры"; "Анне", never "Аннотация"),
    its last -й, -ь, -а or -я replaced (Цою, Еве, Анной, Лося)."""
    written = written or _stem(word)
    if len(word) > 4:
        return written + r"\w{0,3}"
    if len(word) == 1:  # О, Ю: a Korean surname of one letter is not declined
        return written
    if word[-1] in "йьЙЬ" and len(word) > 2:
        return written[:-1] + "(?:й|ь|я|ю|ем|ём|е|и)"  # Цой: Цоя, Цою, Цоем
    if word[-1] in "аяАЯ":
        return written[:-1] + _FEMININE_ENDINGS  # Ева: Евы, Еве, Еву, Евой
    if word[-1] in _UNDECLINED:
        return written
    return written + _SHORT_NAME_ENDINGS


def _capitalised(word: str) -> str:
    """A name as _stem reads it, its first letter a capital and the rest in any case ("Белая", "БЕЛАЯ", "Белой")."""
    first = word[0]
    head = "[ЕЁ]" if first in "еёЕЁ" else re.escape(first.upper())
    return f"(?-i:{head}){_stem(word)[len('[её]') if first in 'еёЕЁ' else len(re.escape(first)):]}"


def _two_letters(word: str) -> str:
    """A name of one or two letters (О, Ли, Ан, Ия) declined, as a name is written and only so: a capital, then small
    letters. In any other case it is a word ("ли", "ан", "ЛИ" in a shouted line)."""
    return f"(?-i:{_declined(word, re.escape(word[0].upper() + word[1:].lower()))})"


def _name_word(word: str, *, capital: bool = False) -> str:
    """One name part declined (_declined), as a name is written when `capital` (a surname alone) or it is of one or
    two letters (_two_letters)."""
    if len(word) <= 2:
        return _two_letters(word)
    return _declined(word, _capitalised(word)) if capital else _declined(word)


# Before a surname of two letters alone: a word, or a comma, and one space, so never the first word of a
# sentence or of a line (a surname "Но" is not the «Но» that begins one).
_INSIDE_A_SENTENCE = r"(?<=[\w,;:][ \t\u00a0])"


def _name_pattern(person: Person, *, with_given_name: bool = False) -> re.Pattern[str] | None:
    """The person's name in a free text, declined ("Белоусовой Зинаиде"): the surname, with the given names next to
    it. A given name alone is left (another person may have it: a colleague's own signature). A surname alone is
    taken only as a name is written, with a capital letter: many surnames are words too (Белая, Мороз, Brown), and
    "белая краска" in a colleague's note is not the person. With `with_given_name`, a surname alone is left too (a
    note on a card of someone with the same surname: it is theirs)."""
    cache = "_name_pattern_given" if with_given_name else "_name_pattern"
    cached = getattr(person, cache, False)
    if cached is not False:
        return cached
    pattern = None
    given = "|".join(sorted({_name_word(word) for word in person.given_names}))
    if person.surnames and (given or not with_given_name):
        surnames = "|".join(sorted({_name_word(word) for word in person.surnames}))
        named = rf"(?:{surnames})(?!\w)"
        # next to a given name the surname is a name in any case ("анне белой"); alone, only as a name is written,
        # one of two letters not as a sentence's first word either, and one of a single letter never (mostly an
        # initial typed without its dot, "Анна К": a "К" alone in a note is anything)
        capitalised = [_name_word(word, capital=True) for word in sorted(person.surnames) if len(word) > 2]
        short = [_name_word(word) for word in sorted(person.surnames) if len(word) == 2]
        if short:
            capitalised.append(rf"{_INSIDE_A_SENTENCE}(?:{'|'.join(short)})")
        alone = rf"(?:{'|'.join(capitalised)})(?!\w)" if capitalised else "(?!)"  # (none: never alone)
        before = rf"(?:(?:{given})\s+){{1,2}}" if given else ""
        after = rf"(?:\s+(?:{given})(?!\w)){{0,2}}" if given else ""
        with_given = rf"{before}{named}{after}|{named}{after.replace('{0,2}', '{1,2}')}" if given else ""
        if with_given_name:
            text = rf"(?:{with_given})"
        else:
            text = rf"(?:{with_given}|{alone}{after})" if given else alone
        pattern = re.compile(rf"(?<!\w){text}", re.IGNORECASE)
    setattr(person, cache, pattern)
    return pattern


def _name_q(person: Person, field: str) -> Q:
    """Rows whose text column `field` may hold the person's surname in any case, narrowed inside the database (each
    letter as a class of both cases: SQLite and PostgreSQL fold only some letters themselves); scrub_text
    confirms."""
    from django.db import connection
    from django.db.models import BooleanField, F, Func, Value

    condition = Q(pk__in=[])
    for word in sorted(person.surnames):
        letters = [token[1:] if token.startswith("\\") else token
                   for token in re.findall(r"\[её\]|\\.|.", _stem(word))]
        if 1 < len(letters) <= 4 and letters[-1] in "йьЙЬаяАЯ":
            letters = letters[:-1]  # Цой: Цоя, Цою; Анна: Анне (_declined)
        # each letter as a class of its cases (a class in both GLOB and regular expressions); anything else as is
        classes = ["[ЕеЁё]" if ch == "[её]" else (f"[{ch.upper()}{ch.lower()}]" if ch.isalpha() else None)
                   for ch in letters]
        if len(word) <= 2 and letters[0].isalpha():
            classes[0] = letters[0].upper()  # a name of two letters is only ever taken with its capital
        if connection.vendor == "sqlite":
            # GLOB runs in SQLite's C, not a call into Python per row like a regular expression
            glob = "".join(cls or (f"[{ch}]" if ch in "*?[]" else ch) for cls, ch in zip(classes, letters, strict=True))
            condition |= Q(Func(Value(f"*{glob}*"), F(field), function="glob", output_field=BooleanField()))
        else:
            condition |= Q(**{f"{field}__regex": "".join(cls or re.escape(ch)
                                                          for cls, ch in zip(classes, letters, strict=True))})
    return condition


def scrub_text(text: str, person: Person, *, surname_alone: bool = True) -> str:
    """Another person's text with this person's e-mails (any spelling), phones (any notation), Telegram accounts
    ("пишите @ivan_petrov", a t.me link; the whole user name only) and name replaced by "[erased]", the rest as
    written. A phone with an extension is left: its line is the office's, anyone's
    there, and only the person's extension was theirs. Without `surname_alone` the surname goes only with a given
    name next to it (the text is on the card of someone with that surname)."""
    if not text:
        return text

    def address(match: re.Match[str]) -> str:
        start, end = match.span(2)
        whole = match.group(0)
        return whole[:start - match.start()] + ERASED + whole[end - match.start():]

    text = _any_spelling(person).sub(address, text)
    for e164, extension in sorted(person.phones):
        patterns = None if extension else _phone_patterns(e164)
        if patterns is not None:
            text = patterns[1].sub(ERASED, text)
    if person.telegrams:
        text = _telegram_pattern(person).sub(ERASED, text)
    names = _name_pattern(person, with_given_name=not surname_alone)
    return names.sub(ERASED, text) if names is not None else text


@eraser("submissions")
def erase_submissions(person: Person) -> int:
    """The row stays (counts, the partner's bill, idempotency); its personal content goes."""
    from leadflow.intake.models import Submission

    changed = 0
    for row in Submission.objects.filter(pk__in=submission_ids(person)).only(
            "pk", "payload", "errors", "idempotency_key", "lead_id", "client_id", "interest_id"):
        if _names_the_person(row.idempotency_key, person):
            # A partner's retry key may be built from the address ("crm-ivan@mail.ru-1"): kept as a digest, so the
            # row stays one per key and a retry is still told apart (it is then refused by the tombstone).
            digest = hashlib.sha256(row.idempotency_key.encode()).hexdigest()
            Submission.objects.filter(pk=row.pk).update(idempotency_key=f"erased:{digest}")
        if _someone_elses(row, person):
            # Another person's request that only mentions this one keeps what is theirs: only the texts naming
            # this person go (erasing someone else's data is the worse mistake).
            Submission.objects.filter(pk=row.pk).update(payload=_redacted(row.payload, person, whole=False),
                                                        errors=_redacted(row.errors, person, whole=False))
            changed += 1
            continue
        payload = row.payload if isinstance(row.payload, dict) else {}
        # A partner's click id built from the address goes like its retry key (the partner's bill keeps the row).
        kept = {key: _redacted(payload[key], person) for key in KEPT_PAYLOAD_KEYS if key in payload}
        errors = row.errors if isinstance(row.errors, dict) else {}
        kept_errors = {"reason": errors["reason"]} if isinstance(errors.get("reason"), str) else {}
        if isinstance(errors.get("fields"), dict):  # which fields were wrong stays; what was in them goes
            kept_errors["fields"] = {name: [ERASED] for name in errors["fields"]}
        Submission.objects.filter(pk=row.pk).update(payload={**kept, "erased": True}, errors=kept_errors,
                                                    remote_addr=None)
        changed += 1
    return changed


# ---------------------------------------------------------------- activities, tasks, notifications


def _tasks_qs(person: Person) -> QuerySet:
    """The person's tasks: on their cards, and the callbacks of their calls from before anyone knew the number
    ("Call back the unknown number +7916...", no card)."""
    from leadflow.leads.models import Task

    callbacks = _calls_qs(person).exclude(callback_task__isnull=True).values("callback_task_id")
    return Task.objects.filter(_card_q(person) | Q(pk__in=callbacks))


def _notifications_qs(person: Person) -> QuerySet:
    """The person's notifications: about their cards, and those about a call from their number no card had."""
    from leadflow.leads.models import Notification

    condition = _card_q(person)
    if person.phones:
        condition |= Q(lead__isnull=True, client__isnull=True, text_params__number__in=sorted(person.e164s))
    return Notification.objects.filter(condition)


@exporter("activities")
def export_activities(person: Person) -> dict[str, Any]:
    from leadflow.leads.models import Activity

    return {
        "activities": _rows(Activity.objects.filter(_card_q(person)).order_by("pk"), "id", "lead_id", "client_id",
                            "kind", "subject", "body", "occurred_at", "author__username"),
        "tasks": _rows(_tasks_qs(person).order_by("pk"), "id", "lead_id", "client_id", "kind",
                       "title", "due_at", "completed_at", "result", "assignee__username"),
    }


@eraser("activities")
def erase_activities(person: Person) -> int:
    from leadflow.leads.models import Activity

    changed = Activity.objects.filter(_card_q(person)).update(subject="", body="", text_key="", text_params={})
    changed += _rerender(_tasks_qs(person), "title")
    _tasks_qs(person).exclude(result="").update(result="")
    changed += close_erased_tasks(person)
    return changed + redact_notes(person)


# Other people's texts that may quote the person: (model, its free-text fields, its system-text parameters).
NOTES = (
    ("leads.Activity", "activity", ("subject", "body"), ("text_params",)),
    ("leads.Task", "task", ("title", "result"), ("text_params", "result_params")),
    ("leads.Lead", "lead", ("lost_note",), ()),
    ("clients.Deal", "deal", ("note",), ()),
)


def redact_notes(person: Person) -> int:
    """Notes, call notes, task titles and results, refusal and deal notes on other people's cards that quote the
    person ("перезвонить Иванову Петру на 8 912 345-67-89"): the card and the note stay, the person's e-mails,
    phones and name become "[erased]" in the text and in the system text's parameters it is worded from, and the
    erasure log lists each row changed (person.redacted), not what it said. The rows are narrowed inside the
    database; a surname alone is kept on a card whose own person has that surname (the note is about them)."""
    from django.apps import apps

    changed = 0
    mine = _card_q(person)
    for label, kind, fields, params in NOTES:
        model = apps.get_model(label)
        condition = Q(pk__in=[])
        for name in fields:
            mentions = _mentions_q(person, name)
            # an empty text first: most refusal and deal notes are, and nothing else is asked of them
            condition |= ~Q(**{name: ""}) & (_name_q(person, name) | (mentions if mentions is not None else Q(
                pk__in=[])))
        rows = model.objects.filter(condition)
        if kind == "lead":
            rows = rows.exclude(pk__in=person.lead_ids)
        elif kind == "deal":
            rows = rows.exclude(client_id__in=person.client_ids)
        else:
            rows = rows.exclude(mine)
        if kind == "task":
            rows = rows.exclude(pk__in=_tasks_qs(person).values("pk"))
        rows = list(rows.only("pk", *fields, *params, *(() if kind == "lead" else ("client_id",)),
                              *(("lead_id",) if kind in ("activity", "task") else ())))
        namesakes = _namesakes(person, rows, kind)
        for row in rows:
            card = _card_of(row, kind)
            alone = card not in namesakes
            update = {}
            for name in fields:
                text = getattr(row, name)
                scrubbed = scrub_text(text, person, surname_alone=alone)
                if scrubbed != text:
                    update[name] = scrubbed[:model._meta.get_field(name).max_length or None]
            for name in params:
                value = getattr(row, name)
                scrubbed = _scrubbed_params(value, person, alone)
                if scrubbed != value:
                    update[name] = scrubbed
            if update:
                model.objects.filter(pk=row.pk).update(**update)
                person.redacted.append({"row": f"{kind}:{row.pk}", "card": card, "fields": sorted(update)})
                changed += 1
    return changed


def _scrubbed_params(value: Any, person: Person, alone: bool) -> Any:
    """A system text's parameters with the person taken out of every text in them (nested texts too)."""
    if isinstance(value, str):
        return scrub_text(value, person, surname_alone=alone)
    if isinstance(value, dict):
        return {key: _scrubbed_params(item, person, alone) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed_params(item, person, alone) for item in value]
    return value


def _card_of(row: Any, kind: str) -> str:
    if kind == "lead":
        return f"lead:{row.pk}"
    if getattr(row, "lead_id", None):
        return f"lead:{row.lead_id}"
    return f"client:{row.client_id}" if getattr(row, "client_id", None) else ""


def _namesakes(person: Person, rows: list[Any], kind: str) -> set[str]:
    """The cards among `rows`' whose own person has one of the person's surnames (in any case ending)."""
    from leadflow.clients.models import Client
    from leadflow.leads.models import Lead

    names = _name_pattern(person)
    if names is None or not rows:
        return set()
    # the whole surname in one of its cases ("Иванова" is Иванов's namesake, "Ивановский" is not)
    surnames = re.compile("(?:" + "|".join(f"(?:{_declined(word)})" for word in person.surnames) + ")",
                          re.IGNORECASE)
    lead_ids = {row.pk if kind == "lead" else getattr(row, "lead_id", None) for row in rows} - {None}
    client_ids = {getattr(row, "client_id", None) for row in rows} - {None}
    found = {f"lead:{pk}" for pk, last in Lead.objects.filter(pk__in=lead_ids).values_list("pk", "last_name")
             if surnames.fullmatch(last or "")}
    found |= {f"client:{pk}" for pk, last in Client.objects.filter(pk__in=client_ids).values_list(
        "pk", "contact__last_name") if surnames.fullmatch(last or "")}
    return found


ERASED_TASK_RESULT = system_result(
    gettext_noop("Closed: the person's data was erased at their request; do not contact them."))


def close_erased_tasks(person: Person) -> int:
    """Nobody is asked to call an erased person: their open tasks are completed, the result saying why, in
    the assignee's language (a task's result is plain text written once, like any manager's result)."""
    from django.conf import settings
    from django.utils import translation

    from leadflow.clients.models import Client
    from leadflow.events.services import record_event
    from leadflow.leads.models import Task

    now = timezone.now()
    closed = 0
    # The clients are locked first: a task being added to one now is waited for (and closed here), and one added
    # after this waits for the erasure and then sees the client erased (leads.services.create_task).
    list(Client.objects.select_for_update().filter(pk__in=person.client_ids).values_list("pk", flat=True))
    open_tasks = _tasks_qs(person).filter(completed_at__isnull=True).select_related("assignee")
    for language, tasks in _by_language(open_tasks).items():
        with translation.override(language or settings.LANGUAGE_CODE):
            result = translation.gettext(ERASED_TASK_RESULT)
        # Conditional on still being open: a manager completing one at this moment keeps their result.
        closed += Task.objects.filter(pk__in=[task.pk for task in tasks], completed_at__isnull=True).update(
            completed_at=now, result=result, is_cancelled=True)
        for task in tasks:
            record_event("task.completed", task_id=task.pk, lead_id=task.lead_id, client_id=task.client_id,
                         reason="erased")
    return closed


def _by_language(tasks: QuerySet) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for task in tasks:
        grouped.setdefault(task.assignee.language if task.assignee_id else "", []).append(task)
    return grouped


@exporter("notifications")
def export_notifications(person: Person) -> list[dict[str, Any]]:

    return _rows(_notifications_qs(person).order_by("pk"), "id", "user__username", "kind",
                 "text", "created_at")


@eraser("notifications")
def erase_notifications(person: Person) -> int:

    return _rerender(_notifications_qs(person), "text")


# ---------------------------------------------------------------- e-mail inbox


def _emails_qs(person: Person) -> QuerySet:
    from leadflow.inbox.models import IncomingEmail

    condition = _card_q(person) | Q(submission_id__in=submission_ids(person))
    if person.emails:
        # Any spelling of the person's mailboxes (an extra address is known only by its canonical key): one
        # pattern, one read, however many addresses they gave.
        condition |= Q(from_address__iregex=mailbox_regex(person.emails)) | Q(pk__in=_bounces_for(person))
    return IncomingEmail.objects.filter(condition)


# An address in a report's text (a header, the failed message's body), to be compared as the matcher compares them.
_ADDRESS = re.compile(rb"[A-Za-z0-9._%+=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _bounces_for(person: Person) -> list[int]:
    """Delivery failure reports about one of the person's addresses, in any spelling: they come from the mail
    server, on no card, and carry the address, the failed message and its headers (the person's name) in the raw
    message. Reports are few (ignored messages), so each one's raw text is read here, its addresses compared by
    their canonical mailboxes."""
    from leadflow.inbox.models import EmailKind, IncomingEmail

    reports = IncomingEmail.objects.filter(kind=EmailKind.BOUNCE, lead__isnull=True, client__isnull=True)
    return [pk for pk, raw in reports.exclude(raw=b"").values_list("pk", "raw").iterator(chunk_size=200)
            if any(person.names_mailbox(address.decode("ascii", "replace"))
                   for address in set(_ADDRESS.findall(bytes(raw))))]


@exporter("inbox")
def export_inbox(person: Person) -> list[dict[str, Any]]:
    from leadflow.inbox.models import Attachment

    emails = _rows(_emails_qs(person).order_by("pk"), "id", "received_at", "via", "envelope_from", "envelope_to",
                   "from_name", "from_address", "subject", "text", "phones", "company", "message_id", "raw")
    attachments: dict[int, list[dict[str, Any]]] = {}
    for row in Attachment.objects.filter(email_id__in=[e["id"] for e in emails]).values(
            "email_id", "filename", "content_type", "size"):
        attachments.setdefault(row.pop("email_id"), []).append(row)
    for email in emails:
        email["raw_base64"] = email.pop("raw")  # the .eml as received
        email["attachments"] = attachments.get(email["id"], [])
    return emails


@eraser("inbox")
def erase_inbox(person: Person) -> int:
    """The person's own messages (from them, on their cards, reports about their address) lose everything but the
    row; another person's message that copies or quotes them keeps its sender and its request, the person's
    addresses, phones and name taken out of it, the raw message too (redact_raw)."""
    from leadflow.inbox.models import IncomingEmail

    rows = IncomingEmail.objects.filter(pk__in=_emails_qs(person).values("pk")).values_list(
        "pk", "kind", "from_address", "lead_id", "client_id")
    own = [pk for pk, kind, sender, lead_id, client_id in rows
           if not _someone_elses_email(person, kind, sender, lead_id, client_id)]
    changed = blank_emails(own)
    for email in IncomingEmail.objects.filter(pk__in=_emails_naming(person)).exclude(pk__in=own):
        changed += _redact_email(email, person)
    return changed + _scrub_message_ids(person)


def _someone_elses_email(person: Person, kind: str, sender: str, lead_id: int | None, client_id: int | None) -> bool:
    """A message another person wrote that only names this one: from an address that is not theirs, on none of
    their cards (a delivery failure report is about the address it failed to reach: theirs)."""
    from leadflow.inbox.models import EmailKind

    return bool(kind != EmailKind.BOUNCE and sender and not person.names_mailbox(sender)
                and lead_id not in person.lead_ids and client_id not in person.client_ids)


# How much of a raw message is searched for the person's address in its headers (To, Cc, Reply-To): the headers
# come first and are short; the text the message's own column holds decoded.
RAW_HEAD = 16384


def head_mailboxes(raw: bytes) -> set[str]:
    """The canonical mailboxes the first RAW_HEAD bytes of a raw message name (privacy.MessageAddress): every
    address in them, and every address inside a longer one's local part after a punctuation mark (a Message-ID
    "<1234.ivan@example.com>" names ivan@example.com: PostgreSQL's search of the heads found those too). {""}
    when it names none, so an indexed message is told from one stored before the index."""
    from leadflow.matching.record import canonical_email

    found: set[str] = set()
    for address in set(_ADDRESS.findall(raw[:RAW_HEAD])):
        local, _at, domain = address.decode("ascii", "replace").rpartition("@")
        starts = [0, *(index + 1 for index, ch in enumerate(local[:-1]) if not ch.isalnum())]
        found |= {canonical_email(f"{local[start:]}@{domain}") for start in starts if local[start:]}
    return {mailbox for mailbox in found if len(mailbox) <= 254} or {""}


def index_message(email_id: int, raw: bytes, *, new: bool = False) -> None:
    """Write the mailboxes a stored message's head names (inbox.services.store_email, in the transaction that
    stores it: `new`, nothing to replace; an erasure that rewrites or drops a raw message writes them again). A
    message without its raw message (dropped, blanked) names nobody and is indexed so (""): left out of the index it
    would be taken for one stored before the index, and every later erasure would search the old way for it."""
    from leadflow.privacy.models import MessageAddress

    if not new:
        MessageAddress.objects.filter(email_id=email_id).delete()
    MessageAddress.objects.bulk_create([MessageAddress(email_id=email_id, mailbox=mailbox)
                                        for mailbox in sorted(head_mailboxes(raw))])


def _emails_naming(person: Person) -> set[int]:
    """Every message that names the person: their own (_emails_qs), and another person's whose text (decoded, the
    quoted part too) holds their e-mail or phone (searched inside the database), or whose head copies them (To, Cc,
    Reply-To): looked up in the index of the mailboxes each message's head names (privacy.MessageAddress, written
    when it was stored). A message stored before the index has none and is searched as it was: on PostgreSQL
    inside the database; on SQLite the heads that may hold the address narrowed inside the database, read in
    chunks and their addresses compared by their canonical mailboxes."""
    from django.db import connection
    from django.db.models import Exists, Func, OuterRef
    from django.db.models.functions import Substr

    from leadflow.inbox.models import IncomingEmail
    from leadflow.privacy.models import MessageAddress

    found = set(_emails_qs(person).values_list("pk", flat=True))
    mentions = _mentions_q(person, "text")
    if mentions is not None:
        found |= set(IncomingEmail.objects.filter(mentions).values_list("pk", flat=True))
    if not person.emails:
        return found
    found |= set(MessageAddress.objects.filter(mailbox__in=sorted(person.mailboxes)).values_list("email_id",
                                                                                                 flat=True))
    # The messages not in the index, by their ids alone (no raw message read): none but those stored before it (a
    # message whose raw message an erasure dropped is indexed as naming nobody).
    unindexed = IncomingEmail.objects.exclude(Exists(MessageAddress.objects.filter(email_id=OuterRef("pk"))))
    if not unindexed.exists():
        return found
    rest = IncomingEmail.objects.filter(pk__in=unindexed.values("pk")).exclude(pk__in=found).exclude(raw=b"")
    if connection.vendor == "postgresql":
        head = Func("raw", template=f"encode(substring(%(expressions)s from 1 for {RAW_HEAD}), 'escape')",
                    output_field=TextField())
        found |= set(rest.annotate(head=head).filter(head__iregex=mailbox_regex(person.emails, anchored=False))
                     .values_list("pk", flat=True))
        return found
    heads = rest.annotate(head=Substr("raw", 1, RAW_HEAD)).filter(_head_may_name(person)).values_list("pk", "head")
    found |= {pk for pk, head in heads.iterator(chunk_size=200)
              if any(person.names_mailbox(address.decode("ascii", "replace"))
                     for address in set(_ADDRESS.findall(bytes(head or b""))))}
    return found


def _head_may_name(person: Person) -> Q:
    """On SQLite: the raw heads that may hold one of the person's addresses, narrowed inside the database so only
    the few candidates are read into Python (docs/benchmarks.md, erasure-inbox). An address whose canonical mailbox
    is the person's holds, in lower case, one of the mailbox's domains (or its provider's aliases) and, but for
    Gmail's dots anywhere, the canonical local part (Yandex: its longest run without "." or "-"): SQLite's lower()
    folds only ASCII, and an address the search compares is ASCII (_ADDRESS), so this never drops one it finds."""
    from django.db.models import F, Func, IntegerField, Value
    from django.db.models.lookups import GreaterThan

    from leadflow.matching.record import _providers

    aliases, _free = _providers()

    def holds(needle: str) -> Q:
        place = Func(Func(F("head"), function="lower"), Value(needle), function="instr", output_field=IntegerField())
        return Q(GreaterThan(place, 0))

    condition = Q(pk__in=[])
    for mailbox in sorted(person.mailboxes):
        local, _at, domain = mailbox.rpartition("@")
        domains = sorted({domain, *(alias for alias, target in aliases.items() if target == domain)})
        either = Q(pk__in=[])
        for host in domains:
            either |= holds(f"@{host}")
        if domain == "yandex.ru":
            local = max(re.split(r"[.-]", local), key=len)
        if domain != "gmail.com" and local:
            either &= holds(local)
        condition |= either
    return condition


def _redact_email(email: Any, person: Person) -> int:
    """Take the person out of another person's message: its text, subject, phones and recipients, its raw message
    (redact_raw; when the rewritten message would still name them, or cannot be rewritten, the raw message goes
    and the row keeps what was read from it, redacted), and an attachment that names them."""
    from leadflow.inbox.models import Attachment, IncomingEmail

    raw = bytes(email.raw)
    try:
        redacted = redact_raw(raw, person) if raw else b""
    except Exception:  # any message the mail library cannot rewrite: dropped, never kept whole
        redacted = b""
    if redacted and _raw_names(redacted, person):
        redacted = b""
    mine = {e164 for e164, extension in person.phones if not extension}

    def not_theirs(phone: Any) -> bool:
        value = people.value_of_text(str(phone))
        return not (value and value[0] == "phone" and value[1] in mine)

    fields = {
        "raw": redacted, "text": scrub_text(email.text, person), "subject": scrub_text(email.subject, person)[:998],
        "company": scrub_text(email.company, person)[:255], "error": scrub_text(email.error, person),
        "phones": [phone for phone in email.phones or [] if not_theirs(phone)],
        "envelope_to": [to for to in email.envelope_to or [] if not person.names_mailbox(str(to))],
    }
    IncomingEmail.objects.filter(pk=email.pk).update(**fields)
    index_message(email.pk, redacted)  # the index follows the raw message: the person's addresses leave it
    card = f"lead:{email.lead_id}" if email.lead_id else (f"client:{email.client_id}" if email.client_id else "")
    person.redacted.append({"row": f"email:{email.pk}", "card": card,
                            "fields": sorted(name for name, value in fields.items() if value != getattr(
                                email, name) and not (name == "raw" and bytes(email.raw) == value))})
    gone = []
    for attachment in Attachment.objects.filter(email_id=email.pk):
        try:
            with attachment.file.open("rb") as handle:
                content = handle.read().decode("utf-8", "replace")
        except OSError:
            content = ""
        if _names_the_person(attachment.filename, person) or _names_the_person(content, person):
            gone.append(attachment)
    names = [(a.file.storage, a.file.name) for a in gone if a.file]
    Attachment.objects.filter(pk__in=[a.pk for a in gone]).delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])
    return 1 + len(gone)


ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to", "resent-cc",
                   "resent-sender", "disposition-notification-to", "return-receipt-to", "delivered-to",
                   "x-original-to", "return-path"}
THREAD_HEADERS = {"message-id", "in-reply-to", "references", "resent-message-id"}


def redact_raw(raw: bytes, person: Person) -> bytes:
    """Another person's raw message with this person taken out: their addresses leave To, Cc, Reply-To and the
    other address headers (the rest of the recipients stay), a thread id naming them becomes its keyed hash, every
    other header and every text the message shows has their e-mails, phones and name replaced (scrub_text), and an
    attachment naming them (a forwarded card, a vCard) is replaced by "[erased]". What the message's sender wrote
    stays."""
    import email
    import email.policy

    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        _redact_headers(part, person)
        if part.is_multipart():
            continue
        if part.get_content_maintype() == "text" and not part.is_attachment():
            content = part.get_content()
            scrubbed = scrub_text(content, person)
            if scrubbed != content:
                part.set_content(scrubbed, subtype=part.get_content_subtype(), charset="utf-8", cte="base64")
        elif _names_the_person((part.get_payload(decode=True) or b"").decode("utf-8", "replace"), person):
            part.set_content(ERASED, charset="utf-8")
    return message.as_bytes(policy=email.policy.SMTP)


def _redact_headers(part: Any, person: Person) -> None:
    from leadflow.privacy.services import erased_message_id

    named = _any_spelling(person)
    for name in {key.lower() for key in part.keys()}:
        values = part.get_all(name) or []
        written = [raw for key, raw in part.raw_items() if key.lower() == name]
        kept, changed = [], False
        for value, raw in zip(values, written, strict=False):
            addresses, original = getattr(value, "addresses", None), str(value)
            if name in ADDRESS_HEADERS and addresses and not getattr(value, "defects", None):
                left = [a for a in addresses if not person.names_mailbox(a.addr_spec)]
                text = scrub_text(", ".join(str(a) for a in left), person)
            elif name in ADDRESS_HEADERS:
                # A mailer that encoded the addresses too ("=?utf-8?b?...?=" over the whole list): read as written,
                # entry by entry.
                entries = [entry.strip() for entry in _decoded_header(raw).split(",")]
                left = [entry for entry in entries if not any(
                    person.names_mailbox(address.decode()) for address in _ADDRESS.findall(entry.encode()))]
                original = ", ".join(entries)
                text = scrub_text(", ".join(left), person)
            elif name in THREAD_HEADERS:
                text = " ".join(erased_message_id(token) if named.search(token) else token
                                for token in str(value).split())
            else:
                text = scrub_text(str(value), person)
            changed |= text != original
            if text:
                kept.append(text)
        if changed:
            del part[name]
            for text in kept:
                part[name] = text


def _decoded_header(raw: str) -> str:
    """A header's value as written, its encoded words decoded (as is when a charset is unknown)."""
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(raw))).replace("\r", "").replace("\n", "")
    except (LookupError, UnicodeError, ValueError):
        return raw


def _raw_names(raw: bytes, person: Person) -> bool:
    """Whether a raw message still names the person anywhere a mail client shows (headers, text parts)."""
    import email
    import email.policy

    message = email.message_from_bytes(raw, policy=email.policy.default)
    texts = [str(value) for part in message.walk() for _name, value in part.items()]
    for part in message.walk():
        if not part.is_multipart():
            texts.append(part.get_content() if part.get_content_maintype() == "text"
                         else (part.get_payload(decode=True) or b"").decode("utf-8", "replace"))
    names = _name_pattern(person)
    return any(_names_the_person(text, person) or (names is not None and names.search(text)) for text in texts)


def erased_key(key: str) -> str:
    """An e-mail's storage key ("id:<Message-ID>") with the Message-ID hashed as erased_message_id does."""
    from leadflow.privacy.services import erased_message_id

    return f"id:{erased_message_id(key[3:])}"[:300] if key.startswith("id:") else key


def blank_emails(ids: list[int]) -> int:
    """Remove the raw message, its attachments and everything read from it; the row (when, status) stays, its
    Message-ID (and the storage key made of it) as a keyed hash: some mailers build it from the sender's address,
    and the hash still tells a redelivery of the message and finds the card a reply to it belongs to."""
    from leadflow.inbox.models import Attachment, IncomingEmail
    from leadflow.privacy.services import erased_message_id

    attachments = list(Attachment.objects.filter(email_id__in=ids))
    names = [(a.file.storage, a.file.name) for a in attachments if a.file]
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
    # Files are not transactional: they go once the erasure is committed.
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])
    from leadflow.privacy.models import MessageAddress

    # The index follows the raw message: gone, it names nobody (index_message).
    MessageAddress.objects.filter(email_id__in=ids).delete()
    MessageAddress.objects.bulk_create([MessageAddress(email_id=pk, mailbox="") for pk in sorted(set(ids))])
    changed = IncomingEmail.objects.filter(pk__in=ids).update(
        raw=b"", envelope_from="", envelope_to=[], peer="", from_name="", from_address="", subject="", text="",
        phones=[], company="", in_reply_to="", references=[], error="",
    )
    for pk, key, message_id in IncomingEmail.objects.filter(pk__in=ids).values_list("pk", "key", "message_id"):
        IncomingEmail.objects.filter(pk=pk).update(key=erased_key(key), message_id=erased_message_id(message_id))
    return changed + len(attachments)


def _scrub_message_ids(person: Person) -> int:
    """Other people's messages keep their text, but a Message-ID, In-Reply-To or References naming the person's
    address ("<1234.ivan@example.com>", a reply to them or a thread they were in) is replaced by its keyed hash,
    the same one the person's own message got: the thread still finds its card, the address is gone."""
    from leadflow.inbox.models import IncomingEmail
    from leadflow.privacy.services import erased_message_id

    if not person.emails:
        return 0
    pattern = mailbox_regex(person.emails, anchored=False)
    named = re.compile(pattern, re.IGNORECASE)
    rows = IncomingEmail.objects.annotate(refs=Cast("references", TextField())).filter(
        Q(message_id__iregex=pattern) | Q(in_reply_to__iregex=pattern) | Q(refs__iregex=pattern)
        | Q(key__iregex=pattern))

    def scrubbed(message_id: str) -> str:
        return erased_message_id(message_id) if named.search(message_id or "") else message_id

    changed = 0
    for row in rows.only("pk", "key", "message_id", "in_reply_to", "references"):
        references = row.references if isinstance(row.references, list) else []
        IncomingEmail.objects.filter(pk=row.pk).update(
            key=erased_key(row.key) if named.search(row.key) else row.key, message_id=scrubbed(row.message_id),
            in_reply_to=scrubbed(row.in_reply_to),
            references=[scrubbed(ref) if isinstance(ref, str) else ref for ref in references])
        changed += 1
    return changed


# ---------------------------------------------------------------- telephony


def _calls_qs(person: Person) -> QuerySet:
    from leadflow.telephony.models import Call

    return Call.objects.filter(_card_q(person) | Q(interest_id__in=person.interest_ids) | Q(caller__in=person.e164s))


@exporter("telephony")
def export_telephony(person: Person) -> list[dict[str, Any]]:
    return _rows(_calls_qs(person).order_by("pk"), "id", "direction", "caller", "caller_raw", "called_line",
                 "state", "started_at", "duration_seconds", "recording_url", "answered_by__username")


@eraser("telephony")
def erase_telephony(person: Person) -> int:
    from leadflow.telephony.models import Call, CallEvent

    ids = list(_calls_qs(person).values_list("pk", flat=True))
    changed = Call.objects.filter(pk__in=ids).update(caller="", caller_raw="", recording_url="", recording_id="")
    changed += CallEvent.objects.filter(call_id__in=ids).update(payload={"erased": True}, error="")
    return changed


# ---------------------------------------------------------------- partners


@exporter("postbacks")
def export_postbacks(person: Person) -> list[dict[str, Any]]:
    from leadflow.partners.models import Postback

    # What Leadflow told partners about the person: a status, a payout and the partner's own click id.
    qs = Postback.objects.filter(Q(submission_id__in=submission_ids(person)) | Q(lead_id__in=person.lead_ids))
    return _rows(qs.order_by("pk"), "id", "partner__name", "status", "payout", "url", "state", "created_at", "sent_at")


@eraser("postbacks")
def erase_postbacks(person: Person) -> int:
    from leadflow.partners.models import Postback, PostbackState

    qs = Postback.objects.filter(Q(submission_id__in=submission_ids(person)) | Q(lead_id__in=person.lead_ids))
    changed = qs.exclude(last_error="").update(last_error="")
    # The delivery log keeps the URL each status went to; a partner's click id built from the person's address
    # ("?click=crm-ivan@mail.ru") put it there. Such a URL keeps only its address (no query), and one not sent yet
    # is not sent: it would hand the erased person's address to the partner again.
    for pk, url, state in qs.values_list("pk", "url", "state"):
        if any(_names_the_person(value, person) for _name, value in parse_qsl(urlsplit(url).query)):
            Postback.objects.filter(pk=pk).update(
                url=url.split("?", 1)[0] + "?erased", **({"state": PostbackState.FAILED} if state == "pending" else {}))
            changed += 1
    return changed


# ---------------------------------------------------------------- imports


def _import_jobs(person: Person) -> QuerySet:
    from leadflow.imports.models import ImportJob
    from leadflow.intake.models import Submission

    job_ids = set()
    for payload in Submission.objects.filter(pk__in=submission_ids(person), channel="import").values_list(
            "payload", flat=True):
        if isinstance(payload, dict) and isinstance(payload.get("import_job"), int):
            job_ids.add(payload["import_job"])
    return ImportJob.objects.filter(pk__in=job_ids)


def _mentions(person: Person, cells: list[str]) -> bool:
    """True when a row of a file names one of the person's e-mails or phones (in any notation)."""
    text = " ".join(cells).casefold()
    digits = "".join(ch for ch in text if ch.isdigit() or ch == " ")
    compact = "".join(ch for ch in text if ch.isdigit())
    if any(email in text for email in person.emails):
        return True
    for e164 in person.e164s:
        national = e164[2:] if e164.startswith("+7") else e164.lstrip("+")
        if national and (national in compact or national in digits.replace(" ", "")):
            return True
    return False


def _filtered_csv(person: Person, raw: bytes, *, encoding: str, delimiter: str) -> tuple[bytes, int]:
    text = raw.decode(encoding or "utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or ";")
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter or ";")
    dropped = 0
    for number, row in enumerate(reader):
        if number and _mentions(person, row):
            dropped += 1
            continue
        writer.writerow(row)
    # (utf-8-sig writes the BOM it read past: one, not two)
    return out.getvalue().encode(encoding or "utf-8", errors="replace"), dropped


def _filtered_xlsx(person: Person, path: str) -> tuple[bytes, int]:
    from openpyxl import load_workbook

    book = load_workbook(path)
    dropped = 0
    for sheet in book.worksheets:
        for index in range(sheet.max_row, 1, -1):
            cells = ["" if c.value is None else str(c.value) for c in sheet[index]]
            if _mentions(person, cells):
                sheet.delete_rows(index)
                dropped += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), dropped


@exporter("imports")
def export_imports(person: Person) -> list[dict[str, Any]]:
    found = []
    for job in _import_jobs(person):
        rows = [entry for entry in job.report if isinstance(entry, dict)]
        found.append({"job_id": job.pk, "file": job.original_name, "created_at": _json(job.created_at),
                      "report": rows})
    return found


@eraser("imports")
def erase_imports(person: Person) -> int:
    """The person's rows leave the uploaded file and the error file; the row report loses their details."""
    from leadflow.imports.models import ImportJob

    changed = 0
    rows_of = {}
    from leadflow.intake.models import Submission

    for payload in Submission.objects.filter(pk__in=submission_ids(person), channel="import").values_list(
            "payload", flat=True):
        if isinstance(payload, dict) and isinstance(payload.get("import_job"), int):
            rows_of.setdefault(payload["import_job"], set()).add(payload.get("import_row"))
    old_files: list[tuple[Any, str]] = []
    for job in _import_jobs(person):
        report = [
            # the detail and the warning (a contact kept as given, quoted) of the person's rows
            {**entry, "detail": ERASED, "warning": ""}
            if isinstance(entry, dict) and entry.get("row") in rows_of.get(job.pk, ())
            else entry for entry in job.report
        ]
        fields = {"report": report}
        for name in ("file", "error_file"):
            stored = getattr(job, name)
            if not stored or not stored.storage.exists(stored.name):
                continue
            if name == "file" and job.file_format == "xlsx":
                content, dropped = _filtered_xlsx(person, stored.path)
            else:
                with stored.open("rb") as handle:
                    raw = handle.read()
                if name == "error_file":  # written by the import in its reader's dialect (core.spreadsheet)
                    dialect = dialect_written(raw)
                    encoding, delimiter = "utf-8-sig" if dialect.bom else "utf-8", dialect.delimiter
                else:
                    encoding, delimiter = job.encoding or "utf-8", job.delimiter or ","
                content, dropped = _filtered_csv(person, raw, encoding=encoding, delimiter=delimiter)
            if not dropped:
                continue
            old_files.append((stored.storage, stored.name))
            new_name = stored.storage.save(stored.name, ContentFile(content, name=Path(stored.name).name))
            fields[name] = new_name
            changed += dropped
        ImportJob.objects.filter(pk=job.pk).update(**fields)
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in old_files])
    return changed


# ---------------------------------------------------------------- another person's card listing the person's contact


@eraser("other_cards")
def strip_shared_contacts(person: Person) -> int:
    """Take the person's contacts off the other contacts of the cards the admin chose (a colleague's card listing
    the person's mobile): the card, its own contacts and the rest of its other contacts stay. What requests to
    that card also gave loses them too, and so do its identity keys (a call from the number no longer finds the
    colleague); the card's history says who took which contact off, masked, and its earlier lines that held the
    contact whole are masked alike."""
    from leadflow.clients.models import Client, Contact
    from leadflow.leads.models import FieldChange, Lead, Request
    from leadflow.matching.models import CardType, IdentityKey, KeyKind

    value_of_text = people.value_of_text
    changed = 0
    for (card_type, pk), values in sorted(person.stripped.items()):
        wanted = {people.same_contact(value) for value in values}
        model = Lead if card_type == "lead" else Contact
        others = model.objects.select_for_update().filter(pk=pk).values_list("other_contacts", flat=True).first()
        kept = [text for text in others or [] if value_of_text(text) not in wanted]
        removed = sorted({value_of_text(text) for text in others or []} & wanted)
        model.objects.filter(pk=pk).update(other_contacts=kept)
        cards = ({"lead_id": pk},) if card_type == "lead" else tuple(
            {"client_id": client_id} for client_id in Client.objects.filter(contact_id=pk).values_list("pk", flat=True))
        FieldChange.objects.bulk_create([
            FieldChange(field="other_contacts", old_value=people.mask(value), new_value="",
                        changed_by=person.erased_by, **card)
            for card in cards for value in removed])
        history = FieldChange.objects.filter(Q(pk__in=[]) if not cards else _any(cards)).only(
            "pk", "old_value", "new_value")
        for line in history:
            masked = {name: people.mask(value_of_text(text)) for name, text in (("old_value", line.old_value),
                                                                          ("new_value", line.new_value))
                      if value_of_text(text) in wanted}
            if masked:
                FieldChange.objects.filter(pk=line.pk).update(**masked)
        requests = Request.objects.filter(Q(pk__in=[]) if not cards else _any(cards)).only("pk", "facts")
        for request in requests:
            facts = _facts_without(request.facts, wanted)
            if facts != request.facts:
                Request.objects.filter(pk=request.pk).update(facts=facts)
                changed += 1
        keys = Q(pk__in=[])
        for kind, text, extension in wanted:
            keys |= Q(kind=KeyKind.EMAIL if kind == "email" else KeyKind.PHONE, value=text,
                      extension=extension if kind == "phone" else "")
        IdentityKey.objects.filter(keys, card_type=CardType.LEAD if card_type == "lead" else CardType.CONTACT,
                                   card_id=pk).delete()
        changed += len(removed)
    return changed


def _any(cards: tuple[dict[str, int], ...]) -> Q:
    condition = Q(pk__in=[])
    for card in cards:
        condition |= Q(**card)
    return condition


def _facts_without(facts: Any, wanted: set[Value]) -> Any:
    """A request's facts with the contacts in `wanted` gone: its own phone and e-mail, and what it also gave."""
    if not isinstance(facts, dict):
        return facts
    value_of_text = people.value_of_text
    facts = dict(facts)
    phone, extension = facts.get("phone"), facts.get("phone_ext") or ""
    if isinstance(phone, str) and phone and ("phone", phone, extension) in wanted:
        facts.update(phone="", phone_ext="")
    if isinstance(facts.get("email"), str) and value_of_text(facts["email"]) in wanted:
        facts["email"] = ""
    for name in ("other_phones", "other_emails"):
        if isinstance(facts.get(name), list):
            facts[name] = [text for text in facts[name] if value_of_text(text) not in wanted]
    return facts


# ---------------------------------------------------------------- history, merges, matching keys


@exporter("history")
def export_history(person: Person) -> list[dict[str, Any]]:
    from leadflow.leads.models import FieldChange

    return _rows(FieldChange.objects.filter(_card_q(person)).order_by("pk"), "id", "lead_id", "client_id", "field",
                 "old_value", "new_value", "changed_at", "changed_by__username")


@eraser("history")
def erase_history(person: Person) -> int:
    from leadflow.leads.models import FieldChange, LeadMerge

    # Who changed which field when stays; the old and new values go.
    changed = FieldChange.objects.filter(_card_q(person)).update(old_value="", new_value="")
    changed += LeadMerge.objects.filter(survivor_id__in=person.lead_ids).update(snapshot={})
    return changed + _mask_other_cards_history(person)


def _mask_other_cards_history(person: Person) -> int:
    """Another card's history line whose old or new value is one of the person's contacts (typed into a
    colleague's card by mistake and corrected, a contact taken off it) keeps the line, the contact masked: that
    card's own values stay as they were."""
    from leadflow.leads.models import FieldChange

    # A line holds a phone as other contacts keep one; a bare number with the person's extension elsewhere is the
    # office line, anyone's there.
    texts = sorted(people.value_text(("phone", e164, x)) for e164, x in person.phones)
    condition = Q(old_value__in=texts) | Q(new_value__in=texts)
    if person.emails:
        pattern = mailbox_regex(person.emails)
        condition |= Q(old_value__iregex=pattern) | Q(new_value__iregex=pattern)
    mine = {people.same_contact(("email", email, "")) for email in person.emails} | {
        ("phone", e164, x) for e164, x in person.phones}
    changed = 0
    for line in FieldChange.objects.filter(condition).exclude(_card_q(person)).only("pk", "old_value", "new_value"):
        masked = {}
        for name in ("old_value", "new_value"):
            value = people.value_of_text(getattr(line, name))
            if value in mine:
                masked[name] = people.mask(value)
        if masked:
            FieldChange.objects.filter(pk=line.pk).update(**masked)
            changed += 1
    return changed


@exporter("matching")
def export_matching(person: Person) -> list[dict[str, Any]]:
    return _rows(_keys_qs(person).order_by("pk"), "kind", "value", "extension", "card_type", "card_id")


def _keys_qs(person: Person) -> QuerySet:
    from leadflow.matching.models import CardType, IdentityKey

    return IdentityKey.objects.filter(
        Q(card_type=CardType.LEAD, card_id__in=person.lead_ids)
        | Q(card_type=CardType.CONTACT, card_id__in=person.contact_ids)
        | Q(card_type=CardType.INTEREST, card_id__in=person.interest_ids)
        | Q(card_type=CardType.COMPANY, card_id__in=person.company_ids)
    )


@eraser("matching")
def erase_matching(person: Person) -> int:
    deleted, _per_model = _keys_qs(person).delete()
    return deleted


# ---------------------------------------------------------------- behaviour and consents


def _behaviour_qs(person: Person) -> QuerySet:
    from leadflow.warming.models import BehaviourEvent

    return BehaviourEvent.objects.filter(_card_q(person) | Q(visitor_id__in=person.visitor_ids))


@exporter("behaviour")
def export_behaviour(person: Person) -> list[dict[str, Any]]:
    return _rows(_behaviour_qs(person).order_by("pk"), "id", "kind", "lead_id", "client_id", "visitor_id",
                 "occurred_at", "url", "duration_seconds", "properties")


@eraser("behaviour")
def erase_behaviour(person: Person) -> int:
    from leadflow.warming.models import Visitor

    # The event (kind, time, card) stays for the points already counted; the page and details go.
    changed = _behaviour_qs(person).update(url="", properties={}, visitor_id="")
    # The tracker forgets whose browser it was: later page views stay anonymous instead of joining the erased
    # card (and warming it up until sales is told to call the person).
    deleted, _per_model = Visitor.objects.filter(Q(lead_id__in=person.lead_ids)
                                                 | Q(visitor_id__in=person.visitor_ids)).delete()
    return changed + deleted


# ---------------------------------------------------------------- the outbox


def _outbox_qs(person: Person) -> QuerySet:
    from leadflow.events.models import OutboxEvent

    condition = Q(payload__lead_id__in=sorted(person.lead_ids)) | Q(payload__client_id__in=sorted(person.client_ids))
    if person.visitor_ids:
        condition |= Q(payload__visitor_id__in=sorted(person.visitor_ids))
    return OutboxEvent.objects.filter(condition)


@eraser("outbox")
def erase_outbox(person: Person) -> int:
    """Events keep which card changed when (their handlers and the counts rely on it); the browser id a tracked
    event carried and a failed delivery's error text (it may quote the card) go."""
    changed = 0
    for event in _outbox_qs(person).only("pk", "payload", "last_error"):
        payload = event.payload if isinstance(event.payload, dict) else {}
        if payload.get("visitor_id") or event.last_error:
            type(event).objects.filter(pk=event.pk).update(
                payload={**payload, **({"visitor_id": ""} if "visitor_id" in payload else {})}, last_error="")
            changed += 1
    return changed


def _consents_qs(person: Person) -> QuerySet:
    from leadflow.privacy.models import Consent

    condition = _card_q(person)
    if person.emails:  # an unsubscribe by an address in any spelling (an extra one is known by its mailbox)
        condition |= Q(email__iregex=mailbox_regex(person.emails))
    if person.phones:
        condition |= Q(phone__in=person.e164s)
    return Consent.objects.filter(condition)


@exporter("consents")
def export_consents(person: Person) -> list[dict[str, Any]]:
    return _rows(_consents_qs(person).order_by("at", "pk"), "id", "purpose", "given", "text_version", "text", "at",
                 "ip", "channel", "lead_id", "client_id", "email", "phone", "recorded_by__username")


@eraser("consents")
def erase_consents(person: Person) -> int:
    # What was agreed to and withdrawn, when and how stays as the record of it; who and from where goes.
    return _consents_qs(person).update(email="", phone="", ip=None)


# ---------------------------------------------------------------- Django's admin change log


def _admin_log_qs(person: Person) -> QuerySet:
    """The admin's change log lines about the person's cards (a line keeps the card's name as it was then, and
    what was added with it), and any line whose name holds one of their e-mails."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from leadflow.clients.models import Client, Company, Contact
    from leadflow.leads.models import Interest, Lead

    condition = Q(pk__in=[])
    for model, ids in ((Lead, person.lead_ids), (Client, person.client_ids), (Contact, person.contact_ids),
                       (Interest, person.interest_ids), (Company, person.company_ids)):
        if ids:
            condition |= Q(content_type=ContentType.objects.get_for_model(model),
                           object_id__in=[str(pk) for pk in sorted(ids)])
    if person.emails:
        condition |= Q(object_repr__iregex=mailbox_regex(person.emails, anchored=False))
    return LogEntry.objects.filter(condition)


@exporter("admin_log")
def export_admin_log(person: Person) -> list[dict[str, Any]]:
    return _rows(_admin_log_qs(person).order_by("pk"), "action_time", "user__username", "action_flag",
                 "object_repr", "change_message")


@eraser("admin_log")
def erase_admin_log(person: Person) -> int:
    # Who changed which card when stays; the card's name and what the line says was added or changed go.
    return _admin_log_qs(person).update(object_repr=ERASED, change_message="")
