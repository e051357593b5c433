from leadflow.matching.keys import KINDS, candidate_keys
from leadflow.matching.record import Record


def _shared(a: Record, b: Record) -> set[tuple[str, str]]:
    return candidate_keys(a) & candidate_keys(b)


def test_phone_key_is_e164_without_extension() -> None:
    a = Record.from_raw("1", name="Иван Петров", phone="+7 495 123-45-67 доб. 12")
    b = Record.from_raw("2", name="Мария Сидорова", phone="8 (495) 1234567 ext. 13")
    assert ("phone", "+74951234567") in _shared(a, b)
    assert {key for key in candidate_keys(a) if key[0] == "phone"} == {("phone", "+74951234567")}


def test_email_key_is_the_canonical_mailbox() -> None:
    a = Record.from_raw("1", email="Ivan.Petrov+crm@gmail.com")
    b = Record.from_raw("2", email=" ivanpetrov@googlemail.com ")
    c = Record.from_raw("3", email="user@ya.ru")
    d = Record.from_raw("4", email="USER@yandex.kz")
    assert ("email", "ivanpetrov@gmail.com") in _shared(a, b)
    assert ("email", "user@yandex.ru") in _shared(c, d)


def test_mail_ru_family_is_not_aliased() -> None:
    a = Record.from_raw("1", email="user@mail.ru")
    b = Record.from_raw("2", email="user@bk.ru")
    assert not any(kind == "email" for kind, _ in _shared(a, b))


def test_name_keys_meet_across_scripts_diminutives_and_order() -> None:
    base = Record.from_raw("1", name="Иванова Юлия Сергеевна")
    for other in (
        Record.from_raw("2", name="Yulia Ivanova"),
        Record.from_raw("3", name="Iuliia Ivanova"),
        Record.from_raw("4", name="Юля Иванова"),
        Record.from_raw("5", first_name="Ivanova", last_name="Julia"),  # mis-split columns
    ):
        assert any(kind == "name" for kind, _ in _shared(base, other)), other


def test_initials_meet_the_full_name_with_patronymic() -> None:
    full = Record.from_raw("1", name="Иванов Иван Иванович")
    initials = Record.from_raw("2", name="Иванов И.И.")
    assert any(kind == "name" for kind, _ in _shared(full, initials))


def test_inn_and_company_keys() -> None:
    a = Record(id="1", company="ООО «Ромашка»", inn="7701234567")
    b = Record.from_raw("2", company='"Romashka" LLC')
    assert ("inn", "7701234567") in candidate_keys(a)
    assert ("company", "romashka") in _shared(a, b)


def test_no_key_from_a_first_name_or_a_surname_alone() -> None:
    assert candidate_keys(Record.from_raw("1", name="Александр")) == set()
    assert candidate_keys(Record(id="2", last_name="Иванов")) == set()


def test_kinds_are_the_documented_ones() -> None:
    record = Record.from_raw(
        "1",
        name="Иван Петров",
        email="ivan@example.com",
        phone="+79123456789",
        company="ООО Ромашка",
        birth_date="1980-01-02",
        postcode="101000",
    )
    assert {kind for kind, _ in candidate_keys(record)} <= set(KINDS)
