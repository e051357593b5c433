import pytest

from leadflow.matching.compare import LOWER_DEFAULT, UPPER_DEFAULT, Match, compare
from leadflow.matching.record import Record

R = Record.from_raw


def _same(a: Record, b: Record) -> Match:
    match = compare(a, b)
    assert match.score >= UPPER_DEFAULT, match
    assert compare(b, a).score == pytest.approx(match.score, abs=1e-3)  # symmetric
    return match


def _different(a: Record, b: Record) -> Match:
    match = compare(a, b)
    assert match.score < LOWER_DEFAULT, match
    return match


def test_thresholds_are_ordered() -> None:
    assert 0 < LOWER_DEFAULT < UPPER_DEFAULT <= 1


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("8 (912) 345-67-89", "+7 912 3456789"),
        ("+79123456789", "7 912 345 67 89"),
        ("0044 7911 123456", "+44 7911 123456"),
    ],
)
def test_phone_in_any_notation(one: str, other: str) -> None:
    match = _same(R("1", name="Пётр Сидоров", phone=one), R("2", name="Петр Сидоров", phone=other))
    assert "phone equal" in match.reasons


def test_same_extension_on_an_office_line_is_the_same_person() -> None:
    match = _same(
        R("1", name="Иван Петров", phone="+7 495 123-45-67 доб. 12"),
        R("2", name="Petrov Ivan", phone="8 (495) 1234567 ext. 12"),
    )
    assert "same office line and extension" in match.reasons


def test_office_line_without_extension_is_weak_evidence() -> None:
    match = compare(R("1", name="Иван", phone="+7 495 123-45-67 доб. 12"), R("2", name="Иван", phone="84951234567"))
    assert "same office line (one without extension)" in match.reasons
    assert match.score < UPPER_DEFAULT


def test_different_extensions_on_one_line_are_evidence_against() -> None:
    match = _different(
        R("1", name="Иван Петров", phone="+7 495 123-45-67 доб. 12", company="ООО «Ромашка»"),
        R("2", name="Иван Петров", phone="+7 495 123-45-67 доб. 13", company="Romashka LLC"),
    )
    assert "different extension on the same office line" in match.reasons


@pytest.mark.parametrize(
    ("one", "other", "reason"),
    [
        ("Ivan.Petrov@Example.com", "  ivan.petrov@example.com ", "e-mail equal"),
        ("ivan+crm@gmail.com", "ivan@gmail.com", "e-mail equal after +tag"),
        ("i.van.petrov@gmail.com", "ivanpetrov@googlemail.com", "e-mail equal after provider alias, dots in the name"),
        ("user@ya.ru", "user@yandex.ru", "e-mail equal after provider alias"),
        ("user@yandex.com", "user@yandex.by", "e-mail equal after provider alias"),
        ("user@yandex.kz", "user@yandex.ua", "e-mail equal after provider alias"),
    ],
)
def test_email_normalisation_and_aliases(one: str, other: str, reason: str) -> None:
    match = _same(R("1", name="Иван Петров", email=one), R("2", name="Иван Петров", email=other))
    assert reason in match.reasons


def test_mail_ru_family_is_not_one_mailbox() -> None:
    match = compare(R("1", name="Иван Петров", email="ivan@mail.ru"), R("2", name="Иван Петров", email="ivan@bk.ru"))
    assert match.score < UPPER_DEFAULT
    assert "e-mail equal" not in " ".join(match.reasons)


