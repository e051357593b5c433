"""What the matcher knows about one card, and the comparison features derived from it once.

`Record` is the plain input (from the database or a CSV row); `features(record)` is everything the
comparator and the key generator need, computed once per record (cached) so a pairwise comparison
does no parsing, only lookups and rapidfuzz calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import phonenumbers
from anyascii import anyascii

from leadflow.matching.names import first_name_forms, is_cyrillic, phonetic, skeleton
from leadflow.matching.normalize import (
    NormalizationError,
    is_role_mailbox,
    normalize_email,
    normalize_phone,
    normalize_phones,
    split_company,
    split_person_name,
)

_DATA_FILE = "email_providers.txt"


@dataclass(frozen=True)
class Record:
    """One card or CSV row: a person's name and contacts; every field may be empty."""

    id: str
    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[tuple[str, str], ...] = ()  # (e164, extension)
    company: str = ""
    inn: str = ""
    city: str = ""
    address: str = ""
    postcode: str = ""
    birth_date: str = ""  # ISO date or ""

    @classmethod
    def from_raw(
        cls,
        id: str,
        *,
        name: str = "",
        first_name: str = "",
        last_name: str = "",
        middle_name: str = "",
        email: str = "",
        phone: str = "",
        company: str = "",
        city: str = "",
        address: str = "",
        postcode: str = "",
        birth_date: str = "",
        region: str = "RU",
        inn: str = "",
    ) -> Record:
        """Build a record from text as people typed it; unusable phones and e-mails are dropped."""
        first_name, last_name, middle_name = (_clean(first_name), _clean(last_name), _clean(middle_name))
        if not (first_name or last_name or middle_name) and name.strip():
            parts = split_person_name(name)
            first_name, last_name, middle_name = parts.first, parts.last, parts.middle
        return cls(
            id=str(id),
            first_name=first_name,
            last_name=last_name,
            middle_name=middle_name,
            emails=parse_emails(email),
            phones=parse_phones(phone, region=region),
            company=_clean(company),
            inn=re.sub(r"\D", "", inn or ""),
            city=_clean(city),
            address=_clean(address),
            postcode=_clean(postcode).replace(" ", "").upper(),
            birth_date=parse_birth_date(birth_date),
        )


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


# ---------------------------------------------------------------------------------------------
# Tolerant parsing of raw contact fields
# ---------------------------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"\s*[;,/|]\s*|\s{3,}")
_EXTENSION_START = re.compile(r"^(?:доб|доп|вн|ext|x\b|extension|добавочн|внутр)", re.IGNORECASE)
_EMAIL_SEPARATORS = re.compile(r"[;,\s]+")


def parse_phones(raw: str, *, region: str = "RU") -> tuple[tuple[str, str], ...]:
    """Every phone in a field ("8 912 ..., +7 495 ... доб. 12"); an unparsable one is dropped."""
    raw = (raw or "").strip()
    if not raw:
        return ()
    pieces: list[str] = []
    for piece in _PHONE_SEPARATORS.split(raw):
        if not piece:
            continue
        if pieces and _EXTENSION_START.match(piece):
            pieces[-1] = f"{pieces[-1]} {piece}"  # "..., доб. 12" belongs to the number before it
        else:
            pieces.append(piece)
    found: list[tuple[str, str]] = []
    for piece in pieces:
        phone = _parse_phone(piece, region)
        several = [phone] if phone is not None else _parse_several(piece, region)
        found.extend(phone for phone in several if phone not in found)
    return tuple(found)


def _parse_several(text: str, region: str) -> list[tuple[str, str]]:
    """Numbers of a piece the separators did not split ("8912... 8913...", one per line); [] if unreadable."""
    try:
        return [(phone.e164, phone.extension) for phone in normalize_phones(text, region=region or "RU")]
    except (NormalizationError, ValueError):
        return []


# A Russian mobile written plainly ("8 (912) 345-67-89", "+7 912 3456789"): the shape alone gives the
# E.164 form, and its validity depends only on the operator code, so phonenumbers is asked once per
# code instead of once per row (a batch of a million rows spends minutes in it otherwise).
_RU_PLAIN = re.compile(r"^\s*(?:\+\s*7|8|7)?[\s\-()]*(\d{3})[\s\-()]*(\d{3})[\s\-]*(\d{2})[\s\-]*(\d{2})\s*$")


@lru_cache(maxsize=4096)
def _ru_prefix_valid(sample: str) -> bool:
    try:
        normalize_phone(sample, region="RU")
    except (NormalizationError, ValueError):
        return False
    return True


