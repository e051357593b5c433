"""Canonical forms of contact data (phones, e-mails, person and company names) for matching."""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path

import phonenumbers
from django.utils.functional import Promise, lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from email_validator import EmailNotValidError, validate_email
from rapidfuzz.distance import OSA


class NormalizationError(ValueError):
    """Contact data that cannot be put into canonical form; str() is a message for people."""

    def __init__(self, message: str | Promise, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


# ---------------------------------------------------------------------------------------------
# Placeholders: what people type into a contact field they do not want to fill
# ---------------------------------------------------------------------------------------------

# "нет", "n/a", "не указан": a field filled only because the form would not let it stay empty. Compared after
# lower-casing, ё as е, and dropping the punctuation around and between words.
_PLACEHOLDER_WORDS = frozenset({
    "нет", "нету", "не", "no", "none", "nope", "na", "n a", "nil", "null", "nothing", "not given", "not available",
    "not applicable", "not specified", "unknown", "отсутствует", "отсутствуют", "не указан", "не указано",
    "не указана", "не указаны", "не имею", "не знаю", "не помню", "не скажу", "не хочу", "без телефона",
    "без почты", "нет телефона", "нет почты", "нет e mail", "нет email", "нет емейла", "нет мейла", "no phone",
    "no email", "no e mail", "неизвестно", "пусто", "empty",
})
_PLACEHOLDER_PUNCTUATION = re.compile(r"[^\w]+|_+")
# A phone field's input mask sent as it was drawn, nobody having typed into it ("+7 (___) ___-__-__", "8 (___) ...",
# or the country's prefix the mask starts with, "+7", "+375"): a field left empty. A mask typed into in part
# ("+7 (912) 345-__-__") is not: it is a number short of digits.
_UNFILLED_MASK = re.compile(r"^(?:\+\d{1,3}|8)?[\s()\-.]*(?:_[\s()\-._]*)+$|^\+\d{1,3}[\s(]*$")


def is_placeholder(raw: str) -> bool:
    """True for text that stands for "nothing" in a contact field: "-", "—", "нет", "n/a", "не указан", "0", "000".

    Only dashes, dots and the like, only zeros, or one of the usual words: real garbage ("abc", "12") is not a
    placeholder and stays an error of the field."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return False
    if not any(char.isalnum() for char in text) or _UNFILLED_MASK.match(text):
        return True  # "-", "—", "...", "---", "?", "/"; an input mask nobody typed into
    key = " ".join(_PLACEHOLDER_PUNCTUATION.sub(" ", text.lower().replace("ё", "е")).split())
    if not key.replace(" ", "").strip("0"):
        return True  # "0", "000", "0 000 000": no number is all zeros
    return key in _PLACEHOLDER_WORDS


# ---------------------------------------------------------------------------------------------
# Telegram accounts
# ---------------------------------------------------------------------------------------------

# A Telegram account as people give it: a link ("https://t.me/ivan_petrov", "telegram.me/ivan_petrov") or "@ivan_petrov"
# in a text; its user name is 5-32 letters, digits and underscores, starting with a letter.
TELEGRAM = re.compile(r"(?:(?:https?://)?(?:t\.me|telegram\.me)/|(?<![\w.@])@)([A-Za-z][A-Za-z0-9_]{3,31})(?![\w@.])",
                      re.IGNORECASE)
_TELEGRAM_NAME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]{3,31})\s*$")


def telegram_accounts(text: str, *, bare: bool = False) -> list[str]:
    """The Telegram accounts a text gives, as requests keep them ("t.me/ivan_petrov", lower case: Telegram's names
    are case-blind); with `bare`, a field holding only a user name ("ivan_petrov": a "telegram" field) is one too."""
    found = TELEGRAM.findall(text) or (_TELEGRAM_NAME.findall(text) if bare else [])
    return list(dict.fromkeys(f"t.me/{name.lower()}" for name in found))


def normalize_telegram(raw: str) -> str:
    """One Telegram account ("@Ivan_Petrov", "t.me/ivan_petrov", "ivan_petrov") as requests keep it; an error
    otherwise."""
    text = raw.strip().rstrip("/")
    match = TELEGRAM.fullmatch(text) or _TELEGRAM_NAME.fullmatch(text)
    if match is None:
        raise NormalizationError(_("Not a Telegram account: give @name or a t.me/name link."))
    return f"t.me/{match.group(1).lower()}"


def telegram_shown(account: str) -> str:
    """A Telegram account as people write one ("@ivan_petrov" of "t.me/ivan_petrov"), "" for none: a card shows it
    so, and its edit form offers it so (normalize_telegram reads it back the same)."""
    return f"@{account.rpartition('/')[2]}" if account else ""


# ---------------------------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phone:
    """A phone in E.164 with its extension kept apart: a main line plus extension is a person."""

    e164: str
    extension: str = ""
    number_type: str = ""


def phone_text(phone: Phone) -> str:
    """One stored text for a phone and its extension, "+74951234567 ext. 12"; `split_phone_text` reads it back."""
    return f"{phone.e164} ext. {phone.extension}" if phone.extension else phone.e164


def split_phone_text(text: str) -> tuple[str, str]:
    """(E.164, extension) of a `phone_text`."""
    e164, _, extension = text.partition(" ext. ")
    return e164, extension


def shown_phone(text: str, extension: str = "", *, region: str) -> str:
    """A stored phone as people write it, for reading on a page or in a letter: "8 (912) 345-67-89" for a number of
    the installation's own `region` (the national form Russian managers write and say, the area or operator code in
    brackets), "+44 20 7123 4567" for a foreign one (its plus says at a glance the call goes abroad), and the
    extension after the reader's word for it ("доб. 12", "ext. 12"). `text` is E.164 or a `phone_text` with its
    extension; what is not a phone (a SIP name, a number kept as given) is shown as it is. Only for reading:
    links, exports, the API and matching keep E.164."""
    number, kept_extension = split_phone_text(text or "")
    extension = extension or kept_extension
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not number.startswith("+") or not phonenumbers.is_possible_number(parsed):
        shown = number
    elif phonenumbers.region_code_for_number(parsed) == region.upper():
        shown = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    else:
        shown = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if not extension:
        return shown
    word = _("ext.")  # outside the f-string, where makemessages finds it
    return f"{shown} {word} {extension}"


# Russian spellings of "extension" that phonenumbers does not know: "доб. 12", "вн. 12", ... In a phone field also
# "д. 12" (with its dot); not in a free text, where "ул. Ленина, д. 12" is a house (mark_extensions).
_RUSSIAN_EXTENSION_WORDS = r"(?<![^\W\d_])(?:добавочн(?:ый|ого)?|доб|доп|внутренн(?:ий|его)?|вн{short})\.?"
_RUSSIAN_EXTENSION_AFTER = r"(?:\s*номер)?\s*[:№#]?\s*(?=\d)"
_RUSSIAN_EXTENSION = re.compile(
    _RUSSIAN_EXTENSION_WORDS.format(short=r"|д(?=\.)") + _RUSSIAN_EXTENSION_AFTER, re.IGNORECASE
)
_RUSSIAN_EXTENSION_IN_TEXT = re.compile(_RUSSIAN_EXTENSION_WORDS.format(short="") + _RUSSIAN_EXTENSION_AFTER,
                                        re.IGNORECASE)
# People write the international prefix as 00 even where the dialling prefix is 810 (Russia).
_LEADING_00 = re.compile(r"^([^\d+]*)00(?=[\s().-]*[1-9])")
_WORD = re.compile(r"[^\W\d_]+\.?")
_EXTENSION_WORDS = frozenset({"ext", "ext.", "x", "extension"})

# An extension's digits typed in groups, "доб. 12 34", "ext 12-34": one extension (1234), not stray digits.
_SPLIT_EXTENSION = re.compile(
    r"((?:(?<![^\W\d_])(?:ext\.?|x)|#)\s*)(\d+(?:[ -]\d+)+)(\s*\)?\.?)$", re.IGNORECASE
)
# Any mark of an extension, followed by digits or not: what follows it must read as the extension.
_EXTENSION_MARK = re.compile(
    r"(?<![^\W\d_])(?:добавочн(?:ый|ого)?|доб|доп|внутренн(?:ий|его)?|вн|ext|extension)\.?(?:\s*номер)?\s*[:№#]?"
    r"|#|(?<![^\W\d_])(?:x|д\.)(?=\s*\d)",
    re.IGNORECASE,
)
_TOO_FEW = (_("phone number has too few digits"), "too_short")
_TOO_MANY = (_("phone number has too many digits"), "too_long")
_UNCLEAR_EXTENSION = (_("phone extension is unclear: write its digits after “доб.” or “ext.”"), "invalid_extension")
_PARSE_ERRORS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: (
        _("unknown country calling code"),
        "invalid_phone",
    ),
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: _TOO_FEW,
    phonenumbers.NumberParseException.TOO_SHORT_NSN: _TOO_FEW,
    phonenumbers.NumberParseException.TOO_LONG: _TOO_MANY,
}
_IMPOSSIBLE_REASONS = {
    phonenumbers.ValidationResult.TOO_SHORT: _TOO_FEW,
    phonenumbers.ValidationResult.TOO_LONG: _TOO_MANY,
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: (
        _("unknown country calling code"),
        "invalid_phone",
    ),
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: (
        _("phone number has no area code"),
        "invalid_phone",
    ),
}


# A phone column a spreadsheet took for numbers: "79123456789.0" is the number (a float's ".0" added on export);
# "7.91234E+10" has lost its last digits and cannot be read back.
_SPREADSHEET_FLOAT = re.compile(r"^(\+?\d{6,15})[.,]0+$")
_SPREADSHEET_EXPONENT = re.compile(r"^\+?\d(?:[.,]\d+)?[eE]\+?\d{1,2}$")
_EXPONENT_PARTS = re.compile(r"^(\+?)(\d)(?:[.,](\d+))?[eE]\+?(\d{1,2})$")


def _whole_number_of_exponent(text: str) -> str:
    """A number a spreadsheet or a script wrote with an exponent: the digits when all of them are there
    ("7.9123456789E10" is 79123456789: as many decimals as the exponent), else the error that they are lost
    ("7.91235E+10": the last digits were rounded away, whatever zeros stand for them now)."""
    plus, first, decimals, exponent = _EXPONENT_PARTS.match(text).groups()  # type: ignore[union-attr]
    if len(decimals or "") != int(exponent):
        raise NormalizationError(_SHORTENED_BY_SPREADSHEET[0], code=_SHORTENED_BY_SPREADSHEET[1])
    return plus + first + (decimals or "")


_SHORTENED_BY_SPREADSHEET = (
    _("a spreadsheet shortened this number (like 7.91234E+10) and its last digits are lost: "
      "format the column as text and export it again"),
    "invalid_phone",
)


def normalize_phone(raw: str, *, region: str = "RU") -> Phone:
    """Parse a phone written any way people write it, so one number always has one key."""
    text = " ".join(invisible_removed(raw).split())  # tabs, newlines, no-break and zero-width spaces pasted along
    if not text:
        raise NormalizationError(_("phone number is empty"), code="empty")
    if _SPREADSHEET_EXPONENT.match(text):
        text = _whole_number_of_exponent(text)
    text = _SPREADSHEET_FLOAT.sub(r"\1", text)
    text = _RUSSIAN_EXTENSION.sub(" ext. ", text)
    text = _LEADING_00.sub(r"\1+", text)
    text = _SPLIT_EXTENSION.sub(_joined_extension, text)
    try:
        if _LETTERS_AMONG_DIGITS.search(_EXTENSION_WORD.sub(" ", text)):
            # phonenumbers reads three Latin letters among the digits as a keypad's ("8 912 OOO 67 89" as 666): a
            # vanity number nobody here has; it is the retries' (O for 0) or an error, never another number
            raise NormalizationError(_("not a valid phone number"), code="invalid_phone")
        phone = _checked_phone(text, region)
    except NormalizationError as error:
        for retry in _phone_retries(text, region):
            try:
                phone = _checked_phone(retry, region)
                break
            except NormalizationError:
                continue
        else:
            raise _unclear_extension(text, region) or error from None
    if not phone.extension and _unread_extension(text):
        # "доб. двенадцать": the number reads, its extension does not; it is not dropped in silence.
        raise _unclear_extension(text, region) or NormalizationError(_UNCLEAR_EXTENSION[0], code=_UNCLEAR_EXTENSION[1])
    return phone


_EXTENSION_WORD = re.compile(r"(?<![a-z])(?:extension|ext|x)(?![a-z])", re.IGNORECASE)
_LETTERS_AMONG_DIGITS = re.compile(r"\d(?:[^\d]*?[A-Za-z]){3}[^\d]*?\d")
_EXTENSION_IN_BRACKETS = re.compile(r"\(\s*ext\.\s*(\d+)\s*\)")


def mark_extensions(text: str) -> str:
    """Extensions in a free text written the way phonenumbers' matcher reads them: "доб. 12", "вн. 12" and
    "(доб. 12)" become " ext. 12", so a number found in an e-mail's signature keeps its extension."""
    return _EXTENSION_IN_BRACKETS.sub(r" ext. \1", _RUSSIAN_EXTENSION_IN_TEXT.sub(" ext. ", text))


