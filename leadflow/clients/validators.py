"""Validators for Russian company registration numbers (INN, KPP, OGRN) with their check digits.

Numbers are pasted from documents and e-mails and typed in groups ("7707 083893", "770-708-38-93"):
`clean_number` drops spaces, dashes and dots between the characters, and every entry point (conversion, the
API, imports, the admin) stores the cleaned number. Each validator takes the number as typed and checks what is
left after those separators; any other character (a letter in an INN) is an error, never silently removed.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from leadflow.matching import normalize

# Check-digit weights of the INN, as the Federal Tax Service publishes them.
_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_FIRST_WEIGHTS = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_SECOND_WEIGHTS = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
# KPP: tax office (4 digits), reason (2 digits or capital Latin letters), serial (3 digits).
_KPP = re.compile(r"[0-9]{4}[0-9A-Z]{2}[0-9]{3}")
_DIGITS = re.compile(r"[0-9]*")
# Separators people put between groups of digits: spaces (any, incl. no-break), hyphens and dashes, dots. Only
# between two characters: a leading minus or a trailing dot is no grouping, and stays for the validator to refuse.
_SEPARATORS = re.compile(r"(?<=\w)[\s.\-\u2010-\u2015\u2212]+(?=\w)")


def clean_number(value: str) -> str:
    """A registration number without the separators people group its digits with: "770-708 38.93" -> "7707083893".

    Only separators go: letters, slashes and anything else stay, for the validator to refuse."""
    return _SEPARATORS.sub("", str(value or "").strip())


def validate_inn(value: str) -> None:
    """Reject an INN whose length or check digits are wrong: typos must not reach documents."""
    inn = clean_number(value)
    if not _DIGITS.fullmatch(inn):
        raise ValidationError(_("INN must contain only digits"), code="invalid_inn")
    if len(inn) not in (10, 12):
        raise ValidationError(_("INN must have 10 or 12 digits"), code="invalid_inn")
    digits = [int(char) for char in inn]
    if len(digits) == 10:
        valid = _inn_check_digit(digits, _INN10_WEIGHTS) == digits[9]
    else:
        valid = (
            _inn_check_digit(digits, _INN12_FIRST_WEIGHTS) == digits[10]
            and _inn_check_digit(digits, _INN12_SECOND_WEIGHTS) == digits[11]
        )
    if not valid:
        raise ValidationError(_("INN check digit does not match"), code="invalid_inn")


def _inn_check_digit(digits: list[int], weights: tuple[int, ...]) -> int:
    """Weighted sum of the leading digits, modulo 11, then modulo 10."""
    leading = digits[: len(weights)]
    return sum(digit * weight for digit, weight in zip(leading, weights, strict=True)) % 11 % 10


def validate_kpp(value: str) -> None:
    """Reject a KPP that does not have the shape the tax service issues."""
    kpp = clean_number(value)
    if len(kpp) != 9:
        raise ValidationError(_("KPP must have 9 characters"), code="invalid_kpp")
    if not _KPP.fullmatch(kpp):
        raise ValidationError(
            _("KPP must be 4 digits, then 2 digits or capital Latin letters, then 3 digits"),
            code="invalid_kpp",
        )


def validate_ogrn(value: str) -> None:
    """Reject an OGRN (13 digits) or OGRNIP (15 digits) whose check digit is wrong."""
    ogrn = clean_number(value)
    if not _DIGITS.fullmatch(ogrn):
        raise ValidationError(_("OGRN must contain only digits"), code="invalid_ogrn")
    if len(ogrn) == 13:
        # OGRN of an organisation: the first 12 digits as a number, modulo 11, then modulo 10.
        expected = int(ogrn[:12]) % 11 % 10
    elif len(ogrn) == 15:
        # OGRNIP of a sole trader: the first 14 digits as a number, modulo 13, then modulo 10.
        expected = int(ogrn[:14]) % 13 % 10
    else:
        raise ValidationError(
            _("OGRN must have 13 digits, or 15 for a sole trader (OGRNIP)"), code="invalid_ogrn"
        )
    if expected != int(ogrn[-1]):
        raise ValidationError(_("OGRN check digit does not match"), code="invalid_ogrn")


def validate_okpo(value: str) -> None:
    """Reject an OKPO code (8 digits for an organisation, 10 for a sole trader) whose check digit is wrong; a
    14-digit code of a branch is taken on its length."""
    okpo = clean_number(value)
    if not _DIGITS.fullmatch(okpo):
        raise ValidationError(_("OKPO must contain only digits"), code="invalid_okpo")
    if len(okpo) == 14:
        return
    if len(okpo) not in (8, 10):
        raise ValidationError(_("OKPO must have 8 digits, or 10 for a sole trader"), code="invalid_okpo")
    digits = [int(char) for char in okpo]
    # Rosstat's method: weights 1, 2, 3... (after 10, from 1 again) modulo 11; a remainder of 10 is tried again
    # with weights starting at 3, and a second 10 gives 0.
    for start in (1, 3):
        check = sum(d * ((start + i - 1) % 10 + 1) for i, d in enumerate(digits[:-1])) % 11
        if check < 10:
            break
    else:
        check = 0
    if check != digits[-1]:
        raise ValidationError(_("OKPO check digit does not match"), code="invalid_okpo")


# Russian legal forms of an organisation (10-digit INN, 13-digit OGRN, has a KPP: ООО, АО, a state institution
# such as ГБУ or ФГБОУ ВО, ТСЖ ...) and of a sole trader (ИП: a person's 12-digit INN, 15-digit OGRNIP, no KPP),
# as leadflow.matching.normalize.split_company names them (normalize.legal_form_kind tells which is which).
SOLE_TRADER_FORM = normalize.SOLE_TRADER


def legal_form_errors(legal_form: str, *, inn: str = "", kpp: str = "", ogrn: str = "") -> dict[str, list[str]]:
    """Numbers that contradict the legal form, per field: an ООО with a person's 12-digit INN, an ИП with a KPP.

    Each number must already be valid on its own (validate_inn ...); a foreign or unknown form is not judged, nor a
    farm (КФХ), which is registered either way."""
    errors: dict[str, list[str]] = {}
    inn, kpp, ogrn = clean_number(inn), clean_number(kpp), clean_number(ogrn)
    kind = normalize.legal_form_kind(legal_form)
    if kind == "sole_trader":
        if inn and len(inn) != 12:
            errors["inn"] = [str(_("A sole trader (ИП) has a 12-digit INN; 10 digits are an organisation's"))]
        if ogrn and len(ogrn) != 15:
            errors["ogrn"] = [str(_("A sole trader (ИП) has a 15-digit OGRNIP; 13 digits are an organisation's"))]
        if kpp:
            errors["kpp"] = [str(_("A sole trader (ИП) has no KPP"))]
    elif kind == "organisation":
        if inn and len(inn) != 10:
            errors["inn"] = [str(_("An organisation has a 10-digit INN; 12 digits are a person's or a sole trader's"))]
        if ogrn and len(ogrn) != 13:
            errors["ogrn"] = [str(_("An organisation has a 13-digit OGRN; 15 digits are a sole trader's OGRNIP"))]
    return errors
