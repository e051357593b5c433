"""A phone or e-mail field read in part: the numbers and addresses that read, the rest exactly as typed (realdata5)."""

from __future__ import annotations

import pytest

from leadflow.matching.normalize import NormalizationError, emails_and_rest, phone_text, phones_and_rest


@pytest.mark.parametrize(("raw", "numbers", "rest"), [
    ("89123456789 / 8912", ["+79123456789"], "8912"),
    ("+7 912 345-67-89, звонить после 18", ["+79123456789"], "звонить после 18"),  # 18 is no extension
    ("8 912 345 67 89 (жена), 8 495 ЗВОНИТЬ", ["+79123456789"], "(жена), 8 495 ЗВОНИТЬ"),  # the remark too (realdata6)
    ("8912, 89123456789, 8913", ["+79123456789"], "8912, , 8913"),  # every character but the number's kept
    # read whole, as before: no rest
    ("+7 495 123-45-67, 12", ["+74951234567 ext. 12"], ""),
    ("+7 495 123-45-67, доб 12", ["+74951234567 ext. 12"], ""),
    ("моб. +7 (912) 345-67-89, раб. 8 (495) 123-45-67 доб. 123", ["+79123456789", "+74951234567 ext. 123"], ""),
])
def test_a_phone_field_read_in_part(raw, numbers, rest):
    phones, left, problem = phones_and_rest(raw)
    assert ([phone_text(phone) for phone in phones], left) == (numbers, rest)
    assert bool(problem) == bool(rest)


@pytest.mark.parametrize("raw", ["8-912-ЗВОНИТЬ", "8912 / 8913", "12"])
def test_a_phone_field_no_piece_of_which_reads_raises(raw):
    with pytest.raises(NormalizationError):
        phones_and_rest(raw)


@pytest.mark.parametrize(("raw", "emails", "rest"), [
    ("ivan@mail.ru, ivan@", ["ivan@mail.ru"], "ivan@"),
    ("ivan@mail.ru звонить вечером", ["ivan@mail.ru"], "звонить вечером"),
    ("a@b.ru; c@d.ru", ["a@b.ru", "c@d.ru"], ""),
])
def test_an_email_field_read_in_part(raw, emails, rest):
    assert emails_and_rest(raw)[:2] == (emails, rest)
    with pytest.raises(NormalizationError):
        emails_and_rest("ivan@, petr@")