def _joined_extension(match: re.Match[str]) -> str:
    """The extension's groups of digits as one number."""
    return match.group(1) + re.sub(r"\D", "", match.group(2)) + match.group(3)


def _unread_extension(text: str) -> bool:
    """An extension mark followed by something that is not digits ("доб. двенадцать", "ext. 12/13")."""
    mark = _EXTENSION_MARK.search(text)
    return mark is not None and bool(text[mark.end() :].strip(" ).")) and not text[mark.end() :].strip(" ).").isdigit()


def _unclear_extension(text: str, region: str) -> NormalizationError | None:
    """When the number before the extension mark reads by itself, the extension is what is wrong."""
    mark = _EXTENSION_MARK.search(text)
    if mark is None or not text[: mark.start()].strip(" (,;"):
        return None
    try:
        _checked_phone(text[: mark.start()].strip(" (,;"), region)
    except NormalizationError:
        return None
    return NormalizationError(_UNCLEAR_EXTENSION[0], code=_UNCLEAR_EXTENSION[1])


def _checked_phone(text: str, region: str) -> Phone:
    """Parse one candidate spelling and insist that it is a possible, valid number."""
    number = _parse_phone(text, region)
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        message, code = _impossible_reason(number, reason, text, region)
        raise NormalizationError(message, code=code)
    if not phonenumbers.is_valid_number(number):
        raise NormalizationError(_("not a valid phone number"), code="invalid_phone")
    return Phone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        extension=number.extension or "",
        number_type=_number_type_name(number),
    )


# "+8 912 345-67-89": the trunk prefix 8 typed after a plus, as if it were a country code.
_PLUS_TRUNK_EIGHT = re.compile(r"^([^\d+]*)\+\s*(?=8)")


def _impossible_reason(
    number: phonenumbers.PhoneNumber, reason: int, text: str, region: str
) -> tuple[str | Promise, str]:
    """What is wrong with a number that cannot exist, in the words a person checks it by: too few or too many digits.

    phonenumbers calls "8 (912) 345" a possible local number; but whoever types the trunk prefix, a country code or an
    area code in brackets meant a full number, and it lacks digits. A wrong length between the possible ones is
    told apart by the country's shortest and longest numbers."""
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        trunk = metadata.national_prefix if metadata is not None else None
        digits = re.sub(r"\D", "", text)
        if text.lstrip().startswith("+") or "(" in text or (trunk and digits.startswith(trunk)):
            return _TOO_FEW
    if reason == phonenumbers.ValidationResult.INVALID_LENGTH:
        country = phonenumbers.region_code_for_country_code(number.country_code)
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
        # The lengths of people's numbers (fixed lines and mobiles), not of rare service numbers (Russia's 14 digits).
        lengths = tuple(
            length
            for desc in ((metadata.fixed_line, metadata.mobile) if metadata is not None else ())
            if desc is not None
            for length in desc.possible_length
            if length > 0
        )
        length = len(phonenumbers.national_significant_number(number))
        if lengths and length < min(lengths):
            return _TOO_FEW
        if lengths and length > max(lengths):
            return _TOO_MANY
    return _IMPOSSIBLE_REASONS.get(reason, (_("phone number has a wrong number of digits"), "invalid_phone"))


# When to call, typed after the number: "(звонить после 18:00)", "с 10 до 18", "до 12", "в 10", "after 6pm". A time
# with a colon or an hour unit, an hour after a word saying when ("после", "до" - before, "в", "к", "около", "after",
# "before", "at", "till"; "до 18.00" too), or a span "с 10 до 18"; the hour's digits belong to no phone. "до 12" is
# "before 12" in Russian forms, not a slip for "доб. 12" (the extension marks are "доб", "доб.", "д.", "вн.", "ext");
# a number past the hours ("до 123") is not a time and the field stays refused (_MAYBE_PART_OF_NUMBER).
_HOUR = r"(?:[01]?\d|2[0-3])"
_TIME_REMARK = re.compile(
    rf"(?<!\d){_HOUR}:[0-5]\d(?!\d)(?:\s*(?:am|pm))?"
    rf"|(?<![^\W\d_])(?:после|до|в|к|около|after|before|at|till|until|by)\s+{_HOUR}(?:\.[0-5]\d)?(?![\d:.])"
    rf"|(?<![^\W\d_])(?:с|от|from)\s+{_HOUR}\s*(?:-|–|до|to|till|until)\s*{_HOUR}(?![\d:])"
    rf"|(?<!\d){_HOUR}\s*(?:ч|час(?:а|ов)?|h|am|pm)(?![^\W\d_])",
    re.IGNORECASE,
)


# A letter typed for the digit it looks like, standing among the digits as one ("8 912 345 67 8О", "8 9l2 ..."):
# the Latin or Cyrillic O for 0, a small L or a capital I for 1. Tried last, and only a valid number is taken.
_DIGIT_OF_LETTER = {"O": "0", "o": "0", "О": "0", "о": "0", "l": "1", "I": "1"}
_LETTER_FOR_DIGIT = re.compile(r"(?<![^\W\d_])[OoОоlI]+(?![^\W\d_])")
_ANY_LETTER = re.compile(r"[^\W\d_]")


def _phone_retries(text: str, region: str) -> Iterator[str]:
    """Other readings of a number that failed as typed, tried only then (so a real number always wins).

    - Latin words blanked out ("whatsapp", "mobile"): phonenumbers reads letters as a keypad's digits.
    - When to call blanked out ("после 18:00", "с 10 до 18"), with the words around it.
    - "+8..." where 8 is the region's trunk prefix (Russia, Kazakhstan, Belarus): no valid number
      starts with +8 followed by a national number of those countries, so the plus is a slip.
    - A neighbour's number typed with its country code but without the plus ("375 29 123-45-67", "998 90 ..."),
      as it is dialled from Russia after 8-10: only the former Soviet countries' three-digit codes, whose numbers
      have more digits than any Russian one, so a Russian number with a slip is never read as a foreign one.
    - A letter typed for a digit among the digits ("8 912 345 67 8О": O for 0, l for 1).
    - A Belarusian or Ukrainian number in its own country's domestic notation (8 0XX, 0XX) on a Russian form."""
    without_words = _WORD.sub(_keep_extension_word, text)
    without_times = _TIME_REMARK.sub(" ", text)
    # the time first: without its words, "..., звонить после 18" would read 18 as an extension ("..., 12" is one)
    if without_times != text:
        yield without_times
        yield _WORD.sub(_keep_extension_word, without_times)
    if without_words != text:
        yield without_words
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is not None and metadata.national_prefix == "8":
        for candidate in dict.fromkeys((text, without_words)):
            if _PLUS_TRUNK_EIGHT.match(candidate):
                yield _PLUS_TRUNK_EIGHT.sub(r"\1", candidate, count=1)
    if _NEIGHBOUR_WITHOUT_PLUS.match(text):
        yield "+" + text.lstrip(" (")
    digits = re.sub(r"[\s().-]", "", text)
    if region in ("RU", "KZ") and digits.isdigit():
        # A Belarusian number as dialled in Belarus ("8 029 123-45-67") or a Ukrainian one as in Ukraine
        # ("050 123 45 67"): no Russian or Kazakh number starts with 80 or 0, so nothing of theirs is misread.
        if len(digits) == 11 and digits.startswith("80"):
            yield "+375" + digits[2:]
        elif len(digits) == 10 and digits.startswith("0"):
            yield "+380" + digits[1:]
    with_digits = _LETTER_FOR_DIGIT.sub(lambda match: "".join(_DIGIT_OF_LETTER[c] for c in match.group(0)), text)
    if with_digits != text and not _ANY_LETTER.search(with_digits):
        yield with_digits  # (with a word left, "8 9l2 ... Иван", the number would be read and the word lost)


# Belarus, Ukraine, Moldova, the Baltic states, Armenia, Azerbaijan, Georgia and the Central Asian states.
_NEIGHBOUR_CODES = ("375", "380", "373", "370", "371", "372", "374", "994", "995", "992", "993", "996", "998")
_NEIGHBOUR_WITHOUT_PLUS = re.compile(rf"^[\s(]*(?:{'|'.join(_NEIGHBOUR_CODES)})(?!\d{{0,2}}$)")

_SEVERAL_PHONES = re.compile(r"\s*(?:[;,/|\n]|\s(?:или|либо|or)\s)\s*", re.IGNORECASE)


def normalize_phones(raw: str, *, region: str = "RU") -> list[Phone]:
    """Every number of a field that holds one or several ("+7 912 ..., 8 495 ... доб. 12").

    One number is read by `normalize_phone`. Only when that fails is the field read as several
    numbers, and only if every digit in it belongs to one of them: a field is either read whole or
    refused with the error of the whole, never read in part with the rest silently dropped."""
    try:
        return [normalize_phone(raw, region=region)]
    except NormalizationError as error:
        several = _several_phones(raw, region)
        if several:
            return several
        raise error


def _pieces(raw: str, separators: re.Pattern[str]) -> list[tuple[int, int]]:
    """The spans of the non-blank pieces of `raw` between its separators."""
    spans, start = [], 0
    for match in [*separators.finditer(raw), None]:
        end = match.start() if match else len(raw)
        if raw[start:end].strip():
            spans.append((start, end))
        start = match.end() if match else end
    return spans


def _rest(raw: str, read: list[tuple[int, int]], separators: str) -> str:
    """`raw` without the pieces that were read, every other character as typed (only separators at its ends go)."""
    kept, start = [], 0
    for piece_start, piece_end in read:
        kept.append(raw[start:piece_start])
        start = piece_end
    kept.append(raw[start:])
    return "".join(kept).strip(separators)


_PHONE_SEPARATORS = " \t\n;,/|"
# Words that only say what the field holds ("тел. 8 912...", "моб.", "e-mail:"): nothing a person would miss if they
# are not kept. A word that says more ("рабочий", "жена", "после 18") is a remark, kept as given.
_FIELD_LABELS = frozenset({
    "тел", "тлф", "телефон", "т", "номер", "моб", "мобильный", "мобильник", "сот", "сотовый", "контактный", "tel",
    "telephone", "phone", "ph", "mob", "mobile", "cell", "number",
    "email", "e-mail", "mail", "эл", "почта", "емейл", "имейл", "емайл", "мейл", "адрес",
})
_LABEL_AT_START = re.compile(r"^[\s.:;,/|-]*([^\W\d_]+(?:-[^\W\d_]+)?)[\s.:;,/|-]*")
_LABEL_AT_END = re.compile(r"[\s.:;,/|-]*([^\W\d_]+(?:-[^\W\d_]+)?)[\s.:;,/|-]*$")
# Which of a person's numbers it is, right before it ("моб. +7 912 ..., раб. 8 495 ... доб. 123"): a label of that
# number, as a signature writes it. After a number ("89123456789 (рабочий)") or alone it is a remark, kept.
_LABELS_BEFORE_A_NUMBER = _FIELD_LABELS | {"раб", "рабочий", "дом", "домашний", "офис", "work", "home", "office", "off"}
_LABEL_BEFORE = re.compile(r"([^\W\d_]+)\.?:?\s*$")
# A field typed only with a number's own characters has nothing besides its numbers (the matcher is not asked).
_ONLY_NUMBER_CHARACTERS = re.compile(r"[\d\s()+.\-]*")


