import pytest
from django.utils import translation

from leadflow.matching.normalize import (
    CompanyName,
    NormalizationError,
    PersonName,
    Phone,
    normalize_email,
    normalize_phone,
    split_company,
    split_person_name,
)

# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (912) 345-67-89", Phone("+79123456789", "", "mobile")),
        ("+7 912 3456789", Phone("+79123456789", "", "mobile")),
        ("7 912 345 67 89", Phone("+79123456789", "", "mobile")),
        ("9123456789", Phone("+79123456789", "", "mobile")),
        ("  tel: +7 (912) 345-67-89;  ", Phone("+79123456789", "", "mobile")),
        ("+7 (912) 345-67-89 (моб.)", Phone("+79123456789", "", "mobile")),
        ("0044 7911 123456", Phone("+447911123456", "", "mobile")),
        ("00 44 7911 123456", Phone("+447911123456", "", "mobile")),
        ("8 10 44 7911 123456", Phone("+447911123456", "", "mobile")),
        ("+44 20 7946 0958", Phone("+442079460958", "", "fixed_line")),
        ("8 800 555-35-35", Phone("+78005553535", "", "toll_free")),
        ("+1 (650) 253-0000 ext. 12", Phone("+16502530000", "12", "fixed_line_or_mobile")),
    ],
)
def test_normalize_phone_gives_e164(raw: str, expected: Phone) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "+7 495 123-45-67 доб. 12",
        "+7 495 123-45-67 доб 12",
        "+7 495 123-45-67 ДОБ. 12",
        "+7 495 123-45-67 добавочный 12",
        "+7 495 123-45-67 вн. 12",
        "+7 495 123-45-67 доп. 12",
        "8 (495) 123-45-67доб.12",
        "+7 495 123-45-67 ext. 12",
        "+7 495 123-45-67 x12",
        "+7 495 123-45-67 #12",
        "+7 495 123-45-67, 12",
    ],
)
def test_normalize_phone_keeps_extension(raw: str) -> None:
    assert normalize_phone(raw) == Phone("+74951234567", "12", "fixed_line")


def test_normalize_phone_uses_region_for_national_numbers() -> None:
    assert normalize_phone("020 7946 0958", region="GB") == Phone("+442079460958", "", "fixed_line")


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("", "empty", "phone number is empty"),
        ("   ", "empty", "phone number is empty"),
        ("12", "too_short", "phone number has too few digits"),
        ("12345", "too_short", "phone number has too few digits"),
        ("+7 912 345 67 89 0", "too_long", "phone number has too many digits"),
        ("+7 000 000 00 00", "invalid_phone", "not a valid phone number"),
        ("abc", "invalid_phone", "not a phone number"),
        ("+999 123", "invalid_phone", "unknown country calling code"),
        ("+7 912 345 67 89, +7 913 000 00 00", "invalid_phone", "not a phone number"),
    ],
)
def test_normalize_phone_rejects(raw: str, code: str, message: str) -> None:
    with pytest.raises(NormalizationError) as error:
        normalize_phone(raw)
    assert error.value.code == code
    assert str(error.value) == message


def test_normalization_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="phone number is empty"):
        normalize_phone("")


# --- e-mail -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ivan@example.com", "ivan@example.com"),
        ("Ivan.Petrov@Example.COM", "ivan.petrov@example.com"),
        ("  ivan@mail.ru  ", "ivan@mail.ru"),
        ("<ivan@mail.ru>", "ivan@mail.ru"),
        (" < Ivan@Mail.RU > ", "ivan@mail.ru"),
        ("ivan+leads@sub.example.co.uk", "ivan+leads@sub.example.co.uk"),
        ("ivan@почта.рф", "ivan@почта.рф"),
        ("ivan@ПОЧТА.РФ", "ivan@почта.рф"),
        ("ivan@xn--80a1acny.xn--p1ai", "ivan@почта.рф"),
    ],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("", "empty", "e-mail address is empty"),
        ("  ", "empty", "e-mail address is empty"),
        ("<>", "empty", "e-mail address is empty"),
        ("plainaddress", "invalid_email", "an e-mail address must have an @-sign"),
        ("a@localhost", "invalid_email", "the part after the @-sign must be a domain name like example.com"),
        ("a@@b.ru", "invalid_email", "the part after the @-sign has characters a domain cannot have: '@'"),
        ("ivan petrov@mail.ru", "invalid_email",
         "the part before the @-sign has characters an address cannot have: space"),
        ("ivan@", "invalid_email", "there is nothing after the @-sign"),
        ("@mail.ru", "invalid_email", "there is nothing before the @-sign"),
        ("iv..an@mail.ru", "invalid_email",
         "a dot or a hyphen is out of place: at an end, next to the @-sign or next to another one"),
        ("a@example.local", "invalid_email", "the part after the @-sign is a reserved name, not a mail domain"),
    ],
)
def test_normalize_email_rejects(raw: str, code: str, message: str) -> None:
    with pytest.raises(NormalizationError) as error:
        normalize_email(raw)
    assert error.value.code == code
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ivan@@mail.ru", "после @ стоят символы, которых не бывает в домене: '@'"),
        ("ivan.mail.ru", "в адресе e-mail должен быть знак @"),
        ("ivan petrov@mail.ru", "до @ стоят символы, которых не бывает в адресе: пробел"),
    ],
)
def test_an_unreadable_email_is_explained_in_the_readers_language(raw: str, message: str) -> None:
    """A Russian form's visitor and a Russian manager read "The part after the @-sign contains invalid characters"
    (email_validator's English) inside a Russian sentence."""
    with pytest.raises(NormalizationError) as error:
        normalize_email(raw)
    with translation.override("ru"):
        assert str(error.value) == message