@lru_cache(maxsize=65_536)
def _parse_phone(text: str, region: str) -> tuple[str, str] | None:
    if (region or "RU") == "RU" and (plain := _RU_PLAIN.match(text)) and plain.group(1)[0] == "9":
        e164 = "+7" + "".join(plain.groups())  # a Russian mobile: 9xx codes have no finer ranges
        if _ru_prefix_valid(e164[:6] + "000000") and _ru_prefix_valid(e164[:6] + "999999"):
            return e164, ""
    try:
        phone = normalize_phone(text, region=region or "RU")
    except (NormalizationError, ValueError):
        return None
    return phone.e164, phone.extension


# Plain ASCII addresses that email-validator always accepts unchanged (but lower-cased); anything
# else goes through normalize_email.
_PLAIN_EMAIL = re.compile(
    r"^[a-z0-9_%+\-]+(?:\.[a-z0-9_%+\-]+)*@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$"
)


def parse_emails(raw: str) -> tuple[str, ...]:
    """Every valid address in a field, normalised; anything else is dropped."""
    found: list[str] = []
    for piece in _EMAIL_SEPARATORS.split((raw or "").strip()):
        if "@" not in piece:
            continue
        lowered = piece.strip().lower()
        if len(lowered) <= 254 and lowered.index("@") <= 64 and _PLAIN_EMAIL.match(lowered):
            email = lowered
        else:
            try:
                email = normalize_email(piece)
            except (NormalizationError, ValueError):
                continue
        if email not in found:
            found.append(email)
    return tuple(found)


_ISO = re.compile(r"^(\d{4})-?(\d{1,2})-?(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_YMD_SLASH = re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})$")