def _with_labels_before(raw: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The numbers' spans, each with the label typed right before it ("раб. 8 495 ...")."""
    widened = []
    for start, end in spans:
        label = _LABEL_BEFORE.search(raw, 0, start)
        if label is not None and label.group(1).lower() in _LABELS_BEFORE_A_NUMBER:
            start = label.start()
        widened.append((start, end))
    return widened


def _without_labels(rest: str, separators: str) -> str:
    """A rest without the field's own labels at its ends ("тел  (рабочий)" is "(рабочий)"), on one line."""
    separators += "-–—:"  # "89123456789 - после обеда": a dash or a colon between the number and the remark
    rest = " ".join(rest.split()).strip(separators)
    changed = True
    while rest and changed:
        changed = False
        for edge in (_LABEL_AT_START, _LABEL_AT_END):
            found = edge.search(rest)
            if found is not None and found.group(1).lower() in _FIELD_LABELS:
                rest = (rest[found.end() :] if edge is _LABEL_AT_START else rest[: found.start()]).strip(separators)
                changed = True
    return rest


# What may be a slip inside the number rather than a remark: a letter or two and digits past the hours ("до 123" for
# "доб. 123", "ex 12"). Next to a number that reads only without it, such a rest leaves the field refused as before.
# (An hour is a time remark, "до 12", read by normalize_phone's retries before this is asked.)
_MAYBE_PART_OF_NUMBER = re.compile(r"^[^\W\d_]{1,2}\.?\s*\d+$")


def _matcher_text(raw: str) -> str:
    """`raw` with its Russian extension marks written as phonenumbers' matcher reads them, character for character
    ("доб. 12" as "ext  12"), so a match's span is the same span of what was typed."""
    return _RUSSIAN_EXTENSION.sub(lambda m: ("ext" if len(m.group(0)) >= 3 else "x").ljust(len(m.group(0))), raw)


def _found_numbers(raw: str, region: str) -> list[tuple[int, int, Phone]]:
    """The numbers phonenumbers' matcher finds in a text (a valid number with its extension), with their spans.

    "+8 912 ..." (the trunk prefix typed after a plus, read by normalize_phone) is looked for without the plus when
    nothing is found with it."""
    text = _matcher_text(raw)
    candidates = [text]
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is not None and metadata.national_prefix == "8" and re.search(r"\+\s*8", text):
        candidates.append(re.sub(r"\+(?=\s*8)", " ", text))
    for candidate in candidates:
        found = []
        for match in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=phonenumbers.Leniency.VALID):
            start = match.start
            if candidate is not text and raw[:start].rstrip().endswith("+"):
                start = raw[:start].rstrip().rfind("+")  # the plus typed before the trunk 8 is the number's
            try:
                found.append((start, match.end, normalize_phone(raw[start : match.end], region=region)))
            except NormalizationError:
                continue
        if found:
            return found
    return []


def _number_spans(raw: str, start: int, end: int, phones: list[Phone], region: str) -> list[tuple[int, int]]:
    """Where in raw[start:end] the `phones` read from it are typed; the whole piece when the matcher does not find
    exactly them (an extension after a comma, "..., 12", is the number's, and so is everything around it)."""
    found = _found_numbers(raw[start:end], region)
    if sorted({phone_text(phone) for _, _, phone in found}) != sorted({phone_text(phone) for phone in phones}):
        return [(start, end)]
    return _with_labels_before(raw, [(start + found_start, start + found_end) for found_start, found_end, _ in found])


def _remark_problem(rest: str, region: str) -> str:
    """Why a rest next to the numbers is kept as given: when to call ("до 12", "с 10 до 18") says so, anything else
    what reading it as a number says."""
    if _TIME_REMARK.search(rest):
        return str(_("when to call, not a phone number"))
    try:
        normalize_phone(rest, region=region)
    except NormalizationError as error:
        return str(error)
    return str(_("not a phone number"))


def phones_and_rest(raw: str, *, region: str = "RU") -> tuple[list[Phone], str, str]:
    """A phone field's numbers and what else was typed in it: (numbers, the rest as typed, why it is not a number).

    "89123456789 / 8912", "8 912 345 67 89, 8 495 ЗВОНИТЬ" or "+7 912 345-67-89, звонить после 18": the pieces
    between separators that read are the numbers, the others are the rest. A remark with no separator, "8 912 345 67
    89 после 18", "89123456789 Иван", "тел 89123456789 (рабочий)": phonenumbers' matcher finds where the number is
    typed, and the rest is every other character. Words that only name the field ("тел.", "моб.") are not a rest.
    A field read whole with nothing else (one number, several, "..., 12" or "..., доб. 12" as an extension) has no
    rest; no number read at all raises the whole's error, and so does a rest that may be part of a number typed
    wrong (digits only, or "до 123", which may be "доб. 123"; "до 12" is when to call)."""
    try:
        whole: list[Phone] = normalize_phones(raw, region=region)
    except NormalizationError as error:
        whole, failure = [], error
    spans = _pieces(raw, _SEVERAL_PHONES)
    read: list[tuple[int, int, Phone]] = []
    unread: list[tuple[str, NormalizationError]] = []
    for start, end in spans if len(spans) >= 2 else []:
        try:
            read.append((start, end, normalize_phone(raw[start:end], region=region)))
        except NormalizationError as error:
            unread.append((raw[start:end].strip(), error))
    # Next to a number read whole, only a piece with digits and words is a rest: "12" and "доб. 12" are extensions.
    rest_pieces = bool(unread) and (not whole or all(
        re.search(r"\d", piece) and _WORD.search(piece) and not _EXTENSION_MARK.match(piece) for piece, _ in unread))
    if read and rest_pieces:
        phones = list(dict.fromkeys(phone for _, _, phone in read))
        typed = [span for start, end, phone in read for span in _number_spans(raw, start, end, [phone], region)]
        rest = _without_labels(_rest(raw, typed, _PHONE_SEPARATORS), _PHONE_SEPARATORS)
        return phones, rest, _remark_problem(rest, region) if _TIME_REMARK.search(rest) else str(unread[0][1])
    if not whole:
        # "8 912 345 67 89 звонить 2 раза": the number reads only without the words and digits after it
        found = _found_numbers(raw, region)
        rest = _without_labels(_rest(raw, [(start, end) for start, end, _ in found], _PHONE_SEPARATORS),
                               _PHONE_SEPARATORS)
        if found and _WORD.search(rest) and not _MAYBE_PART_OF_NUMBER.match(rest):
            return list(dict.fromkeys(phone for _, _, phone in found)), rest, _remark_problem(rest, region)
        raise failure
    if _ONLY_NUMBER_CHARACTERS.fullmatch(raw):
        return whole, "", ""
    rest = _without_labels(_rest(raw, _number_spans(raw, 0, len(raw), whole, region), _PHONE_SEPARATORS),
                           _PHONE_SEPARATORS)
    if not any(char.isalnum() for char in rest):
        return whole, "", ""
    return whole, rest, _remark_problem(rest, region)


def emails_and_rest(raw: str) -> tuple[list[str], str, str]:
    """An e-mail field's addresses and what else was typed in it: (addresses, the rest as typed, why).

    "ivan@mail.ru, ivan@", "ivan@mail.ru рабочий", "ivan@mail.ru (рабочий)": the pieces that read are the addresses,
    the rest is kept for a person to read; "e-mail:" or "почта" before an address only names the field. A field of
    addresses only has no rest; none read raises the whole's error."""
    try:
        emails = normalize_emails(raw)
    except NormalizationError as failure:
        read: list[tuple[int, int, str]] = []
        problem = ""
        for start, end in _pieces(raw, _SEVERAL_EMAILS):
            try:
                read.append((start, end, normalize_email(raw[start:end])))
            except NormalizationError as error:
                problem = problem or str(error)
        if not read:
            raise failure from None
        rest = _without_labels(_rest(raw, [(start, end) for start, end, _ in read], " \t\n,;"), " \t\n,;")
        return list(dict.fromkeys(email for _, _, email in read)), rest, problem if rest else ""
    # "ivan@mail.ru (рабочий)" reads whole (normalize_email drops the brackets): the remark is kept all the same
    remark = _EMAIL_REMARK.search(invisible_removed(raw).strip().rstrip(_EMAIL_EDGE_PUNCTUATION))
    if len(emails) == 1 and remark and remark.group(0).strip(" ()"):
        return emails, remark.group(0).strip(), str(_("an e-mail address must have an @-sign"))
    return emails, "", ""


def _several_phones(raw: str, region: str) -> list[Phone]:
    """Several numbers split at separators, or else found by phonenumbers' matcher; [] if any digit is left over."""
    pieces = [piece for piece in _SEVERAL_PHONES.split(raw) if piece.strip()]
    found: list[Phone] = []
    if len(pieces) >= 2:
        try:
            found = [normalize_phone(piece, region=region) for piece in pieces]
        except NormalizationError:
            found = []
    if not found:
        text = _RUSSIAN_EXTENSION.sub(" ext. ", re.sub(r"[^\S\n]+", " ", raw))
        covered = [False] * len(text)
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            covered[match.start : match.end] = [True] * (match.end - match.start)
            try:
                found.append(normalize_phone(match.raw_string, region=region))
            except NormalizationError:
                return []
        if any(char.isdigit() and not covered[index] for index, char in enumerate(text)):
            return []
        left_over = "".join(char if not covered[index] else "\n" for index, char in enumerate(text))
        if any(_unread_extension(part) for part in left_over.split("\n")):
            return []  # "доб. двенадцать": an extension that does not read is not dropped
    return list(dict.fromkeys(found))


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