def test_a_shared_company_domain_is_not_the_same_person() -> None:
    match = _different(
        R("1", name="Иван Петров", email="ivan@romashka.ru"), R("2", name="Мария Сидорова", email="maria@romashka.ru")
    )
    assert "same company e-mail domain (not the same person by itself)" in match.reasons


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Иванов Иван Иванович", "Иван Иванович Иванов"),  # any order
        ("Иванов Иван Иванович", "Иванов Иван"),  # missing patronymic
        ("Иванов Иван Иванович", "Иванов И.И."),  # initials
        ("Юлия Смирнова", "Yulia Smirnova"),
        ("Юлия Смирнова", "Iuliia Smirnova"),
        ("Юлия Смирнова", "Julia Smirnova"),
        ("Пётр Королёв", "Петр Королев"),  # ё / е
        ("Саша Петров", "Александр Петров"),  # diminutive
        ("Bob Smith", "Robert Smith"),
        ("Константин Рыжков", "Константин Рыжкво"),  # typo
        ("ИВАНОВ ИВАН", "иванов иван"),  # case
        ("Иван", "Иванов Иван Петрович"),  # first name alone
    ],
)
def test_names_agree_across_spellings_when_a_contact_agrees(one: str, other: str) -> None:
    match = _same(R("1", name=one, phone="+79123456789"), R("2", name=other, phone="8 912 345-67-89"))
    assert not any(reason.startswith("different") for reason in match.reasons), match


def test_transliteration_is_named_in_the_reasons() -> None:
    match = compare(R("1", name="Юлия Смирнова", phone="+79123456789"), R("2", name="Yulia Smirnova"))
    assert "first name equal after transliteration" in match.reasons
    assert "surname equal after transliteration" in match.reasons
    match = compare(R("1", name="Саша Петров"), R("2", name="Александр Петров"))
    assert "first name equal after diminutive" in match.reasons


def test_a_name_alone_never_reaches_the_upper_threshold() -> None:
    match = compare(R("1", name="Звонаранов Станислав Игоревич"), R("2", name="Звонаранов Станислав Игоревич"))
    assert LOWER_DEFAULT <= match.score < UPPER_DEFAULT  # a possible duplicate, for a person to decide


def test_namesakes_with_different_contacts_are_not_one_person() -> None:
    _different(
        R("1", name="Иванов Иван Иванович", phone="+79123456789", email="ivanov1@mail.ru"),
        R("2", name="Иванов Иван Иванович", phone="+79161112233", email="ivan.ivanov@yandex.ru"),
    )


def test_colleagues_at_one_company_are_two_people() -> None:
    match = _different(
        R(
            "1",
            name="Иван Петров",
            company="ООО «Ромашка»",
            email="i.petrov@romashka.ru",
            phone="+7 495 1234567 доб. 1",
        ),
        R(
            "2",
            name="Мария Сидорова",
            company='"Romashka" LLC',
            email="m.sidorova@romashka.ru",
            phone="+7 495 1234567 доб. 2",
        ),
    )
    assert "same company, different person" in match.reasons


def test_company_spellings_and_inn() -> None:
    a = Record(
        id="1",
        first_name="Иван",
        last_name="Петров",
        company="Общество с ограниченной ответственностью Ромашка",
        phones=(("+79123456789", ""),),
    )
    b = Record(id="2", first_name="Ivan", last_name="Petrov", company='"ROMASHKA" LLC', phones=(("+79123456789", ""),))
    assert "same company" in compare(a, b).reasons
    c = Record(id="3", company="Ромашка", inn="7701234567", first_name="Иван", phones=(("+79123456789", ""),))
    d = Record(id="4", company="Лютик", inn="7701234567", first_name="Иван", phones=(("+79123456789", ""),))
    assert "same company (INN equal)" in compare(c, d).reasons
    e = Record(id="5", company="Ромашка", inn="7709999999", first_name="Иван", phones=(("+79123456789", ""),))
    assert "different companies" in compare(c, e).reasons  # INN decides over the name


def test_a_family_sharing_a_landline_is_not_one_person() -> None:
    _different(R("1", name="Иванов Пётр", phone="+7 495 765-43-21"), R("2", name="Иванова Мария", phone="84957654321"))


def test_bad_input_is_dropped_not_raised() -> None:
    record = R("1", name="  ", email="not an email", phone="12", birth_date="31/31/31")
    assert record.emails == () and record.phones == () and record.birth_date == ""
    assert 0.0 <= compare(record, record).score <= 1.0


