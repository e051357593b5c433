"""Phones as people in and around Russia type them, round eight: a neighbour's number with its country code but no
plus ("375 29 ...", as dialled after 8-10), and a number a script or spreadsheet wrote with all its digits in an
exponent ("7.9123456789E10"), sent by a partner and imported from a file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.test import Client as HttpClient

from leadflow.imports import services as imports
from leadflow.imports.models import ImportKind
from leadflow.intake import webform_rules
from leadflow.intake.models import Form
from leadflow.intake.tests.realdata import post
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("typed", "number"), [
    ("375 29 123-45-67", "+375291234567"),  # Belarus
    ("(375) 29 123 45 67", "+375291234567"),
    ("998 90 123 45 67", "+998901234567"),  # Uzbekistan
    ("374 91 123456", "+37491123456"),  # Armenia
    ("380 50 123 4567", "+380501234567"),  # Ukraine
    ("375291234567 доб. 5", "+375291234567"),
])
def test_a_neighbours_number_typed_without_the_plus_is_read(partner, typed, number):
    status, answer = post({"name": "Иван Петров", "phone": typed}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert Lead.objects.get().phone == number


@pytest.mark.parametrize("typed", [
    "91234567890",  # a Russian mobile with a digit too many is not read as India's +91
    "8912345678901",
])
def test_a_russian_number_with_a_digit_too_many_is_still_refused(partner, typed):
    status, answer = post({"name": "Иван Петров", "phone": typed}, {"X-Api-Key": partner[1]})

    assert status == 422, answer
    assert "phone" in answer["error"]["fields"]
    assert not Lead.objects.exists()


def test_a_number_with_all_its_digits_in_an_exponent_is_read_and_a_shortened_one_is_not(tmp_path: Path, head):
    path = tmp_path / "export.csv"
    path.write_text("ФИО;Телефон;E-mail\r\n"
                    "Иванов Иван;7.9123456789E10;\r\n"
                    "Петров Пётр;7,91234E+10;\r\n", encoding="utf-8-sig")
    job = imports.create_job(upload=path, by=head, kind=ImportKind.LEADS)
    job = imports.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=head)

    counts = imports.run_import(job)

    assert (counts["created"], counts["invalid"]) == (1, 1)
    assert Lead.objects.get().phone == "+79123456789"
    job.refresh_from_db()
    [refused] = job.report
    assert refused["row"] == 3 and "its last digits are lost" in refused["detail"]


@pytest.mark.parametrize("mask", ["+7 (___) ___-__-__", "+7", "8 (___) ___-__-__", "+375 (__) ___-__-__"])
def test_an_input_mask_nobody_typed_into_is_an_empty_phone(partner, mask):
    status, answer = post({"name": "Иван Петров", "phone": mask, "email": "ivan@mail.ru"}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert "warnings" not in answer  # was: "could not read +7 (___) ___-__-__"
    assert (Lead.objects.get().phone, Lead.objects.get().email) == ("", "ivan@mail.ru")


def test_a_mask_typed_into_in_part_is_still_a_number_short_of_digits(partner):
    status, answer = post({"name": "Иван Петров", "phone": "+7 (912) 345-__-__"}, {"X-Api-Key": partner[1]})

    assert status == 422, answer
    assert answer["error"]["fields"]["phone"] == ["phone number has too few digits"]


def test_the_hosted_form_asks_for_a_required_phone_left_as_its_mask(sales):
    form = Form.objects.create(name="Call me", slug="call-me", team=sales,
                               fields=[{"name": "name", "required": True}, {"name": "phone", "required": True}])
    token = webform_rules.issue_token(form, now=time.time() - 30)

    response = HttpClient().post("/f/call-me", {"_ts": token, "name": "Иван Петров", "phone": "+7 (___) ___-__-__"})

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Lead.objects.exists()
