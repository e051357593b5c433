"""A couple addressed together in the name field (privacy11): "Mr and Mrs Smith", "Mr & Mrs Smith", "г-н и г-жа
Ивановы" is the first one with the family's name (Smith; Иванов, in his form), the other one kept on the request as
another person named, never "Mrs And" or "Г-Жа И. Ивановы"."""

from __future__ import annotations

import pytest

from leadflow.accounts.models import User
from leadflow.intake.tests.realdata import card, post
from leadflow.leads.models import Lead
from leadflow.matching.normalize import PersonName, split_person_name

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("name", "parts", "other"), [
    ("Mr and Mrs Smith", ("Smith", "", ""), "and Mrs Smith"),
    ("Mr & Mrs Smith", ("Smith", "", ""), "& Mrs Smith"),
    ("Mr. and Mrs. John Smith", ("Smith", "John", ""), "and Mrs. John Smith"),
    ("г-н и г-жа Ивановы", ("Иванов", "", ""), "и г-жа Ивановы"),
    ("г-жа и г-н Петровы", ("Петрова", "", ""), "и г-н Петровы"),
])
def test_a_couple_in_the_name_field_is_the_first_one_with_the_familys_name(partner, alice: User, name, parts, other):
    status, answer = post({"name": name, "phone": "8 912 345-67-89"}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.last_name, lead.first_name, lead.middle_name) == parts
    [named] = lead.requests.get().facts["unreadable"]
    assert (named["field"], named["value"]) == ("name", other)
    assert "another person named in the same field" in card(lead, alice)


@pytest.mark.parametrize(("name", "expected"), [
    ("Mr Smith", PersonName("Smith", "", "")), ("Dr. Brown", PersonName("Brown", "", "")),
    ("Mr John", PersonName("", "John", "")), ("Mrs. Jane Doe", PersonName("Doe", "Jane", "")),
])
def test_a_lone_word_after_a_form_of_address_is_the_surname_unless_it_is_a_given_name(name, expected):
    assert split_person_name(name) == expected