def number_type_of(e164: str) -> str:
    """The type of a number kept as E.164 ("mobile", "fixed_line", "toll_free", ...; "unknown" when unreadable)."""
    try:
        return _number_type_name(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return "unknown"


# A toll-free, shared-cost, single (UAN) or premium number is a company's line whoever gives it.
COMPANY_LINE_TYPES = ("toll_free", "shared_cost", "uan", "premium_rate")


def is_company_line(number_type: str, *, extension: str, company: str) -> bool:
    """A company's main line, reaching a switchboard rather than the person (DOMAIN.md 1): a company-line type, or a
    landline given with a company's name; with an extension it reaches the person."""
    return not extension and (number_type in COMPANY_LINE_TYPES or (number_type == "fixed_line" and bool(company)))


# ---------------------------------------------------------------------------------------------
# E-mail
# ---------------------------------------------------------------------------------------------


# "Иван Петров <ivan@mail.ru>": a display name before the address in angle brackets (copied from a mail client).
_DISPLAY_NAME = re.compile(r"^[^<>]*<([^<>]*)>$")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
# A remark after the address, "ivan@mail.ru (Иван)", and the punctuation of the sentence it was typed in.
_EMAIL_REMARK = re.compile(r"\s+\([^()]*\)$")
_EMAIL_EDGE_PUNCTUATION = " .,;:!?\"'«»"
_SPACE_AROUND_AT = re.compile(r"(?<=\S)\s*@\s*(?=\S)")
_SPACE_AROUND_DOT = re.compile(r"\s*\.\s*")
_COMMA_FOR_DOT = re.compile(r"^([^@]+@[^,\s@]+),([a-z]{2,24})$", re.IGNORECASE)
# Characters that take no space: zero-width spaces and joiners, the soft hyphen, direction marks and the BOM, pasted
# with text from web pages and word processors (Unicode's "format" category).
_INVISIBLE = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def invisible_removed(text: str) -> str:
    """The text without the invisible characters pasted along with it ("ivan@mail.ru\u200b" is ivan@mail.ru)."""
    return _INVISIBLE.sub("", text) if not text.isascii() else text


def normalize_email(raw: str) -> str:
    """Validate an address and lower-case it: we treat e-mail addresses case-insensitively."""
    # NFKC: full-width letters typed with an East Asian keyboard layout are the ASCII ones.
    text = invisible_removed(unicodedata.normalize("NFKC", raw)).strip().rstrip(_EMAIL_EDGE_PUNCTUATION)
    text = _EMAIL_REMARK.sub("", text)
    if display := _DISPLAY_NAME.match(text):
        text = display.group(1).strip()
    text = _MAILTO.sub("", text).split("?", 1)[0].strip(_EMAIL_EDGE_PUNCTUATION + "<>")
    if text.count("@") == 1:
        # "ivan @ mail.ru" (a phone keyboard's space), "ivan@mail,ru" (a comma for the dot: no domain has one)
        text = _SPACE_AROUND_AT.sub("@", text)
        # "ivan@mail .ru", "ivan@mail. ru": the same space next to a dot of the domain (a domain has none)
        local, at, domain = text.partition("@")
        if " " not in (joined := _SPACE_AROUND_DOT.sub(".", domain)):
            text = local + at + joined
        text = _COMMA_FOR_DOT.sub(r"\1.\2", text)
    if not text:
        raise NormalizationError(_("e-mail address is empty"), code="empty")
    try:
        # DOMAIN.md 2: the mailbox part is Latin; an internationalised domain (почта.рф) is fine.
        address = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise NormalizationError(_email_problem(error), code="invalid_email") from error
    # Domain rule: an address needs a real domain syntax, so a dotless host is not enough, and every
    # top-level domain has at least two letters ("mail.r" is a slip of the finger).
    if "." not in address.domain or len(address.ascii_domain.rsplit(".", 1)[-1]) < 2:
        raise NormalizationError(
            _("the part after the @-sign must be a domain name like example.com"),
            code="invalid_email",
        )
    if _mixes_scripts(address.domain):
        raise NormalizationError(
            _("the domain mixes Latin and Cyrillic letters: check the keyboard layout"), code="invalid_email"
        )
    return address.normalized.lower()


# email_validator words its errors in English only, and they reach visitors of Russian forms, partners and the cards
# ("«ivan@@mail.ru» не удалось разобрать: The part after the @-sign contains invalid characters"). Its messages are
# read for the kind of problem, first match wins; anything else is "not a valid e-mail address".
_EMAIL_PROBLEMS = (
    (("must have an @-sign", "instead of a regular at-sign"), _("an e-mail address must have an @-sign")),
    (("something before the @-sign",), _("there is nothing before the @-sign")),
    (("something after the @-sign",), _("there is nothing after the @-sign")),
    (("too long", "so many characters"), _("the e-mail address is too long")),
    (("Internationalized characters before",), _("the part before the @-sign must be in Latin letters")),
    (("before the @-sign",), _("the part before the @-sign has characters an address cannot have")),
    (("two periods in a row", "cannot start with a", "cannot end with a", "immediately before the @-sign",
      "immediately after the @-sign", "period and a hyphen", "two dashes"),
     _("a dot or a hyphen is out of place: at an end, next to the @-sign or next to another one")),
    (("should have a period", "top-level domain"), _("the part after the @-sign must be a domain name like "
                                                     "example.com")),
    (("special-use or reserved",), _("the part after the @-sign is a reserved name, not a mail domain")),
    (("after the @-sign", "unsafe characters"), _("the part after the @-sign has characters a domain cannot have")),
)
_BAD_CHARACTERS = re.compile(r"characters[^:]*: (.+)\.$")


def _email_problem(error: EmailNotValidError) -> str | Promise:
    """The problem email_validator found, worded for people, with the characters it named
    ("the part after the @-sign has characters a domain cannot have: ',', space")."""
    text = str(error)
    problem = next((message for needles, message in _EMAIL_PROBLEMS if any(needle in text for needle in needles)),
                   _("not a valid e-mail address"))
    if characters := _BAD_CHARACTERS.search(text):
        named = characters.group(1)
        return format_lazy("{}: {}", problem, lazy(lambda: re.sub(r"\bSPACE\b", str(_("space")), named), str)())
    return problem


_LATIN_LETTER = re.compile(r"[a-z]", re.IGNORECASE)


def _mixes_scripts(domain: str) -> bool:
    """A label of Latin and Cyrillic letters together ("mаil.ru" with a Cyrillic а), or a Latin name under a
    Cyrillic top-level domain ("mail.ру"): registries issue neither, so it is a keyboard-layout slip."""
    labels = domain.lower().split(".")
    if any(_LATIN_LETTER.search(label) and _CYRILLIC.search(label) for label in labels):
        return True
    return bool(_CYRILLIC.search(labels[-1])) and any(_LATIN_LETTER.search(label) for label in labels[:-1])


# Role mailboxes reach a company or a department, not a person (DOMAIN.md 1: a switchboard does not make a
# lead), and several people write from one: matching weighs a shared one like a shared office line.
ROLE_MAILBOXES = frozenset({
    "info", "office", "sales", "mail", "hello", "contact", "contacts", "support", "admin", "reception",
    "secretary", "zakaz", "order", "orders", "post", "noreply", "no-reply", "marketing", "hr", "team",
})


def is_role_mailbox(email: str) -> bool:
    """True for info@, sales@ and the like (a normalised address; a +tag does not change the mailbox)."""
    local = email.rpartition("@")[0].split("+", 1)[0]
    return local in ROLE_MAILBOXES


# Typos in the domain of a consumer mailbox ("gmial.com", "mail.ry") are suggested, never corrected: an address may
# be real as typed. Decided offline (no DNS lookup on the intake path): a small list of the mail services people
# use, and an edit distance of one, of a kind people make and company domains rarely are.
CONSUMER_EMAIL_DOMAINS = (
    "gmail.com", "mail.ru", "yandex.ru", "ya.ru", "bk.ru", "inbox.ru", "list.ru", "rambler.ru", "outlook.com",
    "hotmail.com", "icloud.com", "yahoo.com",
)


def email_suggestion(email: str, checked: str = "") -> str:
    """The address with the consumer mail domain it most likely meant ("ivan@gmail.con" -> "ivan@gmail.com"), or "".
    None for the address a manager `checked` and kept as right as typed ("ivan@gmail.co" is real).

    A top-level domain one edit off its service's ("gmail.con", "yandex.ri", "gmail.comm"), or the service's name one
    edit off ("gmial.com", "maill.ru", "yaandex.ru") under the same top-level domain. Short names (bk, ya, mail, list)
    only for a swapped or doubled letter, since one changed letter there is another real domain (mai.ru, bc.ru)."""
    local, _, domain = email.rpartition("@")
    if not local or domain in CONSUMER_EMAIL_DOMAINS or email == checked:
        return ""
    for known in CONSUMER_EMAIL_DOMAINS:
        if domain.startswith(known + "."):
            return f"{local}@{known}"  # "gmail.com.ru", "mail.ru.ru": the country typed again after the service
    name, _, tld = domain.rpartition(".")
    consumer_names = {known.rpartition(".")[0] for known in CONSUMER_EMAIL_DOMAINS}
    for known in CONSUMER_EMAIL_DOMAINS:
        known_name, _, known_tld = known.rpartition(".")
        if name == known_name:
            if OSA.distance(tld, known_tld) == 1:
                return f"{local}@{known}"
        elif name not in consumer_names and OSA.distance(tld, known_tld) <= 1 and _is_name_typo(name, known_name):
            return f"{local}@{known}"
    return ""


def unreadable_email_suggestion(raw: str) -> str:
    """The address an unreadable one obviously meant, for the message next to its error, or "".

    Only a consumer mail service with its dot left out or its ending forgotten: "ivan@gmail", "ivan@gmailcom",
    "ivan@mailru", "ivan@yandex"; the suggestion is itself a valid address."""
    text = invisible_removed(unicodedata.normalize("NFKC", raw)).strip().strip(_EMAIL_EDGE_PUNCTUATION).lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or "." in domain:
        return ""
    for known in CONSUMER_EMAIL_DOMAINS:
        if domain in (known.replace(".", ""), known.rpartition(".")[0]):
            try:
                return normalize_email(f"{local}@{known}")
            except NormalizationError:
                return ""
    return ""


def _is_name_typo(typed: str, known: str) -> bool:
    """One slip of the finger between a typed domain name and a service's: any for long names, only a swapped or a
    doubled letter for names of up to four letters."""
    if OSA.distance(typed, known) != 1:
        return False
    if len(known) >= 5:
        return True
    swapped = len(typed) == len(known) and sorted(typed) == sorted(known)
    doubled = len(typed) == len(known) + 1 and any(typed[:i] + typed[i + 1 :] == known and typed[i] == typed[i - 1]
                                                   for i in range(1, len(typed)))
    return swapped or doubled



def read_edited_contact(name: str, value: str, into: dict[str, str], errors: dict[str, list[str]], *,
                        field: str = "") -> None:
    """An e-mail or a Telegram account typed into an edit of a card (the lead's, the client's contact), stripped:
    read as intake reads one ("@Ivan_Petrov" and "https://t.me/ivan_petrov" are "t.me/ivan_petrov") into
    `into[name]`, "" clearing it; one that does not read leaves `into` as it is and says why in
    `errors[field or name]`."""
    read = {"email": normalize_email, "telegram": normalize_telegram}[name]
    try:
        into[name] = read(value) if value else ""
    except NormalizationError as error:
        errors[field or name] = [str(error)]

_SEVERAL_EMAILS = re.compile(r"[,;\s]+")


def normalize_emails(raw: str) -> list[str]:
    """Every address of a field that holds one or several ("ivan@mail.ru, ivan@romashka.ru").

    Read as several only when the whole is not one address and every piece is a valid address, so
    nothing typed is silently dropped: otherwise the error of the whole is raised."""
    try:
        return [normalize_email(raw)]
    except NormalizationError as error:
        pieces = [piece for piece in _SEVERAL_EMAILS.split(unicodedata.normalize("NFKC", raw)) if piece]
        if len(pieces) >= 2 and all("@" in piece for piece in pieces):
            try:
                return list(dict.fromkeys(normalize_email(piece) for piece in pieces))
            except NormalizationError:
                pass
        raise error


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
    {"van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "dos", "das", "la", "le", "ter", "ten",
     "des", "dei", "zu"}
)
# The same particles as Russian writes them: "фон Бок", "ван дер Берг", "де ла Круз", "да Винчи".
_CYRILLIC_PARTICLES = frozenset(
    {"фон", "ван", "дер", "ден", "де", "дель", "делла", "ди", "да", "ду", "дю", "дос", "дас", "ла", "ле", "тер", "тен",
     "цу"}
)
# "son of" before the father's name: "Ахмед ибн Хасан" - a patronymic, as "Али оглы" is.
_NASAB_PARTICLES = frozenset({"ибн", "ibn", "бин", "bin", "бинт", "bint"})
# Particles that are also common surnames or given names on their own (Chinese Ван, Vietnamese Ле, Ди, Ду, Да;
# "Bin" a given name): one of these alone, capitalised, is read as a name word; after another particle ("ван дер"),
# or written in lower case next to capitalised words ("ван Гог"), it is a particle.
_AMBIGUOUS_PARTICLES = frozenset(
    {"ван", "van", "де", "de", "ди", "di", "да", "da", "ду", "du", "дю", "ла", "la", "ле", "le", "ден", "den", "тен",
     "ten", "бин", "bin", "дос", "dos", "дас", "das", "des", "del", "дель"}
)
_ALL_PARTICLES = _LATIN_PARTICLES | _CYRILLIC_PARTICLES | _NASAB_PARTICLES
# Two particles that stand together before a surname: "ван дер", "де ла" (but "Ле Ван Тхань" is a Vietnamese name).
_PARTICLE_PAIRS = frozenset(
    tuple(pair.split()) for pair in (
        "van der", "van den", "van de", "von der", "von dem", "de la", "de las", "de los", "de le", "di la", "da la",
        "ван дер", "ван ден", "ван де", "фон дер", "фон дем", "де ла", "де лас", "де лос", "де ле", "ди ла", "да ла",
    )
)


