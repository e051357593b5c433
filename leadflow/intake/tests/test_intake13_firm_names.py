"""A firm typed into a form's name field without its legal form (intake13): "Smith & Sons", "Johnson & Johnson",
"Рога & Копыта", "AT&T" is the company, not a person named Smith Sons; the submission then names no person (an interest
with the company, DOMAIN.md 1), or the person typed beside it ("Иван Петров, Smith & Sons") is the lead. Two people
joined by "&" stay people ("Анна & Иван", "Tom & Jerry", "Mr & Mrs Smith": the first one is the card's)."""

from __future__ import annotations

import pytest

from leadflow.intake.tests.realdata import post
from leadflow.leads.models import Interest, Lead
from leadflow.matching.normalize import is_firm_name, person_and_company

pytestmark = pytest.mark.django_db

FIRMS = [
    "Smith & Sons", "Johnson & Johnson", "Рога & Копыта", "Procter & Gamble", "Marks & Spencer", "Ernst & Young",
    "Black & Decker", "Dolce & Gabbana", "Baker & McKenzie", "Иванов & Петров", "Иванова & Петрова", "Гром & Молния",
    "Smith & Co.", "Smith & Co", "Smith and Sons", "Smith & Partners", "Brown & Associates", "Smith & Brothers",
    "Иванов и К°", "Петров и сын", "Петров и сыновья", "Ромашка и партнёры", "Кузнецов и партнёры", "Smith Jones & Co",
    "Рога и копыта & Co", "AT&T", "H&M", "P&G", "M&S",
]
PEOPLE = [
    ("Анна & Иван", ("", "Анна")), ("Tom & Jerry", ("", "Tom")), ("Ivan & Maria", ("", "Ivan")),
    ("Анна & Пётр", ("", "Анна")), ("Иван & Мария", ("", "Иван")), ("Ольга & Сергей", ("", "Ольга")),
    ("Маша & Саша", ("", "Маша")), ("Jack & Jill", ("", "Jack")), ("Kate & William", ("", "Kate")),
    ("Simon & Garfunkel", ("", "Simon")), ("John & Mary Smith", ("Smith", "John")),
    ("Иван Петров & Мария Петрова", ("Петров", "Иван")), ("Mr & Mrs Smith", ("Smith", "")),
    ("Mr. & Mrs. John Smith", ("Smith", "John")), ("Dr & Mrs Brown", ("Brown", "")),
    ("Иван и Мария Петровы", ("Петров", "Иван")), ("Иванов и Петров", ("Иванов", "")),
]


@pytest.mark.parametrize("name", FIRMS)
def test_a_firm_in_the_name_field_is_the_company_and_names_no_person(partner, name):
    status, answer = post({"name": name, "phone": "8 912 345-67-89"}, {"X-Api-Key": partner[1]})

    assert status in (200, 201, 202), answer
    assert not Lead.objects.exists()
    interest = Interest.objects.get()
    # the interest keeps the name field as given, as for "ООО Ромашка" typed there
    assert (interest.company_name, interest.name, interest.phone, interest.reason) == (
        name, name, "+79123456789", "no person's name")


@pytest.mark.parametrize("name", FIRMS)
def test_a_firm_beside_the_persons_name_is_their_company(partner, name):
    status, answer = post({"name": f"Иван Петров, {name}", "phone": "8 912 345-67-89"}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.last_name, lead.first_name, lead.company_name) == ("Петров", "Иван", name)


def test_a_company_field_given_is_kept_and_the_firm_in_the_name_names_no_person(partner):
    status, _answer = post({"name": "Smith & Sons", "company": "Smith & Sons Ltd", "email": "orders@smithsons.co.uk"},
                           {"X-Api-Key": partner[1]})

    assert status in (200, 201, 202)
    interest = Interest.objects.get()
    assert (interest.name, interest.company_name, interest.reason) == ("Smith & Sons", "Smith & Sons",
                                                                       "no person's name")
    assert not Lead.objects.filter(full_name__icontains="Smith").exists()


@pytest.mark.parametrize(("name", "parts"), PEOPLE)
def test_two_people_joined_by_and_stay_people(partner, name, parts):
    status, answer = post({"name": name, "phone": "8 912 345-67-89"}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.last_name, lead.first_name) == parts
    assert lead.company_name == ""
    assert not is_firm_name(name)


@pytest.mark.parametrize("name", ["Иван Петров", "Anna Smith", "Иван", "A & B", "Смит & Анна", "Лиля & Костя",
                                  "Женя & Лёша", "Sam & Max", "Co & Sons", "Олег & Co-worker", "Ben & Jerry",
                                  "Иван Петров, Smith & Sons", ""])
def test_what_is_no_firm_without_a_legal_form_is_not_taken_for_one(name):
    assert not is_firm_name(name)


def test_two_firms_beside_each_other_are_not_split_into_a_person():
    assert person_and_company("Smith & Sons, Johnson & Johnson") == ("", "")
