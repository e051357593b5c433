"""Canonical forms of contact data (phones, e-mails, person and company names) for matching."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import phonenumbers
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from email_validator import EmailNotValidError, validate_email


class NormalizationError(ValueError):
    """Contact data that cannot be put into canonical form; str() is a message for people."""

    def __init__(self, message: str | Promise, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


# ---------------------------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phone:
    """A phone in E.164 with its extension kept apart: a main line plus extension is a person."""

    e164: str
    extension: str = ""
    number_type: str = ""


# Russian spellings of "extension" that phonenumbers does not know: "доб. 12", "вн. 12", ...
_RUSSIAN_EXTENSION = re.compile(
    r"(?<![^\W\d_])(?:добавочн(?:ый|ого)?|доб|доп|внутренн(?:ий|его)?|вн)\.?(?:\s*номер)?"
    r"\s*[:№#]?\s*(?=\d)",
    re.IGNORECASE,
)
# People write the international prefix as 00 even where the dialling prefix is 810 (Russia).
_LEADING_00 = re.compile(r"^([^\d+]*)00(?=[\s().-]*[1-9])")
_WORD = re.compile(r"[^\W\d_]+\.?")
_EXTENSION_WORDS = frozenset({"ext", "ext.", "x", "extension"})

_PARSE_ERRORS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: (
        _("unknown country calling code"),
        "invalid_phone",
    ),
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: (
        _("phone number is too short"),
        "too_short",
    ),
    phonenumbers.NumberParseException.TOO_SHORT_NSN: (_("phone number is too short"), "too_short"),
    phonenumbers.NumberParseException.TOO_LONG: (_("phone number is too long"), "too_long"),
}
_IMPOSSIBLE_REASONS = {
    phonenumbers.ValidationResult.TOO_SHORT: (_("phone number is too short"), "too_short"),
    phonenumbers.ValidationResult.TOO_LONG: (_("phone number is too long"), "too_long"),
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: (
        _("unknown country calling code"),
        "invalid_phone",
    ),
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: (
        _("phone number has no area code"),
        "invalid_phone",
    ),
}


def normalize_phone(raw: str, *, region: str = "RU") -> Phone:
    """Parse a phone written any way people write it, so one number always has one key."""
    text = raw.strip()
    if not text:
        raise NormalizationError(_("phone number is empty"), code="empty")
    text = _RUSSIAN_EXTENSION.sub(" ext. ", text)
    text = _LEADING_00.sub(r"\1+", text)
    number = _parse_phone(text, region)
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        message, code = _IMPOSSIBLE_REASONS.get(
            reason, (_("phone number has a wrong number of digits"), "invalid_phone")
        )
        raise NormalizationError(message, code=code)
    if not phonenumbers.is_valid_number(number):
        raise NormalizationError(_("not a valid phone number"), code="invalid_phone")
    return Phone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        extension=number.extension or "",
        number_type=_number_type_name(number),
    )


def _parse_phone(text: str, region: str) -> phonenumbers.PhoneNumber:
    """Parse, retrying without words ("моб.", "tel:") that make phonenumbers give up."""
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        if error.error_type != phonenumbers.NumberParseException.NOT_A_NUMBER:
            raise _phone_parse_error(error) from error
    try:
        return phonenumbers.parse(_WORD.sub(_keep_extension_word, text), region)
    except phonenumbers.NumberParseException as error:
        raise _phone_parse_error(error) from error


def _keep_extension_word(match: re.Match[str]) -> str:
    """Blank out a word unless it marks an extension."""
    return match.group(0) if match.group(0).lower() in _EXTENSION_WORDS else " "


def _phone_parse_error(error: phonenumbers.NumberParseException) -> NormalizationError:
    """Translate a phonenumbers parse failure into a message for people."""
    message, code = _PARSE_ERRORS.get(error.error_type, (_("not a phone number"), "invalid_phone"))
    return NormalizationError(message, code=code)


def _number_type_name(number: phonenumbers.PhoneNumber) -> str:
    """Lower-case name of the number's type, e.g. "mobile" or "fixed_line"."""
    name = phonenumbers.PhoneNumberType.to_string(phonenumbers.number_type(number))
    return (name or "unknown").lower()