# Words around a name that are not part of it: forms of address, and job titles or departments typed into
# the name field ("Менеджер Анна", "Петров Иван, директор", "Отдел продаж" - the last one is nobody).
_HONORIFICS = frozenset(
    "mr mrs ms miss mx dr prof sir madam mme herr frau г-н г-жа гн гжа господин госпожа тов товарищ".split()
)
# A woman's forms of address: a family's surname after one is hers ("г-жа и г-н Ивановы" is г-жа Иванова).
_WOMENS_HONORIFICS = frozenset("mrs ms miss madam mme frau г-жа гжа госпожа".split())
_NOT_NAME_WORDS = frozenset(
    "директор гендиректор генеральный коммерческий исполнительный финансовый технический главный менеджер "
    "бухгалтер бухгалтерия секретарь приемная администратор руководитель начальник специалист отдел отдела "
    "продаж закупок снабжения маркетинга офис компания организация фирма "
    "ген зам заместитель нач гл помощник ассистент инженер юрист логист закупщик снабженец владелец собственник "
    "учредитель сотрудник представитель директора руководителя начальника менеджера бухгалтера "
    "manager director ceo cfo cto coo sales department office accountant secretary reception purchasing "
    "assistant engineer owner founder representative procurement".split()
)
# Generational and academic suffixes belong after the surname: "John Smith Jr." is not Mr. Jr.
_NAME_SUFFIXES = {"jr": "Jr.", "sr": "Sr.", "ii": "II", "iii": "III", "iv": "IV", "phd": "PhD", "esq": "Esq."}
_PARENTHESES = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_CONTACT_IN_NAME = re.compile(r"\S+@\S+|\+?\d[\d\s().-]{4,}\d")


def split_person_name(raw: str) -> PersonName:
    """Split a free-text name into parts, whatever order and case it was typed in.

    A remark in brackets, a form of address, a job title, a phone or an e-mail typed along with the name is
    not part of it; a company typed into the name field ("ООО «Ромашка»") gives no name at all."""
    if looks_like_company(raw):
        return PersonName()
    text = _PARENTHESES.sub(" ", _CONTACT_IN_NAME.sub(" ", sole_trader_name(raw) or raw))
    words = [word for word in text.split() if _word_key(word) not in _NOT_NAME_WORDS]
    addressed = False
    while words and _word_key(words[0]) in _HONORIFICS:
        words, addressed = words[1:], True
    suffixes = []
    while words and _word_key(words[-1]) in _NAME_SUFFIXES:
        suffixes.insert(0, _NAME_SUFFIXES[_word_key(words.pop())])
    name = _split_name_text(" ".join(words))
    if addressed and len(words) == 1 and name.first and not name.last and _is_lone_surname(words[0]):
        name = PersonName(last=name.first)  # "Mr Smith": after a form of address a lone word is the surname
    if suffixes and name.last:
        return PersonName(last=" ".join([name.last, *suffixes]), first=name.first, middle=name.middle)
    return name


_AFTER_NAME = re.compile(r"\s*[,;]\s*")


def name_and_remark(raw: str) -> tuple[str, str]:
    """A name field's name and the remark typed along with it: (the name's text, the remark as typed, or "").

    "Иван, звонить после 18", "Мария; менеджер по закупкам": after a comma, what starts with a small letter or a digit
    is no part of the name ("Петров, Иван" is surname and name). "Иванов Иван (менеджер)": a bracket is a remark.
    A phone or e-mail in it is no remark: it is the person's contact (contacts_in_name)."""
    text, remarks = raw, []
    after = _AFTER_NAME.search(text)
    starts = text[after.end() :][:1] if after is not None else ""
    if after is not None and (starts.islower() or starts.isdigit()) and not split_person_name(
            text[: after.start()]).is_empty:
        remarks.append(text[after.end() :])
        text = text[: after.start()]
    remarks[:0] = [bracket.group(0) for bracket in _PARENTHESES.finditer(text)]
    kept = [" ".join(_CONTACT_IN_NAME.sub(" ", remark).split()) for remark in remarks]
    return text, " ".join(remark for remark in kept if _LETTERS.search(remark.strip("()[]")))


# Between a company and a person typed into one name field: a comma, a semicolon, a slash, a dash between spaces, or
# brackets around one of them ("ООО Ромашка, Иван", "Иван / ООО «Ромашка»", "Иван (ООО Ромашка)").
_COMPANY_PERSON_SEPARATOR = re.compile(r"\s*(?:[,;/|]|\s[-–—]\s)\s*")


def person_and_company(raw: str) -> tuple[str, str]:
    """A name field holding a company and a person ("ООО Ромашка, Иван Петров"): (the person's text, the company's),
    or ("", "") when it does not. One piece must look like a company (its legal form, or is_firm_name: "Smith & Sons"),
    the rest must be a person's name; a comma inside the company's quotes ('ООО "Ромашка, плюс"') splits nothing."""
    brackets = [match.group(0)[1:-1] for match in _PARENTHESES.finditer(raw)]
    outside = _PARENTHESES.sub(" ", raw)
    pieces = [piece for piece in (*_COMPANY_PERSON_SEPARATOR.split(outside), *brackets) if piece.strip()]
    if len(pieces) < 2 or any(piece.count('"') % 2 or piece.count("«") != piece.count("»") for piece in pieces):
        return "", ""
    companies = [piece for piece in pieces if looks_like_company(piece) or is_firm_name(piece)]
    if len(companies) != 1:
        return "", ""
    person = " ".join(piece.strip() for piece in pieces if piece is not companies[0])
    if looks_like_company(person) or sole_trader_name(person) or split_person_name(person).is_empty:
        return "", ""
    return person, companies[0].strip()


# Between two people in one name field: "Иван и Мария", "Ivan and Maria", "Иван + Мария", "Анна & Пётр".
# "Иванов и К°" (or "и К.") is the old Russian "& Co.", "Петров и сын" "& Son": a firm's name, not a second person.
_FIRM_WORDS = frozenset("партнёры партнеры ко к к° кº сын сыновья братья co son sons brothers partners associates"
                        .split())
_PEOPLE_JOINED = re.compile(r"\s+(?:и|and|или|or)\s+|\s*[+&]\s*", re.IGNORECASE)


# A couple addressed together: "Mr and Mrs Smith", "Mr. & Mrs. John Smith", "г-н и г-жа Ивановы".
_HONORIFIC = "|".join(re.escape(word) for word in sorted(_HONORIFICS, key=len, reverse=True))
_COUPLE = re.compile(rf"^\s*(?P<first>{_HONORIFIC})\.?(?P<joined>\s*(?:and|и|&|\+)\s*(?:{_HONORIFIC})\.?)\s+"
                     rf"(?P<name>\S.*)$", re.IGNORECASE)


def first_person(raw: str) -> tuple[str, str]:
    """A name field naming two people ("Иван и Мария", "Ivan and Maria Smith"): (the first person's text, the rest as
    typed, "и Мария"), so the card is one person's and the manager reads who else was named; (raw, "") otherwise.
    Each piece must read as a person's name: "Ромашка и партнёры" or "Smith & Sons" (a company) is no two people.
    A couple addressed together ("Mr and Mrs Smith", "г-н и г-жа Ивановы") is the first one with the family's name
    (Mr Smith, г-н Иванов), the other one kept as typed ("and Mrs Smith")."""
    couple = _COUPLE.match(raw)
    if couple is not None and not looks_like_company(couple.group("name")):
        womans = _word_key(couple.group("first")) in _WOMENS_HONORIFICS
        name = " ".join(_surname_in_gender(word, womans=womans) for word in couple.group("name").split())
        rest = raw[couple.start("joined"):].strip()
        return f"{couple.group('first')} {name}", rest
    match = _PEOPLE_JOINED.search(raw)
    if match is None or looks_like_company(raw):
        return raw, ""
    first, rest = raw[: match.start()], raw[match.end() :]
    if match.group(0).strip() == "&" and _is_founders_firm(first, rest):
        return raw, ""  # "Johnson & Johnson", "Marks & Spencer": a firm named after its founders
    if max(len(first.split()), len(rest.split())) > 4:
        return raw, ""  # "Иван, и ещё немного текста о заказе": a sentence, not a second person's name
    if split_person_name(first).is_empty or split_person_name(rest).is_empty or looks_like_company(rest):
        return raw, ""
    if all(len(_word_key(word)) == 1 for word in rest.split()):
        return raw, ""  # "Иванов И И", "Петров И А": initials without dots, the first "И" one of them
    if any({_word_key(word)} & (_NOT_NAME_WORDS | _FIRM_WORDS) for word in (first + " " + rest).split()):
        return raw, ""  # "Иван и партнёры", "Smith & Sons", "Sales and marketing": not two people
    return _with_shared_surname(first.strip(), rest.strip()), raw[match.start() :].strip()


def _is_founders_firm(first: str, rest: str) -> bool:
    """"Procter & Gamble", "Ernst & Young", "Иванов & Петров": a lone surname-like word on each side of "&" and no given
    name on either is a firm named after its founders, not two people ("Анна & Пётр", "Ivan & Maria" are people).

    A Cyrillic word counts as a surname by its ending (the list of Russian given names is short); a Latin one when
    it is no given name in the shipped tables (English names and their nicknames, Russian names transliterated)."""
    words = [first.split(), rest.split()]
    if any(len(side) != 1 for side in words):
        return False
    return all(_is_lone_surname(side[0]) for side in words)


# A firm's initials joined by "&", written as one word: "AT&T", "H&M", "P&G", "M&S".
_INITIALS_FIRM = re.compile(r"^[A-ZА-ЯЁ]{1,4}(?:&[A-ZА-ЯЁ]{1,4})+$")


def is_firm_name(raw: str) -> bool:
    """A name field's text that is clearly a firm's although it has no legal form, so the company, not a person:
    "Smith & Sons", "Иванов и К°", "Ромашка и партнёры" (a firm's word after the "and"), "Johnson & Johnson",
    "Procter & Gamble", "Рога & Копыта" (one word on each side of "&" and no given name on either: a firm named after
    its founders, or two nouns), "AT&T", "H&M". Two people stay people: "Анна & Иван", "Tom & Jerry", "Mr & Mrs
    Smith", "John & Mary Smith" (a given name on a side, a couple's honorifics, more than a word on a side)."""
    text = " ".join(raw.split())
    if _INITIALS_FIRM.match(text):
        return True
    if _COUPLE.match(text) or _COMPANY_PERSON_SEPARATOR.search(text):
        return False  # a couple; pieces ("Иван Петров, Smith & Sons": person_and_company reads each)
    joins = list(_PEOPLE_JOINED.finditer(text))
    if not joins:
        return False
    first, rest = text[: joins[-1].start()], text[joins[-1].end() :]
    if not first.strip() or not rest.strip() or len(rest.split()) > 2 or len(first.split()) > 4:
        return False
    if all(_word_key(word) in _FIRM_WORDS for word in rest.split()):
        # "Smith & Sons", "Петров и сын", "Рога и копыта & Co": the firm's word after the last "and"
        return not any(_word_key(word) in _FIRM_WORDS for word in first.split())
    if len(joins) != 1 or joins[0].group(0).strip() != "&" or len(first.split()) != 1 or len(rest.split()) != 1:
        return False
    return all(_founders_word(word) for word in (first, rest))


