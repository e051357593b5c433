"""Phones in the signatures people write: every number with its extension, the mobile first."""

from __future__ import annotations

import pytest

from leadflow.inbox import parsing
from leadflow.inbox.tests.messages import build


@pytest.mark.parametrize(
    ("signature", "phones"),
    [
        ("моб. +7 (912) 345-67-89, раб. 8 (495) 123-45-67 доб. 123", ["+79123456789", "+74951234567 ext. 123"]),
        ("тел. 8 (495) 123-45-67 (доб. 123)\n8-912-345-67-89", ["+79123456789", "+74951234567 ext. 123"]),
        ("Тел./факс: +7 (495) 123-45-67, вн. 45", ["+74951234567 ext. 45"]),
        ("Тел.: +7 495 123-45-67 доп. 7", ["+74951234567 ext. 7"]),
        ("T: +44 20 7946 0958 ext. 12 | M: +44 7911 123456", ["+447911123456", "+442079460958 ext. 12"]),
        ("Tel +1 (415) 555-0132 (ext. 204)", ["+14155550132 ext. 204"]),
        ("Звоните: 8 800 555-35-35 или +7 912 345 67 89", ["+79123456789", "+78005553535"]),
        # numbers that are not phones (an order, an INN, a date) are not read as phones
        ("Заказ №123456789 от 12.11.2026, ИНН 7707083893, тел 89123456789", ["+79123456789"]),
    ],
)
def test_signature_phones_keep_their_extensions(signature, phones):
    assert parsing.find_phones(signature, region="RU") == phones


def test_an_office_line_with_its_extension_in_brackets_reaches_the_person():
    body = "Добрый день!\n\nПришлите, пожалуйста, прайс.\n\n--\nИван Петров\nтел. 8 (495) 123-45-67 (доб. 123)\n"
    assert parsing.parse(build(body=body)).phones == ["+74951234567 ext. 123"]
