import pytest

from leadflow.matching.names import (
    first_name_forms,
    is_common_surname,
    is_diminutive_pair,
    phonetic,
    skeleton,
    surname_gender_pair,
)


@pytest.mark.parametrize(
    "spellings",
    [
        ["Юлия", "Yulia", "Yuliya", "Iuliia", "Julia", "ЮЛИЯ", "yulia"],
        ["Дмитрий", "Dmitry", "Dmitriy", "Dmitrii"],
        ["Алексей", "Alexey", "Aleksey", "Aleksei", "Alexej"],
        ["Евгений", "Evgeny", "Yevgeny", "Evgenii"],
        ["Наталья", "Natalya", "Natalia", "Nataliya", "Наталия"],
        ["Ксения", "Kseniya", "Ksenia", "Xenia"],
        ["Сергей", "Sergey", "Sergei", "Sergej"],
        ["Михаил", "Mikhail", "Mihail"],
        ["Пётр", "Петр", "Pyotr", "Petr"],
        ["Фёдор", "Федор", "Fyodor", "Fedor"],
        ["Иванов", "Ivanov", "Iwanow", "Iwanoff"],
        ["Щукин", "Shchukin", "Schukin"],
        ["Хрущёв", "Хрущев", "Khrushchev"],
        ["Цветков", "Tsvetkov"],
        ["Королёв", "Королев", "Korolev", "Korolyov"],
    ],
)
def test_transliteration_schemes_meet_in_one_skeleton(spellings: list[str]) -> None:
    assert len({skeleton(s) for s in spellings}) == 1


def test_different_names_keep_different_skeletons() -> None:
    assert skeleton("Иван") != skeleton("Ирина")
    assert skeleton("Иванов") != skeleton("Иванова")
    assert skeleton("Мария") != skeleton("Марина")


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("Саша", "Александр"),
        ("Саша", "Александра"),
        ("Sasha", "Александр"),
        ("Alexander", "Александр"),
        ("Лёша", "Алексей"),
        ("Леша", "Алексей"),
        ("Женя", "Евгения"),
        ("Bob", "Robert"),
        ("Bill", "William"),
        ("Kate", "Katherine"),
        ("Маша", "Mariya"),
    ],
)
def test_diminutives_stand_for_full_names(short: str, full: str) -> None:
    assert is_diminutive_pair(skeleton(short), skeleton(full))


def test_unrelated_names_are_no_diminutive_pair() -> None:
    assert not is_diminutive_pair(skeleton("Саша"), skeleton("Мария"))
    assert not is_diminutive_pair(skeleton("Bob"), skeleton("William"))
    assert first_name_forms("") == frozenset()


def test_phonetic_code_absorbs_typos_and_schemes() -> None:
    assert phonetic(skeleton("Иванов")) == phonetic(skeleton("Ivanof")) == phonetic(skeleton("Iwanow"))
    assert phonetic(skeleton("Smith")) == phonetic(skeleton("Smyth"))
    assert phonetic("") == ""


def test_surname_gender_forms() -> None:
    assert surname_gender_pair(skeleton("Иванов"), skeleton("Иванова"))
    assert surname_gender_pair(skeleton("Чайковский"), skeleton("Чайковская"))
    assert not surname_gender_pair(skeleton("Иванов"), skeleton("Петрова"))
    assert not surname_gender_pair(skeleton("Иванов"), skeleton("Иванов"))


def test_common_surnames_in_both_genders_and_scripts() -> None:
    assert is_common_surname(skeleton("Иванов"))
    assert is_common_surname(skeleton("Ivanova"))
    assert is_common_surname(skeleton("Smith"))
    assert not is_common_surname(skeleton("Звонаранов"))