# ---------------------------------------------------------------------------------------------
# E-mail
# ---------------------------------------------------------------------------------------------


def normalize_email(raw: str) -> str:
    """Validate an address and lower-case it: we treat e-mail addresses case-insensitively."""
    text = raw.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    if not text:
        raise NormalizationError(_("e-mail address is empty"), code="empty")
    try:
        # DOMAIN.md 2: the mailbox part is Latin; an internationalised domain (почта.рф) is fine.
        address = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise NormalizationError(str(error), code="invalid_email") from error
    # Domain rule: an address needs a real domain syntax, so a dotless host is not enough.
    if "." not in address.domain:
        raise NormalizationError(
            _("the part after the @-sign must be a domain name like example.com"),
            code="invalid_email",
        )
    return address.normalized.lower()


# ---------------------------------------------------------------------------------------------
# Person names
# ---------------------------------------------------------------------------------------------

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@dataclass(frozen=True)
class PersonName:
    """A person's name split into surname, given name and patronymic (or middle name)."""

    last: str = ""
    first: str = ""
    middle: str = ""

    @property
    def full(self) -> str:
        """The name in the order its culture writes it: ФИО for Cyrillic, Western otherwise."""
        if _CYRILLIC.search(self.last + self.first + self.middle):
            parts = (self.last, self.first, self.middle)
        else:
            parts = (self.first, self.middle, self.last)
        return " ".join(part for part in parts if part)

    @property
    def is_empty(self) -> bool:
        """True when nothing of a name was given."""
        return not (self.last or self.first or self.middle)


_NAME_QUOTES = re.compile(r"[«»\"„“”`]")
_AFTER_DOT = re.compile(r"(?<=\.)(?=[^\s.,])")
_WORD_EDGE_PUNCTUATION = "'’,;:!?()[]{}<>/\\-_*"
_INITIAL = re.compile(r"[^\W\d_]\.?")
_LETTERS = re.compile(r"[^\W\d_]+")

# Turkic patronymics are a separate word after the father's name: "Али оглы", "Лейла кызы".
_TURKIC_PATRONYMIC_WORDS = frozenset(
    {"оглы", "оглу", "улы", "кызы", "гызы", "ogly", "oglu", "ogli", "uly", "kyzy", "kizi", "qizi"}
)
_PATRONYMIC_ENDINGS = tuple(
    "ович евич ич овна евна ична инична ovich evich ovitch evitch ovna evna ichna".split()
)
_SURNAME_ENDINGS = tuple(
    "ов ев ин ын ский цкий ской цкой ова ева ина ына ская цкая ая ой ко ук юк енко ых их ян "
    "дзе швили".split()
)
# Only endings that Western given names practically never have ("Kevin", "Lev" must not match).
_LATIN_SURNAME_ENDINGS = ("ov", "ev", "ova", "eva", "sky", "skiy", "skii", "skaya", "enko")
_LATIN_PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "dos", "das", "la", "le"}
)


def split_person_name(raw: str) -> PersonName:
    """Split a free-text name into parts, whatever order and case it was typed in."""
    text = " ".join(raw.split())
    parts = [part for part in text.split(",") if _name_tokens(part)]
    if len(parts) >= 2:
        # "Smith, John" / "Иванов, Иван Иванович": the part before the comma is the surname.
        given = _name_tokens(" ".join(parts[1:]))
        return PersonName(
            last=" ".join(_name_tokens(parts[0])), first=given[0], middle=" ".join(given[1:])
        )
    tokens = _name_tokens(text)
    if not tokens:
        return PersonName()
    if len(tokens) == 1:
        # People sign with their first name far more often than with their surname alone.
        return PersonName(first=tokens[0])
    patronymic = _patronymic_index(tokens)
    if patronymic is not None:
        # The given name always comes right before the patronymic: "Иван Иванович".
        rest = tokens[: patronymic - 1] + tokens[patronymic + 1 :]
        return PersonName(
            last=" ".join(rest), first=tokens[patronymic - 1], middle=tokens[patronymic]
        )
    return _split_without_patronymic(tokens)