def _founders_word(word: str) -> bool:
    """One side of "X & Y" as a firm's name has it: a lone surname (_is_lone_surname), or a Cyrillic word that is no
    given name ("Рога & Копыта": "&" between Russian people's names is rare, people write "и"; a given name on
    either side makes the pair two people)."""
    from leadflow.matching.names import is_known_form, skeleton

    word = word.strip(_WORD_EDGE_PUNCTUATION + ".")
    if _is_lone_surname(word):
        return True
    return (bool(_CYRILLIC.search(word)) and len(word) >= 3 and _LETTERS.fullmatch(word) is not None
            and not _is_known_first_name(word) and not is_known_form(skeleton(word)))


def _is_lone_surname(word: str) -> bool:
    from leadflow.matching.names import is_common_first_name, is_known_form, skeleton

    word = word.strip(_WORD_EDGE_PUNCTUATION + ".")
    if len(word) < 2 or not all(_LETTERS.fullmatch(part) for part in re.split(r"[-'’]", word)):
        return False
    if _CYRILLIC.search(word):
        return _looks_like_surname(word)
    skel = skeleton(word)
    return not (is_known_form(skel) or is_common_first_name(skel) or _is_known_first_name_latin(word))


# A family's surname written once for both ("Иван и Мария Петровы"), in the plural: its man's and its woman's forms.
# The plural's ending: how many letters the singular drops, then what a man's and a woman's form add.
_PLURAL_SURNAME_ENDINGS = {"овы": (1, "", "а"), "евы": (1, "", "а"), "ины": (1, "", "а"), "ыны": (1, "", "а"),
                           "ские": (2, "ий", "ая"), "цкие": (2, "ий", "ая")}
# A surname that has a man's and a woman's form, written in one of them ("Мария Петрова"): after "Иван и" it is hers
# alone (the family's would be "Петровы"), so it is not given to him.
_GENDERED_SURNAME_ENDINGS = ("ов", "ев", "ёв", "ин", "ын", "ова", "ева", "ёва", "ина", "ына", "ский", "цкий", "ская",
                             "цкая", "ской", "цкой", "ый", "ий", "ая", "ой", "ova", "eva", "ina", "yna", "skaya",
                             "skaja", "aya")
# Given names in the list that end in -а/-я and are not (only) a woman's: men's ("Никита", "Илья", "Миша") and either
# ("Саша", "Женя"). The other known names in -а/-я are women's, as are these few in -ь (the list's others, Игорь,
# Эмиль, are men's).
_GIVEN_NAMES_IN_A_NOT_WOMENS = frozenset(
    "алеша андрюша артемка боря валера вася веня витя вова володя гаврила гена гоша гриша данила дима добрыня жора "
    "илья костя кузьма леня леша лука миша никита паша петя рома савва сева сема сережа слава степа тема тима толя "
    "федя фома юра яша валя женя саня саша шура".split()
)
_WOMENS_NAMES_IN_SOFT_SIGN = frozenset({"любовь", "айгуль", "гузель", "нинель"})


def _with_shared_surname(first: str, rest: str) -> str:
    """The first person's text with the surname both people share: "Ivan and Maria Smith" is Ivan Smith, "Иван и
    Мария Петровы" Иван Петров, "Петровы Иван и Мария" Петров Иван. A surname in one person's gender form ("Иван и
    Мария Петрова") is hers alone; a plural whose singular the given name does not tell ("Саша и Мария Петровы") stays
    as typed rather than be guessed; anything else is the first piece as it was."""
    own, other = split_person_name(first), split_person_name(rest)
    if len(first.split()) == 1 and own.first and not own.last and not _is_initial(own.first) and other.last and (
            other.first and not _is_initial(other.first)):
        surname = _family_surname(other.last, own.first)
        return f"{own.first} {surname}" if surname else first
    if len(first.split()) == 2 and own.first and own.last and not own.middle and other.first and not other.last:
        singular = _singular_surname(own.last, own.first)
        if singular != own.last:
            words = first.split()
            return " ".join(singular if _name_key(word) == _name_key(own.last) else word for word in words)
    return first


def _family_surname(surname: str, given: str) -> str:
    """A surname written once after two given names as the first person's: its singular for a plural, the same word
    for a surname with no gender forms ("Smith", "Ким", "Шевченко"), "" for one in a gender form (not shared)."""
    singular = _singular_surname(surname, given)
    if singular != surname or _plural_ending(surname):
        return singular
    key = _name_key(surname)
    if any(key.endswith(end) and len(key) >= len(end) + 2 for end in _GENDERED_SURNAME_ENDINGS):
        return ""  # (but "Цой", "Ли" are both people's)
    return surname


def _plural_ending(surname: str) -> str:
    key = _name_key(surname)
    return next((end for end in _PLURAL_SURNAME_ENDINGS
                 if key.endswith(end) and len(key) >= len(end) + 2 and _CYRILLIC.search(key)), "")


def _singular_surname(surname: str, given: str) -> str:
    """A Russian surname in the plural ("Петровы") in the form for the person the given name names: "Петров" for
    Иван, "Петрова" for Мария; as typed when it is no such plural or the name does not tell a man from a woman."""
    parts = surname.split("-")
    if not all(_plural_ending(part) for part in parts):
        return surname
    key = _name_key(given)
    if not _is_known_first_name(given) or "-" in key:
        return surname
    if key in _WOMENS_NAMES_IN_SOFT_SIGN or (key.endswith(("а", "я")) and key not in _GIVEN_NAMES_IN_A_NOT_WOMENS):
        womans = True
    elif not key.endswith(("а", "я", "о", "е", "и", "у", "ы", "э", "ю")):
        womans = False  # "Иван", "Андрей", "Игорь"
    else:
        return surname
    return _surname_in_gender(surname, womans=womans)


def _surname_in_gender(surname: str, *, womans: bool) -> str:
    """A family's surname in the plural ("Ивановы", "Петровы-Водкины") in a man's or a woman's form; any other word as
    typed."""
    parts = surname.split("-")
    if not all(_plural_ending(part) for part in parts):
        return surname
    singular = []
    for part in parts:
        dropped, mans, womans_ending = _PLURAL_SURNAME_ENDINGS[_plural_ending(part)]
        singular.append(part[:-dropped] + (womans_ending if womans else mans))  # "Королёвы": ё and case as typed
    return "-".join(singular)


def contacts_in_name(raw: str) -> list[str]:
    """Phones and e-mails typed into a name field ("Иван +7 912 345-67-89"), as typed, for the caller to read."""
    return [match.group(0).strip(" .,;:") for match in _CONTACT_IN_NAME.finditer(raw)]


def person_name_from_parts(*, first: str = "", last: str = "", middle: str = "") -> PersonName:
    """A name given in separate fields, cleaned like a typed one.

    The whole name typed into one of the fields ("Иванов Иван Иванович" as the first name, a common slip on
    forms) is split; otherwise each field keeps its role and gets capitals and punctuation fixed."""
    first, last, middle = (_CONTACT_IN_NAME.sub(" ", part) for part in (first, last, middle))
    if _NOT_NAME_TEXT.search(first + last + middle):
        return PersonName(last=last.strip(), first=first.strip(), middle=middle.strip())  # not a name: as typed
    first, last, middle = (" ".join(part.split()) for part in (first, last, middle))
    if not last and not middle and len(first.split()) > 1:
        return split_person_name(first)
    if not first and not middle and len(last.split()) > 1:
        return split_person_name(last)
    return PersonName(last=_clean_name_part(last), first=_clean_name_part(first), middle=_clean_name_part(middle))


# Characters no name has (markup, digits, @): such text is kept as typed rather than rewritten.
_NOT_NAME_TEXT = re.compile(r"[^\w\s.,'’`\-«»\"„“”]|[\d_]")


def _clean_name_part(text: str) -> str:
    """One field of a name: quotes and stray punctuation dropped, capitals fixed, initials as "И." and suffixes kept."""
    words = []
    for word in _NAME_QUOTES.sub(" ", text).split():
        word = word.strip(_WORD_EDGE_PUNCTUATION)
        if not _LETTERS.search(word):
            continue
        if _word_key(word) in _NAME_SUFFIXES and words:
            words.append(_NAME_SUFFIXES[_word_key(word)])
        elif _INITIAL.fullmatch(word):
            words.append(word[0].upper() + ".")
        elif "." in word.rstrip(".") and all(_INITIAL.fullmatch(p + ".") for p in word.rstrip(".").split(".")):
            words.extend(p.upper() + "." for p in word.rstrip(".").split("."))  # "И.И."
        elif len(text.split()) > 1 and word.lower() in _ALL_PARTICLES | _TURKIC_PATRONYMIC_WORDS:
            words.append(word.lower())  # "van Beethoven", "фон Бок", "Али оглы"
        else:
            words.append(_fix_case(word.rstrip(".")))
    return " ".join(words)


def sole_trader_name(raw: str) -> str:
    """The person's name in a sole trader's ("ИП Иванов И.И." -> "Иванов И.И."), or "" for anything else.

    "ИП" counts in capitals or spelled out, since "Ип" may be a foreign person's name."""
    if not _ANY_FORM.search(raw):
        return ""
    company = split_company(raw)
    if company.legal_form != "ИП" or not company.name:
        return ""
    spelled = re.search(r"(?<![^\W\d_])(?:ИП|индивидуальный\s+предприниматель)(?![^\W\d_])", raw, re.IGNORECASE)
    return company.name if spelled and (spelled.group(0) == "ИП" or len(spelled.group(0)) > 2) else ""


def _word_key(word: str) -> str:
    """A word of a name without the punctuation around it, lower-case, ё as е."""
    return word.strip(_WORD_EDGE_PUNCTUATION + ".").lower().replace("ё", "е")


def looks_like_company(raw: str) -> bool:
    """True for a company's name (with its legal form) typed where a person's name belongs.

    A sole trader (ИП) is a person: "ИП Иванов И.И." is not counted. Two-letter forms (АО, AG) count only
    in capitals or with quotes, since "Ао" or "Ag" may be part of a foreign person's name."""
    if not _ANY_FORM.search(raw):
        return False  # the common case, decided without trying every spelling at both ends
    company = split_company(raw)
    if not company.legal_form or company.legal_form == "ИП" or not company.name:
        return False
    if len(company.legal_form) > 2 or any(char in _QUOTES for char in raw):
        return True
    return re.search(rf"(?<![^\W\d_]){re.escape(company.legal_form.upper())}(?![^\W\d_])", raw) is not None


def _split_name_text(text: str) -> PersonName:
    """`split_person_name` of a text that holds only the name."""
    text = " ".join(text.split())
    parts = [part for part in text.split(",") if _name_tokens(part)]
    if len(parts) >= 2:
        # "Smith, John" / "Иванов, Иван Иванович": the part before the comma is the surname.
        given = _name_tokens(" ".join(parts[1:]))
        return PersonName(
            last=" ".join(_name_tokens(parts[0])), first=given[0], middle=" ".join(given[1:])
        )
    surname_first = _capitalised_surname_first(text)
    if surname_first is not None:
        return surname_first
    tokens = _joined_particles(_name_tokens(text), text)
    if not tokens:
        return PersonName()
    if len(tokens) == 1:
        # People sign with their first name far more often than with their surname alone; but a lone Russian word
        # with a surname's ending that is no known first name ("Петров", "Смирнова", "Шевченко") is the surname.
        if _CYRILLIC.search(tokens[0]) and _looks_like_surname(tokens[0]):
            return PersonName(last=tokens[0])
        return PersonName(first=tokens[0])
    patronymic = _patronymic_index(tokens)
    if patronymic is not None:
        # The given name always comes right before the patronymic: "Иван Иванович".
        rest = tokens[: patronymic - 1] + tokens[patronymic + 1 :]
        return PersonName(
            last=" ".join(rest), first=tokens[patronymic - 1], middle=tokens[patronymic]
        )
    return _split_without_patronymic(tokens)