@pytest.mark.parametrize("raw", ["ivan@", "@mail.ru", "ivan@mail.", "ivan@-mail.ru"])
def test_normalize_email_rejects_broken_domains(raw: str) -> None:
    with pytest.raises(NormalizationError) as error:
        normalize_email(raw)
    assert error.value.code == "invalid_email"


# --- person names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Иванов Иван Иванович", PersonName("Иванов", "Иван", "Иванович")),
        ("Иван Иванович Иванов", PersonName("Иванов", "Иван", "Иванович")),
        ("Иванов, Иван Иванович", PersonName("Иванов", "Иван", "Иванович")),
        ("Иван Иванов", PersonName("Иванов", "Иван", "")),
        ("Иванов Иван", PersonName("Иванов", "Иван", "")),
        ("Иван", PersonName("", "Иван", "")),
        ("Иван Иванович", PersonName("", "Иван", "Иванович")),
        ("ИВАНОВ иван", PersonName("Иванов", "Иван", "")),
        ("иванов иван иванович", PersonName("Иванов", "Иван", "Иванович")),
        ("Кузнецова Анна Ильинична", PersonName("Кузнецова", "Анна", "Ильинична")),
        ("Мария Петровна Сидорова", PersonName("Сидорова", "Мария", "Петровна")),
        ("Лукин Пётр Фомич", PersonName("Лукин", "Пётр", "Фомич")),
        ("Семён Петрович Ёлкин", PersonName("Ёлкин", "Семён", "Петрович")),
        ("Хабибуллин Ринат", PersonName("Хабибуллин", "Ринат", "")),
        ("Петрович Иван", PersonName("Петрович", "Иван", "")),
        ("Бабич Иван Петрович", PersonName("Бабич", "Иван", "Петрович")),
        ("Анна Мария Иванова", PersonName("Иванова", "Анна", "Мария")),
        ("Белая Ольга", PersonName("Белая", "Ольга", "")),
        ("Шевченко Дима", PersonName("Шевченко", "Дима", "")),
    ],
)
def test_split_russian_name_in_any_order(raw: str, expected: PersonName) -> None:
    assert split_person_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Иванов И.И.", PersonName("Иванов", "И.", "И.")),
        ("Иванов И. И.", PersonName("Иванов", "И.", "И.")),
        ("И. И. Иванов", PersonName("Иванов", "И.", "И.")),
        ("И.И.Иванов", PersonName("Иванов", "И.", "И.")),
        ("Иванов и.и.", PersonName("Иванов", "И.", "И.")),
        ("Иванов И.", PersonName("Иванов", "И.", "")),
        ("Иванов Иван И.", PersonName("Иванов", "Иван", "И.")),
        ("И.", PersonName("", "И.", "")),
        # A given name with one initial is how people sign themselves: the initial is the surname's.
        ("Анна К", PersonName("К.", "Анна", "")),
        ("Анна К.", PersonName("К.", "Анна", "")),
        ("К. Анна", PersonName("К.", "Анна", "")),
        ("Olga K.", PersonName("K.", "Olga", "")),
        ("Анна К. П.", PersonName("", "Анна", "К. П.")),
        # ... unless the word is a surname of Russia's Korean families, which are also given names
        ("Ким А.", PersonName("Ким", "А.", "")),
        ("Ли В. С.", PersonName("Ли", "В.", "С.")),
    ],
)
def test_split_name_with_initials(raw: str, expected: PersonName) -> None:
    assert split_person_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "Римский-Корсаков Николай Андреевич",
            PersonName("Римский-Корсаков", "Николай", "Андреевич"),
        ),
        ("РИМСКИЙ-КОРСАКОВ николай", PersonName("Римский-Корсаков", "Николай", "")),
        ("анна-мария иванова", PersonName("Иванова", "Анна-Мария", "")),
        ("Мамедов Рашид Али оглы", PersonName("Мамедов", "Рашид", "Али оглы")),
        ("Рашид Али Оглы Мамедов", PersonName("Мамедов", "Рашид", "Али оглы")),
        ("Алиева Лейла Гасан кызы", PersonName("Алиева", "Лейла", "Гасан кызы")),
    ],
)
def test_split_compound_names(raw: str, expected: PersonName) -> None:
    assert split_person_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("John Smith", PersonName("Smith", "John", "")),
        ("Smith, John", PersonName("Smith", "John", "")),
        ("John A. Smith", PersonName("Smith", "John", "A.")),
        ("J. Smith", PersonName("Smith", "J.", "")),
        ("John Ronald Reuel Tolkien", PersonName("Tolkien", "John", "Ronald Reuel")),
        ("Mary-Jane O'Neil", PersonName("O'Neil", "Mary-Jane", "")),
        ("mary-jane o'neil", PersonName("O'Neil", "Mary-Jane", "")),
        ("JOHN SMITH", PersonName("Smith", "John", "")),
        ("Ronald McDonald", PersonName("McDonald", "Ronald", "")),
        ("Ludwig van Beethoven", PersonName("van Beethoven", "Ludwig", "")),
        ("Juan de la Cruz", PersonName("de la Cruz", "Juan", "")),
        ("Kevin Martin", PersonName("Martin", "Kevin", "")),
        ("Lev Tolstoy", PersonName("Tolstoy", "Lev", "")),
        ("Ivanov Ivan Ivanovich", PersonName("Ivanov", "Ivan", "Ivanovich")),
        ("Ivan Ivanovich Ivanov", PersonName("Ivanov", "Ivan", "Ivanovich")),
        ("Petrova Anna Sergeevna", PersonName("Petrova", "Anna", "Sergeevna")),
        ("Ivanov Ivan", PersonName("Ivanov", "Ivan", "")),
        ("Mamedov Rashid Ali ogly", PersonName("Mamedov", "Rashid", "Ali ogly")),
    ],
)
def test_split_latin_name(raw: str, expected: PersonName) -> None:
    assert split_person_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Саша", PersonName("", "Саша", "")),
        ("Иванов", PersonName("Иванов", "", "")),  # a lone Russian surname is the surname
        ("Zorro", PersonName("", "Zorro", "")),
        ("  «Иван»!  ", PersonName("", "Иван", "")),
        ('"Иван   Иванов".', PersonName("Иванов", "Иван", "")),
        ("Иван Иванов,", PersonName("Иванов", "Иван", "")),
        ("Иван - Иванов", PersonName("Иванов", "Иван", "")),
        ("", PersonName()),
        ("   ", PersonName()),
        ("«» ...", PersonName()),
    ],
)
def test_split_name_edge_cases(raw: str, expected: PersonName) -> None:
    assert split_person_name(raw) == expected


