"""Names as people type them, read by the intake (names10): a family's surname written once for two people, and a
firm named after its founders with "&"."""

from __future__ import annotations

import pytest

from leadflow.accounts.models import User
from leadflow.intake.tests.realdata import card, post
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("name", "first", "last", "other"), [
    ("Ivan and Maria Smith", "Ivan", "Smith", "and Maria Smith"),
    ("Иван и Мария Петровы", "Иван", "Петров", "и Мария Петровы"),
    ("Мария и Иван Петровы", "Мария", "Петрова", "и Иван Петровы"),
])
def test_two_people_sharing_a_surname_make_the_first_ones_card_with_it(partner, alice: User, name, first, last, other):
    status, answer = post({"name": name, "phone": "8 912 345-67-89"}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.middle_name) == (first, last, "")
    [named] = lead.requests.get().facts["unreadable"]
    assert (named["field"], named["value"]) == ("name", other)
    page = card(lead, alice)
    assert f"«{other}»" in page and "another person named in the same field" in page


@pytest.mark.parametrize("name", ["Johnson & Johnson", "Procter & Gamble", "Marks & Spencer", "Ernst & Young"])
def test_a_firm_named_after_two_surnames_is_not_two_people(partner, name):
    status, answer = post({"name": name, "phone": "8 912 345-67-89"}, {"X-Api-Key": partner[1]})

    assert status in (201, 202), answer
    request = (Lead.objects.first() or Interest.objects.get()).requests.get()
    assert not [item for item in request.facts.get("unreadable", []) if item["field"] == "name"]
