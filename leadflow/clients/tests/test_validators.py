from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from leadflow.clients.validators import validate_inn, validate_kpp, validate_ogrn

# Real registration numbers (Sberbank, Yandex) and numbers whose check digits were computed here.
VALID_INNS = [
    "7707083893",  # Sberbank
    "7736207543",  # Yandex
    "5001007329",
    "500102030400",
    "774301390193",
    "770708389324",
    " 7707083893 ",
    "\t774301390193\n",
    # typed in groups: the separators are not part of the number (clients.validators.clean_number)
    "7707 083893",
    "7707-083893",
    "770.708.38.93",
]
VALID_KPPS = ["773601001", "770701001", "7736AB001", "77010Z001", " 773601001 ", "7736 01 001"]
VALID_OGRNS = [
    "1027700132195",  # Sberbank
    "1027700229193",  # Yandex
    "1157746512340",
    "304770000000019",  # OGRNIP
    "315500000123459",  # OGRNIP
    " 1027700132195\n",
    "1027700 132195",
]


@pytest.mark.parametrize("value", VALID_INNS)
def test_valid_inn_passes(value: str) -> None:
    validate_inn(value)


@pytest.mark.parametrize("value", VALID_KPPS)
def test_valid_kpp_passes(value: str) -> None:
    validate_kpp(value)


@pytest.mark.parametrize("value", VALID_OGRNS)
def test_valid_ogrn_passes(value: str) -> None:
    validate_ogrn(value)


def _error(validator: Callable[[str], None], value: str) -> ValidationError:
    """The error the validator raises for value."""
    with pytest.raises(ValidationError) as error:
        validator(value)
    return error.value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("7707083894", "INN check digit does not match"),  # last digit off by one
        ("7707083883", "INN check digit does not match"),
        ("7736207544", "INN check digit does not match"),
        ("8707083893", "INN check digit does not match"),  # first digit changed
        ("500102030401", "INN check digit does not match"),  # second check digit off
        ("500102030410", "INN check digit does not match"),  # first check digit off
        ("774301390183", "INN check digit does not match"),
        ("", "INN must have 10 or 12 digits"),
        ("   ", "INN must have 10 or 12 digits"),
        ("770708389", "INN must have 10 or 12 digits"),
        ("77070838931", "INN must have 10 or 12 digits"),
        ("7707083893123", "INN must have 10 or 12 digits"),
        ("7707 / 083893", "INN must contain only digits"),
        ("770708389O", "INN must contain only digits"),
        ("７７０７０８３８９３", "INN must contain only digits"),  # full-width digits
        ("-7707083893", "INN must contain only digits"),
    ],
)
def test_invalid_inn_is_rejected(value: str, message: str) -> None:
    error = _error(validate_inn, value)
    assert error.code == "invalid_inn"
    assert error.messages == [message]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "KPP must have 9 characters"),
        ("77360100", "KPP must have 9 characters"),
        ("7736010011", "KPP must have 9 characters"),
        (
            "7736ab001",
            "KPP must be 4 digits, then 2 digits or capital Latin letters, then 3 digits",
        ),
        (
            "7736АБ001",
            "KPP must be 4 digits, then 2 digits or capital Latin letters, then 3 digits",
        ),
        (
            "A73601001",
            "KPP must be 4 digits, then 2 digits or capital Latin letters, then 3 digits",
        ),
        (
            "77360100A",
            "KPP must be 4 digits, then 2 digits or capital Latin letters, then 3 digits",
        ),
        ("7736 1001", "KPP must have 9 characters"),  # a digit missing, whatever the spaces
    ],
)
def test_invalid_kpp_is_rejected(value: str, message: str) -> None:
    error = _error(validate_kpp, value)
    assert error.code == "invalid_kpp"
    assert error.messages == [message]


OGRN_LENGTH = "OGRN must have 13 digits, or 15 for a sole trader (OGRNIP)"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1027700132196", "OGRN check digit does not match"),  # last digit off by one
        ("1027700132194", "OGRN check digit does not match"),
        ("1027700229194", "OGRN check digit does not match"),
        ("2027700132195", "OGRN check digit does not match"),
        ("304770000000018", "OGRN check digit does not match"),
        ("315500000123458", "OGRN check digit does not match"),
        ("", OGRN_LENGTH),
        ("102770013219", OGRN_LENGTH),
        ("10277001321950", OGRN_LENGTH),
        ("3047700000000190", OGRN_LENGTH),
        ("1027700 13219O", "OGRN must contain only digits"),
        ("102770013219S", "OGRN must contain only digits"),
    ],
)
def test_invalid_ogrn_is_rejected(value: str, message: str) -> None:
    error = _error(validate_ogrn, value)
    assert error.code == "invalid_ogrn"
    assert error.messages == [message]


def test_every_inn_check_digit_is_checked() -> None:
    # Only the true check digit passes: each of the other nine must fail.
    for digit in "012456789":
        with pytest.raises(ValidationError):
            validate_inn(f"770708389{digit}")
    validate_inn("7707083893")