def test_birth_date_formats() -> None:
    assert R("1", birth_date="02.01.1980").birth_date == "1980-01-02"
    assert R("1", birth_date="19800102").birth_date == "1980-01-02"
    assert R("1", birth_date="1980-01-02").birth_date == "1980-01-02"


@pytest.mark.parametrize(
    "raw",
    [
        "8 (912) 345-67-89",
        "+7 912 3456789",
        "7(912)3456789",
        "+7 713 382-19-55",  # +7 7xx is Kazakhstan: the fast path leaves it to phonenumbers
        "8 (495) 123-45-67",
        "+7 900 000 00 00",
    ],
)
def test_phone_fast_path_agrees_with_normalize_phone(raw: str) -> None:
    from leadflow.matching.normalize import NormalizationError, normalize_phone
    from leadflow.matching.record import parse_phones

    try:
        phone = normalize_phone(raw)
        expected: tuple[tuple[str, str], ...] = ((phone.e164, phone.extension),)
    except NormalizationError:
        expected = ()
    assert parse_phones(raw) == expected


@pytest.mark.parametrize(
    "raw", ["Ivan.Petrov@Example.COM", "a..b@x.ru", ".a@x.ru", "a@-x.ru", "user@почта.рф", "a@x", "x_y%z+t@sub.x.io"]
)
def test_email_fast_path_agrees_with_normalize_email(raw: str) -> None:
    from leadflow.matching.normalize import NormalizationError, normalize_email
    from leadflow.matching.record import parse_emails

    try:
        expected: tuple[str, ...] = (normalize_email(raw),)
    except NormalizationError:
        expected = ()
    assert parse_emails(raw) == expected


@pytest.mark.parametrize(("one", "other"), [
    ("+7 916 333-44-55", "+7 916 333-44-56"),  # one digit typed wrong
    ("+7 916 333-44-55", "+7 916 333-45-45"),  # two neighbouring digits swapped
])
def test_the_same_name_with_a_mobile_one_digit_off_is_a_possible_duplicate(one: str, other: str) -> None:
    """Not the same person for sure (no automatic attach), but a manager must see the card before calling."""
    match = compare(R("1", name="Гвоздев Семён", phone=one), R("2", name="Гвоздев Семён", phone=other))
    assert LOWER_DEFAULT <= match.score < UPPER_DEFAULT, match
    assert "phones one digit apart (a typo?)" in match.reasons


def test_the_same_name_with_another_mobile_stays_below_a_possible_duplicate() -> None:
    match = _different(R("1", name="Гвоздев Семён", phone="+7 916 333-44-55"),
                       R("2", name="Гвоздев Семён", phone="+7 916 874-12-09"))
    assert "different phones" in match.reasons


def test_a_digit_off_with_another_name_is_not_a_duplicate() -> None:
    _different(R("1", name="Гвоздев Семён", phone="+7 916 333-44-55"),
               R("2", name="Орлова Мария", phone="+7 916 333-44-56"))


def test_a_digit_off_never_attaches_for_sure_even_when_the_city_agrees() -> None:
    match = compare(R("1", name="Гвоздев Семён Павлович", phone="+7 916 333-44-55", city="Москва"),
                    R("2", name="Гвоздев Семён Павлович", phone="+7 916 333-44-56", city="Москва"))
    assert LOWER_DEFAULT <= match.score < UPPER_DEFAULT, match


def test_a_name_in_the_other_order_names_each_reason_once() -> None:
    """The card's requests read "first name equal, first name equal, name parts in another order": swapped, both
    parts are compared as given names and each said so."""
    match = compare(R("1", first_name="John", last_name="Smith", email="john.smith@example.com"),
                    R("2", first_name="Smith", last_name="John", email="john.smith@example.com"))
    assert "name parts in another order" in match.reasons
    assert len(match.reasons) == len(set(match.reasons)), match.reasons