def parse_birth_date(raw: str) -> str:
    """ISO YYYY-MM-DD from ISO, YYYYMMDD or DD.MM.YYYY; "" when it is not a plausible date."""
    text = (raw or "").strip().split("T", 1)[0].split(" ", 1)[0]
    if not text:
        return ""
    if len(text) == 8 and text.isdigit():
        year, month, day = text[:4], text[4:6], text[6:]
    elif match := (_ISO.match(text) or _YMD_SLASH.match(text)):
        year, month, day = match.groups()
    elif match := _DMY.match(text):
        day, month, year = match.groups()
    else:
        return ""
    if not (1850 <= int(year) <= 2100 and 1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return ""
    return f"{year}-{int(month):02d}-{int(day):02d}"


# ---------------------------------------------------------------------------------------------
# E-mail canonical forms
# ---------------------------------------------------------------------------------------------


@cache
def _providers() -> tuple[dict[str, str], frozenset[str]]:
    """Domain aliases (alias -> canonical domain) and the set of free (personal) mail domains."""
    aliases: dict[str, str] = {}
    free: set[str] = set()
    for line in (Path(__file__).with_name("data") / _DATA_FILE).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        canonical, _, rest = line.partition(":")
        canonical = canonical.strip()
        free.add(canonical)
        for alias in rest.split():
            aliases[alias] = canonical
            free.add(alias)
    return aliases, frozenset(free)


def canonical_email(email: str) -> str:
    """One form per mailbox: provider alias domain, no +tag, Gmail without dots, Yandex . = -."""
    email = email.strip().lower()
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    aliases, _ = _providers()
    domain = aliases.get(domain, domain)
    local = local.split("+", 1)[0] or local
    if domain == "gmail.com":
        local = local.replace(".", "")
    elif domain == "yandex.ru":
        local = local.replace(".", "-")
    return f"{local}@{domain}"


def is_free_mail_domain(domain: str) -> bool:
    """True for public mail services (gmail, yandex, mail.ru ...), where a domain says nothing."""
    return domain in _providers()[1]


# ---------------------------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NamePart:
    """One part of a name: its skeleton, whether it is an initial, and the raw text."""

    skel: str = ""
    initial: bool = False
    raw: str = ""
    cyrillic: bool = False
    plain: str = ""  # transliterated letters without the skeleton's rewrites, for typo similarity


@dataclass(frozen=True, slots=True)
class Features:
    """Comparison-ready forms of one record (see `features`)."""

    first: NamePart
    last: NamePart
    middle: NamePart
    first_forms: frozenset[str]  # full given names the first name may stand for (diminutives)
    emails: frozenset[str]  # canonical mailboxes
    role_emails: frozenset[str]  # the canonical mailboxes that are a company's role address (info@, sales@)
    raw_emails: frozenset[str]
    free_locals: frozenset[str]  # local parts of addresses at free providers
    corp_domains: frozenset[str]  # domains of addresses not at free providers
    phones: dict[str, frozenset[str]]  # e164 -> extensions given with it ("" for none)
    mobiles: frozenset[str]  # the phones that are mobile numbers
    only_mobiles: bool  # every phone is a mobile given without extension (personal numbers only)
    company: str  # skeleton of the company's own name, without legal form
    inn: str
    city: str
    address: str
    postcode: str
    birth_date: str

    @property
    def has_contact(self) -> bool:
        return bool(self.emails or self.phones)


_NOT_LETTERS = re.compile(r"[^a-z]+")
_INITIAL = re.compile(r"^[^\W\d_]{1,2}\.?$")
_WORDS = re.compile(r"[^\W_]+")


def _name_part(raw: str) -> NamePart:
    raw = raw.strip()
    if not raw:
        return NamePart()
    initial = bool(_INITIAL.match(raw)) and (raw.endswith(".") or len(raw) == 1)
    lowered = raw.lower().replace("ё", "е")
    return NamePart(
        skel=skeleton(raw),
        initial=initial,
        raw=lowered,
        cyrillic=is_cyrillic(raw),
        plain=_NOT_LETTERS.sub("", anyascii(lowered).lower() if not lowered.isascii() else lowered),
    )


def _middle_part(raw: str) -> NamePart:
    """The patronymic, or the first of several middle initials ("И. И." keeps "И.")."""
    words = raw.split()
    return _name_part(words[0]) if words else NamePart()


@lru_cache(maxsize=65_536)
def _is_mobile(e164: str) -> bool:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def is_mobile(e164: str) -> bool:
    """True for a mobile (personal) number; landlines may be shared by an office or a family."""
    if e164.startswith("+7") and not e164.startswith("+77"):
        return e164.startswith("+79")  # Russia: every 9xx code is mobile, no lookup needed
    return _is_mobile(e164)  # Kazakhstan shares +7: its mobiles are among its 7xx codes


@lru_cache(maxsize=65_536)
def company_skeleton(raw: str) -> str:
    """Comparison form of a company name: legal form, quotes, case and script dropped."""
    if not raw.strip():
        return ""
    name = split_company(raw).name
    return " ".join(skeleton(word) for word in _WORDS.findall(name) if skeleton(word))


@lru_cache(maxsize=65_536)
def text_skeleton(raw: str) -> str:
    """Lower-case Latin words of an address or a city, for fuzzy comparison."""
    return " ".join(skeleton(word) if not word.isdigit() else word for word in _WORDS.findall(raw.lower()))


def compute_features(record: Record) -> Features:
    """Derive the comparison features of a record (uncached: `features` caches)."""
    emails = tuple(e.strip().lower() for e in record.emails if e and "@" in e)
    free_locals, corp_domains = set(), set()
    for email in emails:
        local, _, domain = email.rpartition("@")
        if is_free_mail_domain(domain):
            free_locals.add(local.split("+", 1)[0].replace(".", "").replace("-", "").replace("_", ""))
        else:
            corp_domains.add(domain)
    phones: dict[str, set[str]] = {}
    for e164, extension in record.phones:
        if e164:
            phones.setdefault(e164, set()).add(extension or "")
    first = _name_part(record.first_name)
    return Features(
        first=first,
        last=_name_part(record.last_name),
        middle=_middle_part(record.middle_name),
        first_forms=first_name_forms(first.skel) if not first.initial else frozenset(),
        emails=frozenset(canonical_email(e) for e in emails),
        role_emails=frozenset(canonical_email(e) for e in emails if is_role_mailbox(e)),
        raw_emails=frozenset(emails),
        free_locals=frozenset(free_locals),
        corp_domains=frozenset(corp_domains),
        phones={e164: frozenset(exts) for e164, exts in phones.items()},
        mobiles=(mobiles := frozenset(e164 for e164 in phones if is_mobile(e164))),
        only_mobiles=all(e164 in mobiles and exts == {""} for e164, exts in phones.items()),
        company=company_skeleton(record.company),
        inn=record.inn,
        city=text_skeleton(record.city) if record.city else "",
        address=text_skeleton(record.address) if record.address else "",
        postcode=record.postcode.replace(" ", "").upper(),
        birth_date=record.birth_date,
    )


@lru_cache(maxsize=262_144)
def features(record: Record) -> Features:
    """Comparison features of a record, computed once per distinct record."""
    return compute_features(record)


def surname_key(part: NamePart) -> str:
    """Phonetic code of a surname skeleton (used in name keys)."""
    return phonetic(part.skel)