def _name_tokens(text: str) -> list[str]:
    """Words of a name: quotes and punctuation dropped, case fixed, initials split apart."""
    text = _AFTER_DOT.sub(" ", _NAME_QUOTES.sub(" ", text))
    tokens: list[str] = []
    for word in text.split():
        word = word.strip(_WORD_EDGE_PUNCTUATION)
        if not _LETTERS.search(word):
            continue
        if _INITIAL.fullmatch(word):
            tokens.append(word[0].upper() + ".")
        elif word.lower() in _TURKIC_PATRONYMIC_WORDS and tokens:
            tokens[-1] = f"{tokens[-1]} {word.lower()}"
        else:
            tokens.append(_fix_case(word.rstrip(".")))
    if tokens and not _CYRILLIC.search("".join(tokens)):
        tokens = [
            token.lower() if 0 < index < len(tokens) - 1 and _is_particle(token) else token
            for index, token in enumerate(tokens)
        ]
    return tokens


def _fix_case(word: str) -> str:
    """Title-case a word typed all upper or all lower; keep deliberate mixed case (McDonald)."""
    if word.islower() or word.isupper():
        return _LETTERS.sub(lambda match: match.group(0).capitalize(), word)
    return word


def _is_particle(token: str) -> bool:
    """A surname particle such as "van" or "de"."""
    return token.lower() in _LATIN_PARTICLES


def _is_lower_particle(token: str) -> bool:
    """A surname particle written in lower case, as in "Ludwig van Beethoven"."""
    return token.islower() and _is_particle(token)


def _is_initial(token: str) -> bool:
    """A single letter with a dot, "И."."""
    return len(token) == 2 and token.endswith(".")


def _name_key(word: str) -> str:
    """Comparison form of a name: lower-case, ё as е."""
    return word.lower().replace("ё", "е")


@cache
def _known_first_names() -> frozenset[str]:
    """Common Russian first names shipped with the app, to tell them from surnames."""
    path = Path(__file__).with_name("data") / "first_names_ru.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(_name_key(line.strip()) for line in lines if line.strip())


def _is_known_first_name(word: str) -> bool:
    """A common Russian first name, including double ones like "Анна-Мария"."""
    names = _known_first_names()
    return all(part in names for part in _name_key(word).split("-"))


def _is_patronymic(word: str) -> bool:
    """Ends like a patronymic: -ович, -евна, -ична, -ovich, or a Turkic "X оглы"."""
    key = _name_key(word)
    if key.rsplit(" ", 1)[-1] in _TURKIC_PATRONYMIC_WORDS:
        return True
    return any(key.endswith(end) and len(key) >= len(end) + 2 for end in _PATRONYMIC_ENDINGS)


def _looks_like_surname(word: str) -> bool:
    """Ends like a Russian surname (-ов, -ина, -ский, -енко...), in Cyrillic or Latin."""
    key = _name_key(word).rsplit("-", 1)[-1]
    if _CYRILLIC.search(key):
        return not _is_known_first_name(word) and any(
            key.endswith(end) and len(key) >= len(end) + 2 for end in _SURNAME_ENDINGS
        )
    return any(key.endswith(end) and len(key) >= len(end) + 3 for end in _LATIN_SURNAME_ENDINGS)