def _joined_particles(tokens: list[str], text: str) -> list[str]:
    """Particles joined to the word they belong to: "фон Бок", "ван дер Берг", "de la Cruz" are one surname,
    "ибн Хасан" one patronymic, wherever they stand in the name ("фон Бок Мария", "Мария фон Бок").

    Only in a name of three words or more (in "Ван Ли" both are names); a particle that is also a name on its own
    (Ван, Ле, Да) counts only after another particle or in lower case among capitalised words."""
    if sum(1 for token in tokens if not _is_initial(token)) < 3:
        return tokens
    typed = {word.strip(_WORD_EDGE_PUNCTUATION).casefold(): word.strip(_WORD_EDGE_PUNCTUATION)
             for word in text.split()}
    mixed_case = any(any(char.isupper() for char in word) for word in typed.values())
    joined: list[str] = []
    run: list[str] = []
    for index, token in enumerate(tokens):
        key = _name_key(token)
        is_particle = key in _ALL_PARTICLES and index < len(tokens) - 1 and not _is_initial(tokens[index + 1])
        if is_particle and key in _AMBIGUOUS_PARTICLES:
            as_typed = typed.get(token.casefold(), token)
            if run:  # "ван дер", not "ле Ван"
                is_particle = (_name_key(run[-1]), key) in _PARTICLE_PAIRS
            else:
                pair = (key, _name_key(tokens[index + 1]))
                is_particle = pair in _PARTICLE_PAIRS or (as_typed.islower() and mixed_case)
        if is_particle:
            run.append(token.lower())
            continue
        joined.append(" ".join([*run, token]) if run else token)
        run = []
    return joined + run


def _is_capitalised_word(word: str) -> bool:
    """A Latin word of two or more letters written all in capitals: "SMITH", "O'BRIEN", "SMITH-JONES"."""
    letters = "".join(_LETTERS.findall(word))
    return len(letters) >= 2 and letters.isascii() and letters.isupper()


def _capitalised_surname_first(text: str) -> PersonName | None:
    """"SMITH John", "VAN DER BERG Jan Peter": the international convention of a surname in capitals, written first.

    Only for Latin names where capitals mark some words and not others (a name typed all in capitals says nothing),
    and only when the capitals come first: "John SMITH" is already Western order. Cyrillic names are read by their
    own rules (patronymics, endings, the list of given names), which the case of a word never overrides."""
    if _CYRILLIC.search(text):
        return None
    words = [word for word in (w.strip(_WORD_EDGE_PUNCTUATION) for w in text.split()) if _LETTERS.search(word)]
    capitalised = [_is_capitalised_word(word) for word in words]
    count = next((index for index, is_caps in enumerate(capitalised) if not is_caps), len(words))
    rest = words[count:]
    if not count or not rest or any(capitalised[count:]):
        return None
    if not any(char.islower() for char in rest[0]) or _INITIAL.fullmatch(rest[0]):
        return None  # "SMITH J.": initials after a surname are read as before
    surname, given = _name_tokens(" ".join(words[:count])), _name_tokens(" ".join(rest))
    return PersonName(last=" ".join(surname), first=given[0], middle=" ".join(given[1:]))


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
    if key.rsplit(" ", 1)[-1] in _TURKIC_PATRONYMIC_WORDS or (" " in key and key.split(" ", 1)[0] in _NASAB_PARTICLES):
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
        if _name_key(words[0]) in _SURNAMES_BEFORE_NAMES | _LATIN_SURNAMES_BEFORE_NAMES:
            return PersonName(last=words[0], first=initials[0], middle=" ".join(initials[1:]))  # "Ким А.", "Ли В. С."
        if len(initials) == 1 and (_is_known_first_name(words[0]) or _is_known_first_name_latin(words[0])):
            # "Анна К.", "Olga K.": a given name with one initial, as people sign themselves and reviews are signed,
            # keeps the surname's initial, not the patronymic's.
            return PersonName(first=words[0], last=initials[0])
        if initials and _is_known_first_name(words[0]):
            return PersonName(first=words[0], middle=" ".join(initials))
        # "Иванов И.И.", "J. Smith": initials stand for the given name and patronymic.
        return PersonName(last=words[0], first=initials[0], middle=" ".join(initials[1:]))
    with_particles = [index for index, word in enumerate(words)
                      if " " in word and _name_key(word).split(" ", 1)[0] in _ALL_PARTICLES - _NASAB_PARTICLES]
    if len(with_particles) == 1:
        # "фон Бок Мария", "van der Berg Jan": the word with its particles is the surname, wherever it stands
        last_index = with_particles[0]
        if last_index > 0 and not _CYRILLIC.search("".join(words)):
            # Western order: what follows the particle is the surname too ("Maria de la Cruz Garcia")
            return PersonName(last=" ".join(words[last_index:]), first=words[0],
                              middle=" ".join(initials + words[1:last_index]))
        rest = [word for index, word in enumerate(words) if index != last_index]
        known = [word for word in rest if _is_known_first_name(word)] if _CYRILLIC.search("".join(rest)) else []
        first = known[0] if known else rest[0]
        middle = [word for word in rest if word is not first]
        return PersonName(last=words[last_index], first=first, middle=" ".join(middle + initials))
    if _CYRILLIC.search("".join(words)):
        first_index, last_index = _cyrillic_first_and_last(words)
    elif len(words) == 2 and _looks_like_surname(words[0]) and not _looks_like_surname(words[1]):
        # A transliterated Russian name written surname first: "Ivanov Ivan".
        first_index, last_index = 1, 0
    elif len(words) == 2 and _is_latin_surname_before_name(words[0], words[1]):
        first_index, last_index = 1, 0  # "Kim Olga", "Tsoi Viktor": as "Ким Ольга" above
    else:
        return _latin_with_particles(words, initials)
    middle = [word for index, word in enumerate(words) if index not in (first_index, last_index)]
    return PersonName(
        last=words[last_index], first=words[first_index], middle=" ".join(middle + initials)
    )


# Given names in the list that are far more often surnames, chiefly of Russia's Korean families ("Ким Ольга"):
# next to another known given name, they are the surname.
_SURNAMES_BEFORE_NAMES = frozenset({"ким", "ли", "пак", "цой", "тен", "хан", "нам", "шин", "мин", "лим"})


# _SURNAMES_BEFORE_NAMES as they are transliterated.
_LATIN_SURNAMES_BEFORE_NAMES = frozenset({"kim", "li", "lee", "pak", "park", "tsoi", "tsoy", "choi", "ten", "khan",
                                          "nam", "shin", "min", "lim"})


def _is_latin_surname_before_name(first: str, second: str) -> bool:
    """"Kim Olga": a surname of Russia's Korean families before a Russian given name (not "Kim Smith", "Kim Lee")."""
    return (_name_key(first) in _LATIN_SURNAMES_BEFORE_NAMES and _name_key(second) not in _LATIN_SURNAMES_BEFORE_NAMES
            and _is_known_first_name_latin(second))


@cache
def _russian_first_name_skeletons() -> frozenset[str]:
    from leadflow.matching.names import skeleton

    return frozenset(skeleton(name) for name in _known_first_names())


def _is_known_first_name_latin(word: str) -> bool:
    """A Russian given name written in Latin letters ("Olga", "Viktor", "Sergey")."""
    from leadflow.matching.names import skeleton

    return skeleton(word) in _russian_first_name_skeletons()


def _cyrillic_first_and_last(words: list[str]) -> tuple[int, int]:
    """Pick the given name by the list of first names, the surname by its ending."""
    known = [index for index, word in enumerate(words) if _is_known_first_name(word)]
    if len(known) >= 2:
        plain = [index for index in known if _name_key(words[index]) not in _SURNAMES_BEFORE_NAMES]
        if plain and len(plain) < len(known):
            surname = next(index for index in known if index not in plain)
            return plain[0], surname
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

# Canonical short form, then every spelling of it met in the wild (case does not matter, except for spellings
# written "=AS": short Latin or Cyrillic words that are common words or initials in another case, "as", "Тов.").
# Russian forms are a table of their own (the tax rules below depend on them); cleanco (the usual library for
# Western forms) was tried and not taken: it returns the name without the form but never the form itself, strips
# words that are no legal form ("Acme UK" -> "Acme", "Coca-Cola Company"), leaves "Co." of "Co., Ltd" behind and
# knows no Ukrainian or Belarusian Cyrillic forms.
_LEGAL_FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Russia: organisations (10-digit INN, 13-digit OGRN)
    ("ООО", ("общество с ограниченной ответственностью", "ооо", "ooo")),
    ("ПАО", ("публичное акционерное общество", "пао")),
    ("НАО", ("непубличное акционерное общество", "нао")),
    ("ЗАО", ("закрытое акционерное общество", "зао")),
    ("ОАО", ("открытое акционерное общество", "оао")),
    ("АО", ("акционерное общество", "ао")),
    ("АНО", ("автономная некоммерческая организация", "ано")),
    ("НКО", ("некоммерческая организация", "нко")),
    ("ФГУП", ("федеральное государственное унитарное предприятие", "фгуп")),
    ("ГУП", ("государственное унитарное предприятие", "гуп")),
    ("МУП", ("муниципальное унитарное предприятие", "муп")),
    ("ТСЖ", ("товарищество собственников жилья", "тсж")),
    ("ТСН", ("товарищество собственников недвижимости", "тсн")),
    ("СНТ", ("садоводческое некоммерческое товарищество", "снт")),
    # State and municipal institutions are written as abbreviations (_INSTITUTION below); these are spelled out.
    ("ФГБУ", ("федеральное государственное бюджетное учреждение",)),
    ("ФГБОУ ВО", ("федеральное государственное бюджетное образовательное учреждение высшего образования",)),
    ("ФГАОУ ВО", ("федеральное государственное автономное образовательное учреждение высшего образования",)),
    ("ГБУ", ("государственное бюджетное учреждение",)),
    ("ГАУ", ("государственное автономное учреждение",)),
    ("ГКУ", ("государственное казенное учреждение", "государственное казённое учреждение")),
    ("МБУ", ("муниципальное бюджетное учреждение",)),
    ("МАУ", ("муниципальное автономное учреждение",)),
    ("МКУ", ("муниципальное казенное учреждение", "муниципальное казённое учреждение")),
    ("МБОУ", ("муниципальное бюджетное общеобразовательное учреждение",
              "муниципальное бюджетное образовательное учреждение")),
    ("МБДОУ", ("муниципальное бюджетное дошкольное образовательное учреждение",)),
    # Russia: a sole trader (a person's 12-digit INN, 15-digit OGRNIP), and a farm that may be either
    ("ИП", ("индивидуальный предприниматель", "ип")),
    ("КФХ", ("крестьянское (фермерское) хозяйство", "крестьянское фермерское хозяйство", "кфх")),
    # Kazakhstan, Ukraine, Belarus
    ("ТОО", ("товарищество с ограниченной ответственностью", "тоо")),
    ("ТОВ", ("товариство з обмеженою відповідальністю", "=ТОВ")),
    ("ПП", ("приватне підприємство", "=ПП")),
    ("ПрАТ", ("приватне акціонерне товариство", "прат")),
    ("ФОП", ("фізична особа-підприємець", "фізична особа підприємець", "=ФОП")),
    ("ЧУП", ("частное унитарное предприятие", "чуп")),
    ("ЧТУП", ("частное торговое унитарное предприятие", "чтуп")),
    ("ОДО", ("общество с дополнительной ответственностью", "одо")),
    ("УП", ("унитарное предприятие", "=УП")),
    # English-speaking countries
    ("LLC", ("limited liability company", "l.l.c.", "llc")),
    ("LLP", ("limited liability partnership", "l.l.p.", "llp")),
    ("PLC", ("public limited company", "p.l.c.", "plc")),
    ("Co., Ltd", ("co., ltd", "co.,ltd", "co. ltd", "co ltd", "co., limited", "co.,limited")),
    ("Pty Ltd", ("pty ltd", "pty. ltd", "(pty) ltd", "pty limited", "proprietary limited")),
    ("Pte Ltd", ("pte ltd", "pte. ltd", "private limited company")),
    ("Pvt Ltd", ("pvt ltd", "pvt. ltd", "private limited")),
    ("Ltd", ("limited", "ltd")),
    ("Inc", ("incorporated", "inc")),
    ("Corp", ("corporation", "corp")),
    # Continental Europe
    ("GmbH & Co. KG", ("gmbh & co. kg", "gmbh & co kg", "gmbh & co.kg", "gmbh und co. kg", "gmbh und co kg",
                       "gmbh u. co. kg", "gmbh + co. kg")),
    ("GmbH", ("gesellschaft mit beschränkter haftung", "gmbh")),
    ("AG", ("aktiengesellschaft", "ag")),
    ("KG", ("kommanditgesellschaft", "=KG")),
    ("S.A.", ("s.a.", "=SA", "sociedad anónima", "société anonyme")),
    ("S.A.S.", ("s.a.s.", "=SAS", "société par actions simplifiée")),
    ("SARL", ("s.a.r.l.", "sarl", "société à responsabilité limitée")),
    ("S.p.A.", ("s.p.a.", "=SpA", "=SPA", "società per azioni")),
    ("S.r.l.", ("s.r.l.", "srl", "società a responsabilità limitata")),
    ("S.L.", ("s.l.", "=SL", "sociedad limitada")),
    ("B.V.", ("b.v.", "=BV", "besloten vennootschap")),
    ("N.V.", ("n.v.", "=NV", "naamloze vennootschap")),
    ("OÜ", ("oü", "=OU", "osaühing")),
    ("AB", ("=AB", "aktiebolag")),
    ("AS", ("=AS", "aksjeselskap", "aktsiaselts")),
    ("A/S", ("a/s", "aktieselskab")),
    ("ApS", ("=ApS", "=APS", "anpartsselskab")),
    ("Oy", ("=Oy", "=OY", "osakeyhtiö")),
    ("Oyj", ("oyj", "julkinen osakeyhtiö")),
    ("Sp. z o.o.", ("sp. z o.o.", "sp. z o. o.", "sp.z o.o.", "sp. z.o.o.", "spółka z ograniczoną odpowiedzialnością")),
    ("s.r.o.", ("s.r.o.", "spol. s r.o.", "společnost s ručením omezeným")),
    ("d.o.o.", ("d.o.o.",)),
    ("Kft.", ("kft.",)),
)
# Russian state and municipal institutions: owner (ФГ federal, Г state, М municipal, Ф federal), funding (Б budget,
# А autonomous, К treasury), kind (ОУ education, ДОУ preschool, ПОУ vocational, НУ science, УЗ health, УК culture,
# УДО/ОУ ДО further education, УСО social care, У any), and the level of education after it (ФГБОУ ВО). Written in
# capitals only: the family is too large to list, and in lower case some of it is ordinary words.
_INSTITUTION = r"(?-i:(?:(?:ФГ|Г|М)[БАК]?|Ф[БАК])(?:Д?ОУ|ПОУ|НУ|УЗ|УК|УДО|УСО|У)(?:\s+(?:ВО|ВПО|ДПО|СПО|ДО))?)"
_INSTITUTION_FORM = re.compile(_INSTITUTION)