@pytest.mark.parametrize(
    ("name", "full"),
    [
        (PersonName("Иванов", "Иван", "Иванович"), "Иванов Иван Иванович"),
        (PersonName("Иванов", "Иван", ""), "Иванов Иван"),
        (PersonName("", "Иван", "Иванович"), "Иван Иванович"),
        (PersonName("Smith", "John", "A."), "John A. Smith"),
        (PersonName("Ivanov", "Ivan", "Ivanovich"), "Ivan Ivanovich Ivanov"),
        (PersonName("Smith", "", ""), "Smith"),
        (PersonName(), ""),
    ],
)
def test_person_name_full(name: PersonName, full: str) -> None:
    assert name.full == full


def test_person_name_full_of_split_russian_name_is_fio_order() -> None:
    assert split_person_name("Иван Иванович Иванов").full == "Иванов Иван Иванович"


@pytest.mark.parametrize(
    ("name", "is_empty"),
    [(PersonName(), True), (PersonName(first="Иван"), False), (PersonName(last="Smith"), False)],
)
def test_person_name_is_empty(name: PersonName, is_empty: bool) -> None:
    assert name.is_empty is is_empty


# --- company names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ООО «Ромашка»", CompanyName("Ромашка", "ООО")),
        ('ооо "ромашка"', CompanyName("ромашка", "ООО")),
        ("ООО Ромашка", CompanyName("Ромашка", "ООО")),
        ('ООО"Ромашка"', CompanyName("Ромашка", "ООО")),
        ("«ООО Ромашка»", CompanyName("Ромашка", "ООО")),
        ("Ромашка ООО", CompanyName("Ромашка", "ООО")),
        ("«Ромашка», ООО", CompanyName("Ромашка", "ООО")),
        ("OOO Romashka", CompanyName("Romashka", "ООО")),
        ("Общество с ограниченной ответственностью «Ромашка»", CompanyName("Ромашка", "ООО")),
        ("ОБЩЕСТВО С ОГРАНИЧЕННОЙ  ОТВЕТСТВЕННОСТЬЮ Ромашка", CompanyName("Ромашка", "ООО")),
        ("Акционерное общество «Тинькофф Банк»", CompanyName("Тинькофф Банк", "АО")),
        ("ао «Тинькофф Банк»", CompanyName("Тинькофф Банк", "АО")),
        ('Публичное акционерное общество "Сбербанк России"', CompanyName("Сбербанк России", "ПАО")),
        ("ПАО Сбербанк", CompanyName("Сбербанк", "ПАО")),
        ("Закрытое акционерное общество «Альфа»", CompanyName("Альфа", "ЗАО")),
        ("ОАО «РЖД»", CompanyName("РЖД", "ОАО")),
        ("Индивидуальный предприниматель Иванов И.И.", CompanyName("Иванов И.И.", "ИП")),
        ("ИП Иванов Иван Иванович", CompanyName("Иванов Иван Иванович", "ИП")),
        ("НКО «Фонд»", CompanyName("Фонд", "НКО")),
        ("Акционерное общество «Завод «Прогресс»»", CompanyName("Завод «Прогресс»", "АО")),
    ],
)
def test_split_russian_company(raw: str, expected: CompanyName) -> None:
    assert split_company(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"Romashka" LLC', CompanyName("Romashka", "LLC")),
        ("Romashka, LLC", CompanyName("Romashka", "LLC")),
        ("Romashka L.L.C.", CompanyName("Romashka", "LLC")),
        ("Limited Liability Company Foo", CompanyName("Foo", "LLC")),
        ("Romashka Ltd.", CompanyName("Romashka", "Ltd")),
        ("Romashka Limited", CompanyName("Romashka", "Ltd")),
        ("Foo Inc.", CompanyName("Foo", "Inc")),
        ("Foo, Inc.", CompanyName("Foo", "Inc")),
        ("Apple inc", CompanyName("Apple", "Inc")),
        ("McDonald's Corporation", CompanyName("McDonald's", "Corp")),
        ("Foo GmbH", CompanyName("Foo", "GmbH")),
        ("Foo LLP", CompanyName("Foo", "LLP")),
        ("Foo plc", CompanyName("Foo", "PLC")),
    ],
)
def test_split_foreign_company(raw: str, expected: CompanyName) -> None:
    assert split_company(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", CompanyName("", "")),
        ("   ", CompanyName("", "")),
        ("Яндекс", CompanyName("Яндекс", "")),
        ("  «Яндекс»  ", CompanyName("Яндекс", "")),
        ("Aoki Trading", CompanyName("Aoki Trading", "")),
        ("Ипподром", CompanyName("Ипподром", "")),
        ("Incom Group", CompanyName("Incom Group", "")),
        ('"Foo" "Bar"', CompanyName('"Foo" "Bar"', "")),
        ("Ромашка»", CompanyName("Ромашка", "")),
        ("ООО", CompanyName("", "ООО")),
    ],
)
def test_split_company_edge_cases(raw: str, expected: CompanyName) -> None:
    assert split_company(raw) == expected


@pytest.mark.parametrize(
    ("company", "display"),
    [
        (CompanyName("Ромашка", "ООО"), "ООО «Ромашка»"),
        (CompanyName("Тинькофф Банк", "АО"), "АО «Тинькофф Банк»"),
        (CompanyName("Иванов И.И.", "ИП"), "ИП Иванов И.И."),
        (CompanyName("Romashka", "LLC"), "Romashka LLC"),
        (CompanyName("Foo", "GmbH"), "Foo GmbH"),
        (CompanyName("Яндекс", ""), "Яндекс"),
        (CompanyName("", "ООО"), "ООО"),
        (CompanyName("", ""), ""),
    ],
)
def test_company_display(company: CompanyName, display: str) -> None:
    assert company.display == display


def test_company_display_of_split_name() -> None:
    assert split_company('ооо "Ромашка"').display == "ООО «Ромашка»"