def _patronymic_index(tokens: list[str]) -> int | None:
    """Position of the patronymic; never the first word, which would be a surname like Петрович."""
    candidates = [
        index
        for index, token in enumerate(tokens)
        if index > 0 and _is_patronymic(token) and not _is_initial(tokens[index - 1])
    ]
    after_first_name = [index for index in candidates if _is_known_first_name(tokens[index - 1])]
    chosen = after_first_name or candidates
    return chosen[-1] if chosen else None


def _split_without_patronymic(tokens: list[str]) -> PersonName:
    """Split two or more words with no patronymic, using initials, known names and endings."""
    initials = [token for token in tokens if _is_initial(token)]
    words = [token for token in tokens if not _is_initial(token)]
    if not words:
        return PersonName(first=initials[0], middle=" ".join(initials[1:]))
    if len(words) == 1:
        if initials and _is_known_first_name(words[0]):
            return PersonName(first=words[0], middle=" ".join(initials))
        # "Иванов И.И.", "J. Smith": initials stand for the given name and patronymic.
        return PersonName(last=words[0], first=initials[0], middle=" ".join(initials[1:]))
    if _CYRILLIC.search("".join(words)):
        first_index, last_index = _cyrillic_first_and_last(words)
    elif len(words) == 2 and _looks_like_surname(words[0]) and not _looks_like_surname(words[1]):
        # A transliterated Russian name written surname first: "Ivanov Ivan".
        first_index, last_index = 1, 0
    else:
        return _latin_with_particles(words, initials)
    middle = [word for index, word in enumerate(words) if index not in (first_index, last_index)]
    return PersonName(
        last=words[last_index], first=words[first_index], middle=" ".join(middle + initials)
    )


def _cyrillic_first_and_last(words: list[str]) -> tuple[int, int]:
    """Pick the given name by the list of first names, the surname by its ending."""
    known = [index for index, word in enumerate(words) if _is_known_first_name(word)]
    surnames = [index for index, word in enumerate(words) if _looks_like_surname(word)]
    if known:
        first = known[0]
    else:
        first = next(index for index in range(len(words)) if index not in surnames[:1])
    others = [index for index in surnames if index != first]
    if others:
        return first, others[0]
    return first, (len(words) - 1 if first == 0 else 0)


def _latin_with_particles(words: list[str], initials: list[str]) -> PersonName:
    """Western order where "van", "de" and what follows them belong to the surname."""
    particle = next(
        (index for index, word in enumerate(words) if index > 0 and _is_lower_particle(word)),
        len(words) - 1,
    )
    return PersonName(
        last=" ".join(words[particle:]),
        first=words[0],
        middle=" ".join(initials + words[1:particle]),
    )


# ---------------------------------------------------------------------------------------------
# Company names
# ---------------------------------------------------------------------------------------------

# Canonical short form, then every spelling of it met in the wild (case does not matter).
_LEGAL_FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ООО", ("общество с ограниченной ответственностью", "ооо", "ooo")),
    ("ПАО", ("публичное акционерное общество", "пао")),
    ("НАО", ("непубличное акционерное общество", "нао")),
    ("ЗАО", ("закрытое акционерное общество", "зао")),
    ("ОАО", ("открытое акционерное общество", "оао")),
    ("АО", ("акционерное общество", "ао")),
    ("ИП", ("индивидуальный предприниматель", "ип")),
    ("АНО", ("автономная некоммерческая организация", "ано")),
    ("НКО", ("некоммерческая организация", "нко")),
    ("ФГУП", ("федеральное государственное унитарное предприятие", "фгуп")),
    ("ГУП", ("государственное унитарное предприятие", "гуп")),
    ("МУП", ("муниципальное унитарное предприятие", "муп")),
    ("ТОО", ("товарищество с ограниченной ответственностью", "тоо")),
    ("LLC", ("limited liability company", "l.l.c.", "llc")),
    ("LLP", ("limited liability partnership", "l.l.p.", "llp")),
    ("PLC", ("public limited company", "plc")),
    ("Ltd", ("limited", "ltd")),
    ("Inc", ("incorporated", "inc")),
    ("Corp", ("corporation", "corp")),
    ("GmbH", ("gesellschaft mit beschränkter haftung", "gmbh")),
    ("AG", ("aktiengesellschaft", "ag")),
)
_QUOTE_PAIRS = {"«": "»", "„": "“”", "“": "”", "‘": "’", '"': '"', "'": "'"}
_QUOTES = "«»„“”‘’\"'"
_FORM_BOUNDARY = r"[\s,«»„“”‘’\"'()]"
_NAME_EDGE_JUNK = " ,;:-–—"


