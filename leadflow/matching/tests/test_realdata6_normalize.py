"""A remark typed next to a number, an address or a name with no separator: the contact read, the remark apart
(realdata6)."""

from __future__ import annotations

import pytest

from leadflow.intake.pipeline import cut_to
from leadflow.matching.normalize import (
    NormalizationError,
    emails_and_rest,
    name_and_remark,
    phone_text,
    phones_and_rest,
)


@pytest.mark.parametrize(("raw", "numbers", "rest"), [
    ("8 912 345 67 89 после 18", ["+79123456789"], "после 18"),
    ("89123456789 Иван", ["+79123456789"], "Иван"),
    ("тел 89123456789 (рабочий)", ["+79123456789"], "(рабочий)"),
    ("8 912 345 67 89 доб 123 после 18", ["+79123456789 ext. 123"], "после 18"),
    ("+8 912 345 67 89 WhatsApp", ["+79123456789"], "WhatsApp"),
    ("89123456789 Иван 8 (495) 123-45-67 доб. 12", ["+79123456789", "+74951234567 ext. 12"], "Иван"),
    ("8 912 345 67 89 (жена), 8 495 ЗВОНИТЬ", ["+79123456789"], "(жена), 8 495 ЗВОНИТЬ"),
    ("89123456789 до 12", ["+79123456789"], "до 12"),  # when to call (round seven: "before 12", not "доб. 12")
    ("8 912 345 67 89 в 10", ["+79123456789"], "в 10"),
    # nothing besides the numbers: no rest
    ("моб. 8-912-345-67-89", ["+79123456789"], ""),
    ("8 912 345 67 89 доб 123", ["+79123456789 ext. 123"], ""),
    ("моб. +7 (912) 345-67-89, раб. 8 (495) 123-45-67 доб. 123", ["+79123456789", "+74951234567 ext. 123"], ""),
    ("+7 495 123-45-67, 12", ["+74951234567 ext. 12"], ""),
])
def test_the_remark_is_what_is_not_the_numbers(raw, numbers, rest):
    phones, left, problem = phones_and_rest(raw)
    assert ([phone_text(phone) for phone in phones], left) == (numbers, rest)
    assert bool(problem) == bool(rest)


@pytest.mark.parametrize("raw", ["89123456789 до 123", "8 912 345 67 89 в 100", "8 912 345 67 899",
                                 "8 912 345 67 89 8 495 123 45 67"])
def test_what_may_be_part_of_a_number_is_no_remark(raw):
    with pytest.raises(NormalizationError):
        phones_and_rest(raw)


@pytest.mark.parametrize(("raw", "emails", "rest"), [
    ("ivan@mail.ru (рабочий)", ["ivan@mail.ru"], "(рабочий)"),
    ("ivan@mail.ru рабочий", ["ivan@mail.ru"], "рабочий"),
    ("e-mail: ivan@mail.ru", ["ivan@mail.ru"], ""),
    ("эл. почта: ivan@mail.ru", ["ivan@mail.ru"], ""),
    ("mailto:ivan@mail.ru.", ["ivan@mail.ru"], ""),
])
def test_an_address_and_its_remark(raw, emails, rest):
    assert emails_and_rest(raw)[:2] == (emails, rest)


@pytest.mark.parametrize(("raw", "name", "remark"), [
    ("Иван, звонить после 18", "Иван", "звонить после 18"),
    ("Иванов Иван (менеджер)", "Иванов Иван (менеджер)", "(менеджер)"),
    ("Иван, 89123456789 после 18", "Иван", "после 18"),  # the number is the person's contact, not a remark
    ("Петров, Иван", "Петров, Иван", ""),
    ("Иван (89123456789)", "Иван (89123456789)", ""),
    ("ООО Ромашка, отдел закупок", "ООО Ромашка, отдел закупок", ""),  # a company: left to the company rules
])
def test_a_name_and_its_remark(raw, name, remark):
    assert name_and_remark(raw) == (name, remark)


def test_a_text_is_cut_after_a_word_and_says_it_goes_on():
    assert cut_to("ООО Научно-производственное объединение", 30) == "ООО Научно-производственное…"
    assert cut_to("x" * 300, 255) == "x" * 254 + "…"
    assert cut_to("short", 255) == "short"
