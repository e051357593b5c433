"""Two people in one name field sharing a surname, and a firm named after its founders (names10): the card is the
first person's with the family's surname, in the form the given name tells; "Johnson & Johnson" is nobody's."""

from __future__ import annotations

import pytest

from leadflow.matching.normalize import PersonName, first_person, split_person_name


@pytest.mark.parametrize(("raw", "person", "other", "name"), [
    ("Ivan and Maria Smith", "Ivan Smith", "and Maria Smith", PersonName("Smith", "Ivan")),
    ("John & Mary Brown", "John Brown", "& Mary Brown", PersonName("Brown", "John")),
    # the Russian plural, in the form for the first person: a man's, a woman's
    ("Иван и Мария Петровы", "Иван Петров", "и Мария Петровы", PersonName("Петров", "Иван")),
    ("Мария и Иван Петровы", "Мария Петрова", "и Иван Петровы", PersonName("Петрова", "Мария")),
    ("Анна и Олег Ильины", "Анна Ильина", "и Олег Ильины", PersonName("Ильина", "Анна")),
    ("Игорь и Любовь Зайцевы", "Игорь Зайцев", "и Любовь Зайцевы", PersonName("Зайцев", "Игорь")),
    ("Любовь и Игорь Зайцевы", "Любовь Зайцева", "и Игорь Зайцевы", PersonName("Зайцева", "Любовь")),
    ("Сергей и Ольга Соловьёвы", "Сергей Соловьёв", "и Ольга Соловьёвы", PersonName("Соловьёв", "Сергей")),
    ("Андрей и Ирина Чайковские", "Андрей Чайковский", "и Ирина Чайковские", PersonName("Чайковский", "Андрей")),
    ("Елена и Пётр Троицкие", "Елена Троицкая", "и Пётр Троицкие", PersonName("Троицкая", "Елена")),
    ("иван и мария ПЕТРОВЫ", "Иван Петров", "и мария ПЕТРОВЫ", PersonName("Петров", "Иван")),
    # the family's surname written first
    ("Петровы Иван и Мария", "Петров Иван", "и Мария", PersonName("Петров", "Иван")),
    # a surname with no man's and woman's forms is both people's as it is
    ("Иван и Мария Шевченко", "Иван Шевченко", "и Мария Шевченко", PersonName("Шевченко", "Иван")),
    ("Олег и Вера Ким", "Олег Ким", "и Вера Ким", PersonName("Ким", "Олег")),
    ("Вера и Олег Цой", "Вера Цой", "и Олег Цой", PersonName("Цой", "Вера")),
])
def test_a_surname_written_once_after_two_given_names_is_the_first_persons_too(raw, person, other, name):
    assert first_person(raw) == (person, other)
    assert split_person_name(person) == name


@pytest.mark.parametrize(("raw", "person"), [
    # "Саша", "Женя" are a man's or a woman's: the plural stays as typed rather than be guessed
    ("Саша и Мария Петровы", "Саша Петровы"),
    ("Женя и Олег Ивановы", "Женя Ивановы"),
    # an adjectival plural has two singulars (Белые: Белый, Белой...): as typed
    ("Иван и Мария Белые", "Иван Белые"),
])
def test_a_plural_surname_the_given_name_does_not_decide_stays_as_typed(raw, person):
    assert first_person(raw)[0] == person


@pytest.mark.parametrize(("raw", "person"), [
    # her surname in her form: his is not known, and "Петрова" is not his
    ("Иван и Мария Петрова", "Иван"),
    ("Мария и Иван Петров", "Мария"),
    ("Иван и Мария", "Иван"),
    ("Иван Петров и Мария", "Иван Петров"),
    ("Иван Петров и Мария Сидорова", "Иван Петров"),
])
def test_a_surname_that_is_one_persons_is_not_given_to_the_other(raw, person):
    assert first_person(raw)[0] == person


@pytest.mark.parametrize("raw", ["Johnson & Johnson", "Procter & Gamble", "Marks & Spencer", "Ernst & Young",
                                 "Marks&Spencer", "Иванов & Петров"])
def test_a_firm_named_after_two_surnames_with_an_ampersand_is_not_two_people(raw):
    assert first_person(raw) == (raw, "")


@pytest.mark.parametrize(("raw", "person", "other"), [
    ("Иван и Мария", "Иван", "и Мария"),
    ("Иван + Мария", "Иван", "+ Мария"),
    ("Анна & Пётр", "Анна", "& Пётр"),
    ("Ivan & Maria", "Ivan", "& Maria"),
    ("John & Mary", "John", "& Mary"),
])
def test_two_given_names_with_an_ampersand_are_still_two_people(raw, person, other):
    assert first_person(raw) == (person, other)