def _form_pattern(spelling: str) -> str:
    """Regex for one spelling: any whitespace between words, an optional trailing dot."""
    words = (re.escape(word) for word in spelling.rstrip(".").split())
    return r"\s+".join(words) + r"\.?"


_FORM_SPELLINGS = sorted(
    ((spelling, form) for form, spellings in _LEGAL_FORMS for spelling in spellings),
    key=lambda item: -len(item[0]),
)
_FORM_AT_START = [
    (re.compile(rf"^{_form_pattern(spelling)}(?={_FORM_BOUNDARY}|$)", re.IGNORECASE), form)
    for spelling, form in _FORM_SPELLINGS
]
_FORM_AT_END = [
    (re.compile(rf"(?:^|(?<={_FORM_BOUNDARY})){_form_pattern(spelling)}$", re.IGNORECASE), form)
    for spelling, form in _FORM_SPELLINGS
]


@dataclass(frozen=True)
class CompanyName:
    """A company's own name apart from its legal form, so "ООО Ромашка" matches "Ромашка"."""

    name: str
    legal_form: str = ""

    @property
    def display(self) -> str:
        """The name as a document writes it: ООО «Ромашка», ИП Иванов И.И., Romashka LLC."""
        if not self.legal_form or not self.name:
            return self.name or self.legal_form
        if not _CYRILLIC.search(self.legal_form):
            return f"{self.name} {self.legal_form}"
        if self.legal_form == "ИП":
            # A sole trader's name is a person's name: it is never put in quotes.
            return f"ИП {self.name}"
        return f"{self.legal_form} «{self.name}»"


def split_company(raw: str) -> CompanyName:
    """Separate the legal form from the name; the name keeps its case, since brands care."""
    text = _strip_quotes(" ".join(raw.split()))
    legal_form = ""
    for patterns in (_FORM_AT_START, _FORM_AT_END):
        for pattern, form in patterns:
            stripped, found = pattern.subn("", text)
            if found:
                text, legal_form = stripped, form
                break
        if legal_form:
            break
    return CompanyName(name=_strip_quotes(text), legal_form=legal_form)


def _strip_quotes(text: str) -> str:
    """Drop the quotes around a name and a stray unmatched one, keeping quotes inside it."""
    text = text.strip(_NAME_EDGE_JUNK)
    while len(text) >= 2 and _is_wrapped_in_quotes(text):
        text = text[1:-1].strip(_NAME_EDGE_JUNK)
    if text[:1] in _QUOTES and not any(char in _QUOTES for char in text[1:]):
        text = text[1:]
    if text[-1:] in _QUOTES and not any(char in _QUOTES for char in text[:-1]):
        text = text[:-1]
    return text.strip(_NAME_EDGE_JUNK)


def _is_wrapped_in_quotes(text: str) -> bool:
    """True when the first character opens a quote that the last character closes."""
    opener, closers = text[0], _QUOTE_PAIRS.get(text[0], "")
    if not closers or text[-1] not in closers:
        return False
    if opener in closers:
        inner = text[1:-1]
        return opener not in inner or inner.endswith(opener)
    depth = 0
    for index, char in enumerate(text):
        if char == opener:
            depth += 1
        elif char in closers:
            depth -= 1
            if depth == 0:
                return index == len(text) - 1
    return False