# Which Russian forms are organisations and which a sole trader: the INN, KPP and OGRN must agree with it.
_RUSSIAN_ORGANISATIONS = frozenset(
    ("ООО", "ПАО", "НАО", "ЗАО", "ОАО", "АО", "АНО", "НКО", "ФГУП", "ГУП", "МУП", "ТСЖ", "ТСН", "СНТ")
)
SOLE_TRADER = "ИП"
_EITHER = frozenset(("КФХ",))  # a farm is registered as an organisation or as its head, a sole trader


def legal_form_kind(legal_form: str) -> str:
    """"organisation", "sole_trader" or "either" for a Russian legal form as `split_company` names it; "" for a
    foreign or unknown one (not judged by Russian tax rules)."""
    if legal_form == SOLE_TRADER:
        return "sole_trader"
    if legal_form in _EITHER:
        return "either"
    if legal_form in _RUSSIAN_ORGANISATIONS or _INSTITUTION_FORM.fullmatch(legal_form):
        return "organisation"
    return ""


# Opening quote -> the closing ones met after it: Russian «», German „“ and ‚‘, English “” and ‘’, the same
# right quote on both sides (”Ромашка”, as word processors leave it), »reversed« guillemets, ‹single› ones, `` ''.
_QUOTE_PAIRS = {
    "«": "»", "»": "«", "„": "“”", "‚": "‘’", "“": "”", "”": "”", "‘": "’", "‹": "›", "`": "`'", '"': '"', "'": "'",
}
_QUOTES = "«»„“”‚‘’‹›`\"'"
_FORM_BOUNDARY = r"[\s,«»„“”‚‘’‹›`\"'()]"
_NAME_EDGE_JUNK = " ,;:-–—"


def _form_pattern(spelling: str) -> str:
    """Regex for one spelling: any whitespace between words (or none after a dot or comma, "Co.,Ltd"), an optional
    trailing dot; a spelling written "=AS" matches in that case only."""
    exact = spelling.startswith("=")
    words = spelling.lstrip("=").rstrip(".").split()
    pattern = re.escape(words[0])
    for previous, word in pairwise(words):
        pattern += (r"\s*" if previous[-1] in ".," else r"\s+") + re.escape(word)
    pattern += r"\.?"
    return f"(?-i:{pattern})" if exact else pattern


def _form_key(text: str) -> str:
    """A spelling as matched, for looking up its canonical form: lower case, no spaces, no trailing dot."""
    return "".join(text.lower().split()).rstrip(".")


_FORM_SPELLINGS = sorted(
    ((spelling, form) for form, spellings in _LEGAL_FORMS for spelling in spellings),
    key=lambda item: -len(item[0]),
)
_CANONICAL_FORM = {_form_key(spelling.lstrip("=")): form for spelling, form in _FORM_SPELLINGS}
# Longest spellings first: at the start the first alternative that fits wins; at the end the leftmost match, i.e.
# the longest one ("Pty Ltd" rather than "Ltd"). One pattern per end instead of a loop over the spellings.
_FORM_ALTERNATIVES = "|".join([*(_form_pattern(spelling) for spelling, _ in _FORM_SPELLINGS), _INSTITUTION])
_FORM_AT_START = re.compile(rf"^(?:{_FORM_ALTERNATIVES})(?={_FORM_BOUNDARY}|$)", re.IGNORECASE)
_FORM_AT_END = re.compile(rf"(?:^|(?<={_FORM_BOUNDARY}))(?:{_FORM_ALTERNATIVES})$", re.IGNORECASE)

# Any spelling anywhere as a word: a quick test before split_company looks at both ends.
_ANY_FORM = re.compile(rf"(?:^|(?<={_FORM_BOUNDARY}))(?:{_FORM_ALTERNATIVES})(?={_FORM_BOUNDARY}|$)", re.IGNORECASE)


def _canonical_form(matched: str) -> str:
    """The canonical short form of a matched spelling; an institution's abbreviation as written, spaces tidied."""
    return _CANONICAL_FORM.get(_form_key(matched)) or " ".join(matched.split()).rstrip(".")


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
        if self.legal_form == "ИП" or self.name[:1] in _QUOTES:
            # A sole trader's name is a person's name: it is never put in quotes. A name that starts with its
            # own quoted part ("«Ромашка» (Москва)") is shown as it is, not quoted twice.
            return f"{self.legal_form} {self.name}"
        return f"{self.legal_form} «{self.name}»"


def split_company(raw: str) -> CompanyName:
    """Separate the legal form from the name; the name keeps its case, since brands care."""
    text = _strip_quotes(" ".join(raw.split()))
    legal_form = ""
    for pattern in (_FORM_AT_START, _FORM_AT_END):
        found = pattern.search(text)
        if found:
            text, legal_form = text[: found.start()] + text[found.end() :], _canonical_form(found.group(0))
            break
    name = _strip_quotes(text)
    if legal_form == "ИП":
        # A sole trader's name is a person's name: typed all lower or upper case, it gets a person's capitals.
        name = " ".join(_fix_case(word) for word in name.split())
    return CompanyName(name=name, legal_form=legal_form)


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


# ---------------------------------------------------------------------------------------------
# Places (a person's city or region, as routing rules, dealers' regions and partners' terms compare them)
# ---------------------------------------------------------------------------------------------

# Words that say what kind of place follows or precedes the name: "г. Москва", "Москва г", "город Казань", "City
# of London". Dropped only when a name is left.
_PLACE_KIND_WORDS = frozenset(
    "г гор город пгт пос поселок посёлок с село д дер деревня ст станица city of town".split()
)
# Names people use for the same place that no transliteration joins: exonyms, abbreviations, the numbers of Russia's
# regions (the tax office's and the car plates') and their ISO 3166-2 codes, which partners send as the region. Each
# entry: the place, then its other names separated by "|"; compared after lower-casing, ё as е, punctuation as spaces.
_PLACE_NAMES = (
    ("москва", "moscow|moskva|мск|msk|ru-mow|77|97|99|177|197|199|777|797|799"),
    ("санкт-петербург", "спб|питер|петербург|санкт петербург|saint petersburg|st petersburg|sankt peterburg|"
                        "spb|ru-spe|78|98|178|198"),
    ("московская область", "мо|моск обл|московская обл|подмосковье|moscow oblast|moscow region|ru-mos|"
                           "50|90|150|190|750"),
    ("ленинградская область", "ло|лен обл|ленобласть|ленинградская обл|leningrad oblast|leningrad region|"
                              "ru-len|47|147"),
    ("екатеринбург", "екб|ekaterinburg|yekaterinburg|ekb"),
    ("нижний новгород", "нн|н новгород|nizhny novgorod|nizhniy novgorod"),
    ("новосибирск", "нск|новосиб|novosibirsk"),
    ("ростов-на-дону", "ростов|rostov on don|rostov-on-don"),
)
_PLACE_PUNCTUATION = re.compile(r"[^\w]+|_+")
_SEVERAL_PLACES = re.compile(r"\s*(?:[,;/|(]|\s(?:и|или|and|or|&)\s)\s*", re.IGNORECASE)


def _place_words(text: str) -> str:
    """Lower case, ё as е, punctuation as spaces: the form place names are compared in."""
    return " ".join(_PLACE_PUNCTUATION.sub(" ", text.casefold().replace("ё", "е")).split())


@cache
def _place_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for place, others in _PLACE_NAMES:
        canonical = _place_words(place)
        for alias in (place, *others.split("|")):
            aliases[_place_words(alias)] = canonical
    return aliases


def persons_place_key(city: str) -> str:
    """The place_key of where a person says they are: the first place named. People write the city and its region
    ("Москва и МО", "Королёв, Московская обл.", "СПб / ЛО", "Королёв (МО)"), and a routing rule, a dealer or a
    partner's terms for Moscow fit "Москва и МО" (its whole text was no place at all). Places Leadflow's users name
    (a rule's region, a dealer's) are one place each and keep place_key."""
    return place_key(next((piece for piece in _SEVERAL_PLACES.split(str(city)) if piece.strip()), ""))


@lru_cache(maxsize=20_000)
def place_key(text: str) -> str:
    """How a city or region is compared: "г. Москва", "Москва", "МОСКВА", "Moscow", "мск" and 77 are one place.

    Known other names come from a short table (the capitals, their regions and the usual abbreviations); other
    places compare by their Latin skeleton, so "Казань" and "Kazan" agree too."""
    from leadflow.matching.names import skeleton

    words = _place_words(str(text)).split()
    while len(words) > 1 and words[0] in _PLACE_KIND_WORDS:
        words = words[1:]
    while len(words) > 1 and words[-1] in _PLACE_KIND_WORDS:
        words = words[:-1]
    name = " ".join(words)
    if not name:
        return ""
    canonical = _place_aliases().get(name, name)
    return " ".join(skeleton(word) or word for word in canonical.split())
