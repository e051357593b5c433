"""Messy input as real Russian and English users type it: what normalisation makes of it.

Each row is one thing people type and what a sales manager needs Leadflow to make of it. The rows
complement test_normalize.py (which pins the common notations) with the spellings found when the
intake was reviewed on real-world input: several contacts in one field, words around a number,
mail-client display names, titles and job titles around a name, the many quote styles of company names.
"""

import pytest

from leadflow.matching.compare import compare
from leadflow.matching.normalize import (
    CompanyName,
    NormalizationError,
    PersonName,
    Phone,
    contacts_in_name,
    email_suggestion,
    is_placeholder,
    is_role_mailbox,
    looks_like_company,
    normalize_email,
    normalize_emails,
    normalize_phone,
    normalize_phones,
    person_name_from_parts,
    phone_text,
    split_company,
    split_person_name,
    split_phone_text,
)
from leadflow.matching.record import Record, is_mobile, parse_emails, parse_phones

MOBILE = Phone("+79123456789", "", "mobile")
OFFICE = Phone("+74951234567", "", "fixed_line")

# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        # Russian notations of one mobile
        ("8 (912) 345-67-89", "RU", MOBILE),
        ("+7 912 345 67 89", "RU", MOBILE),
        ("7 912 3456789", "RU", MOBILE),
        ("89123456789", "RU", MOBILE),
        ("9123456789", "RU", MOBILE),
        # pasted from a spreadsheet or a document: tabs, no-break spaces, full-width digits, dashes
        ("+7\t912\t345 67 89", "RU", MOBILE),
        ("+7\u00a0912\u00a0345\u00a067\u00a089", "RU", MOBILE),
        ("+７ ９１２ ３４５ ６７ ８９", "RU", MOBILE),
        ("+7 912 345–67–89", "RU", MOBILE),
        # a phone column a spreadsheet took for numbers, exported as floats
        ("79123456789.0", "RU", MOBILE),
        ("89123456789.0", "RU", MOBILE),
        ("79123456789,0", "RU", MOBILE),
        # a word after the number: phonenumbers would read Latin letters as keypad digits
        ("+7 912 345 67 89 whatsapp", "RU", MOBILE),
        ("+7 912 345 67 89 (WhatsApp, Telegram)", "RU", MOBILE),
        ("+7 912 345 67 89 mobile", "RU", MOBILE),
        # the trunk prefix 8 typed with a plus
        ("+8 912 345 67 89", "RU", MOBILE),
        ("+89123456789", "RU", MOBILE),
        # extensions in every spelling
        ("+7 (495) 123-45-67 доб. 123", "RU", Phone("+74951234567", "123", "fixed_line")),
        ("+7 495 123-45-67 ext. 45", "RU", Phone("+74951234567", "45", "fixed_line")),
        ("+7 495 123-45-67 #45", "RU", Phone("+74951234567", "45", "fixed_line")),
        ("+7 495 123-45-67 x45", "RU", Phone("+74951234567", "45", "fixed_line")),
        ("+7 495 123-45-67 доб.45", "RU", Phone("+74951234567", "45", "fixed_line")),
        ("+7 495 123-45-67 (доб. 45)", "RU", Phone("+74951234567", "45", "fixed_line")),
        # an extension's digits typed in groups are one extension
        ("+7 495 123-45-67 доб. 1234", "RU", Phone("+74951234567", "1234", "fixed_line")),
        ("+7 495 123-45-67 доб 12 34", "RU", Phone("+74951234567", "1234", "fixed_line")),
        ("8 (495) 123-45-67 (доб. 12 34)", "RU", Phone("+74951234567", "1234", "fixed_line")),
        ("+7 495 123-45-67 ext 12-34", "RU", Phone("+74951234567", "1234", "fixed_line")),
        ("+7 495 123-45-67 x 12 34", "RU", Phone("+74951234567", "1234", "fixed_line")),
        ("+7 495 123-45-67 ext. 12", "RU", Phone("+74951234567", "12", "fixed_line")),
        ("+7 495 123-45-67 #12", "RU", Phone("+74951234567", "12", "fixed_line")),
        ("+7 495 123-45-67 x12", "RU", Phone("+74951234567", "12", "fixed_line")),
        ("+7 495 123-45-67 вн. 12", "RU", Phone("+74951234567", "12", "fixed_line")),
        # neighbours sharing +7 and the 8 trunk prefix, and other CIS countries
        ("+7 701 234 56 78", "RU", Phone("+77012345678", "", "mobile")),  # Kazakhstan
        ("8 701 234 56 78", "KZ", Phone("+77012345678", "", "mobile")),
        ("+375 29 123-45-67", "RU", Phone("+375291234567", "", "mobile")),  # Belarus
        ("8 029 123 45 67", "BY", Phone("+375291234567", "", "mobile")),
        ("+380 50 123 4567", "RU", Phone("+380501234567", "", "mobile")),  # Ukraine
        # foreign numbers with a foreign default region, and 00 as the international prefix
        ("020 7946 0958", "GB", Phone("+442079460958", "", "fixed_line")),
        ("(650) 253-0000", "US", Phone("+16502530000", "", "fixed_line_or_mobile")),
        ("0151 23456789", "DE", Phone("+4915123456789", "", "mobile")),
        ("0049 30 123456", "RU", Phone("+4930123456", "", "fixed_line")),
        ("+7 912 345 67 89", "DE", MOBILE),
        # a real +8x country code is never rewritten
        ("+81 3 1234 5678", "RU", Phone("+81312345678", "", "fixed_line")),
    ],
)
def test_phone_as_people_type_it(raw: str, region: str, expected: Phone) -> None:
    assert normalize_phone(raw, region=region) == expected
    assert normalize_phones(raw, region=region) == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+7 912 345-67-89, +7 495 123-45-67", [MOBILE, OFFICE]),
        ("+7 912 345-67-89; 8 495 123 45 67 доб. 12", [MOBILE, Phone("+74951234567", "12", "fixed_line")]),
        ("+7 912 345-67-89 / 8 (495) 123-45-67", [MOBILE, OFFICE]),
        ("+7 912 345-67-89 или +7 495 123-45-67", [MOBILE, OFFICE]),
        ("+7 912 345 67 89\n+7 495 123 45 67", [MOBILE, OFFICE]),
        ("89123456789 84951234567", [MOBILE, OFFICE]),
        ("8 912 345 67 89, 8 (912) 345-67-89", [MOBILE]),  # the same number twice is one
    ],
)
def test_several_phones_in_one_field_are_all_kept(raw: str, expected: list[Phone]) -> None:
    assert normalize_phones(raw) == expected
    # a single-number reader refuses the field instead of silently taking a part of it
    with pytest.raises(NormalizationError):
        normalize_phone(raw)
    # the batch reader (imports, de-duplication) finds the same numbers
    assert list(parse_phones(raw)) == [(phone.e164, phone.extension) for phone in expected]


SHORTENED = ("a spreadsheet shortened this number (like 7.91234E+10) and its last digits are lost: "
             "format the column as text and export it again")


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("+7 912 345 67 89 12 34", "invalid_phone", "not a valid phone number"),  # stray digits: not read in part
        ("+7 912 345 67 89, 12 34 56 78", "invalid_phone", "not a phone number"),
        ("8 912 345 67 8a", "invalid_phone", "not a valid phone number"),
        ("телефон", "invalid_phone", "not a phone number"),
        # a spreadsheet's exponent notation has lost the last digits: refused, never read as another number
        ("7.91234E+10", "invalid_phone", SHORTENED),
        ("7,91235E+10", "invalid_phone", SHORTENED),
        ("8.9123E+10", "invalid_phone", SHORTENED),
        ("79123456789.5", "too_long", "phone number has too many digits"),  # not a float of a whole number
        ("912", "too_short", "phone number has too few digits"),
        ("１２３", "too_short", "phone number has too few digits"),
        # the trunk prefix, a country code or an area code in brackets: a full number was meant, digits are missing
        ("8 (912) 345", "too_short", "phone number has too few digits"),
        ("+7 (912) 345", "too_short", "phone number has too few digits"),
        ("8 912 345", "too_short", "phone number has too few digits"),
        ("8 (912) 345-67", "too_short", "phone number has too few digits"),
        ("123-45-67", "invalid_phone", "phone number has no area code"),  # a city number typed without its code
        ("+7 912 345 67 89 0", "too_long", "phone number has too many digits"),
        ("8 912 345 67 89 1", "too_long", "phone number has too many digits"),
        ("8912345678901234", "too_long", "phone number has too many digits"),
        # the number reads, its extension does not: never dropped in silence
        ("+7 495 123-45-67 доб. двенадцать", "invalid_extension",
         "phone extension is unclear: write its digits after “доб.” or “ext.”"),
        ("+7 495 123-45-67 доб. 12/13", "invalid_extension",
         "phone extension is unclear: write its digits after “доб.” or “ext.”"),
        ("+7 495 123-45-67 ext. twelve", "invalid_extension",
         "phone extension is unclear: write its digits after “доб.” or “ext.”"),
        ("+7 495 123-45-67 доб. 12, 13", "invalid_extension",  # two extensions: which one?
         "phone extension is unclear: write its digits after “доб.” or “ext.”"),
        ("+7 495 123-45-67 доб. 12 или 13", "invalid_extension",
         "phone extension is unclear: write its digits after “доб.” or “ext.”"),
        ("+999 123 456", "invalid_phone", "unknown country calling code"),
        ("8 011 123 45 67", "invalid_phone", "not a valid phone number"),  # 8 0XX read as Belarusian, 011 no code there
    ],
)
def test_unreadable_phones_are_a_field_error_not_a_guess(raw: str, code: str, message: str) -> None:
    with pytest.raises(NormalizationError) as error:
        normalize_phones(raw)
    assert (error.value.code, str(error.value)) == (code, message)


@pytest.mark.parametrize(
    ("raw", "placeholder"),
    [
        ("-", True), ("—", True), ("–", True), ("...", True), ("---", True), (" - ", True), ("?", True),
        ("нет", True), ("Нет.", True), ("НЕТ", True), ("нету", True), ("no", True), ("No", True), ("n/a", True),
        ("N/A", True), ("none", True), ("отсутствует", True), ("не указан", True), ("Не указано", True),
        ("0", True), ("000", True), ("+0", True), ("0 000 000", True),
        # real input, readable or not, is not a placeholder: the reader decides
        ("", False), ("abc", False), ("12", False), ("100", False), ("+7 912 345 67 89", False),
        ("ivan@mail.ru", False), ("нет, пишите на почту", False), ("Анна", False),
    ],
)
def test_placeholders_for_an_empty_contact(raw: str, placeholder: bool) -> None:
    assert is_placeholder(raw) is placeholder


def test_phone_text_round_trip() -> None:
    office = Phone("+74951234567", "12", "fixed_line")
    assert phone_text(office) == "+74951234567 ext. 12"
    assert split_phone_text(phone_text(office)) == ("+74951234567", "12")
    assert split_phone_text(phone_text(MOBILE)) == ("+79123456789", "")


# --- e-mail -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("IVAN@MAIL.RU", "ivan@mail.ru"),
        ("  ivan@mail.ru\u00a0", "ivan@mail.ru"),
        ("Иван <ivan@mail.ru>", "ivan@mail.ru"),
        ("Ivan Petrov <Ivan.Petrov@Mail.ru>", "ivan.petrov@mail.ru"),
        ('"Петров, Иван" <ivan@mail.ru>', "ivan@mail.ru"),
        ("ivan@mail.ru.", "ivan@mail.ru"),
        ("ivan@mail.ru;", "ivan@mail.ru"),
        ("«ivan@mail.ru»", "ivan@mail.ru"),
        ("mailto:ivan@mail.ru", "ivan@mail.ru"),
        ("MAILTO:ivan@mail.ru?subject=Заявка", "ivan@mail.ru"),
        ("ivan@mail.ru (Иван, бухгалтерия)", "ivan@mail.ru"),
        ("ｉｖａｎ@ｍａｉｌ.ｒｕ", "ivan@mail.ru"),
        ("ivan@пример.рф", "ivan@пример.рф"),
        ("ivan@ПРИМЕР.РФ", "ivan@пример.рф"),
        # kept as typed: aliases and tags are matching's business (canonical_email), never the stored address
        ("Ivan.Petrov+crm@gmail.com", "ivan.petrov+crm@gmail.com"),
        ("ivan@ya.ru", "ivan@ya.ru"),
        # a typo in a real-looking domain is not ours to guess (see the report for the founders)
        ("ivan@gmail.con", "ivan@gmail.con"),
    ],
)
def test_email_as_people_type_it(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected
    assert normalize_emails(raw) == [expected]
    assert parse_emails(raw) == (expected,)


@pytest.mark.parametrize("raw", ["ivan@mail .ru", "ivan@mail. ru", "ivan @ mail . ru"])
def test_a_phone_keyboards_space_next_to_a_dot_of_the_domain_is_read_past(raw: str) -> None:
    # as next to the @ (round seven): a domain has no space; the intake's field readers read the address
    assert normalize_email(raw) == "ivan@mail.ru" and normalize_emails(raw) == ["ivan@mail.ru"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ivan@mail.ru, ivan@romashka.ru", ["ivan@mail.ru", "ivan@romashka.ru"]),
        ("ivan@mail.ru;ivan@romashka.ru", ["ivan@mail.ru", "ivan@romashka.ru"]),
        ("ivan@mail.ru ivan@romashka.ru", ["ivan@mail.ru", "ivan@romashka.ru"]),
        ("Ivan@Mail.ru, ivan@mail.ru", ["ivan@mail.ru"]),
    ],
)
def test_several_emails_in_one_field_are_all_kept(raw: str, expected: list[str]) -> None:
    assert normalize_emails(raw) == expected
    with pytest.raises(NormalizationError):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        # DOMAIN.md 2: the mailbox part is Latin
        ("почта@пример.рф", "the part before the @-sign must be in Latin letters"),
        ("ivan@mail.r", "the part after the @-sign must be a domain name like example.com"),  # no 1-letter TLD
        ("ivan@mail ru", "the part after the @-sign has characters a domain cannot have: space"),
        ("ivan@mail.ru, petr", "the part after the @-sign has characters a domain cannot have"),  # not read in part
        ("Иван <>", "e-mail address is empty"),
        # a Cyrillic letter typed in a Latin domain (keyboard layout): another, unregistrable domain
        ("ivan@m\u0430il.ru", "the domain mixes Latin and Cyrillic letters: check the keyboard layout"),
        ("ivan@mail.\u0440\u0443", "the domain mixes Latin and Cyrillic letters: check the keyboard layout"),
    ],
)
def test_unreadable_emails_are_a_field_error(raw: str, message: str) -> None:
    with pytest.raises(NormalizationError) as error:
        normalize_emails(raw)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("email", "suggestion"),
    [
        # a slip in a consumer mail domain: suggested, never corrected in silence
        ("ivan@gmail.con", "ivan@gmail.com"),
        ("ivan@gmail.comm", "ivan@gmail.com"),
        ("ivan@gmail.co", "ivan@gmail.com"),
        ("ivan@gmial.com", "ivan@gmail.com"),
        ("ivan@gmal.com", "ivan@gmail.com"),
        ("ivan@mail.ry", "ivan@mail.ru"),
        ("ivan@maill.ru", "ivan@mail.ru"),
        ("ivan@mial.ru", "ivan@mail.ru"),
        ("ivan@yandex.ri", "ivan@yandex.ru"),
        ("ivan@yaandex.ru", "ivan@yandex.ru"),
        ("ivan@ya.ry", "ivan@ya.ru"),
        ("ivan@bk.ry", "ivan@bk.ru"),
        ("ivan@inbx.ru", "ivan@inbox.ru"),
        ("ivan@lisst.ru", "ivan@list.ru"),
        ("ivan@ramber.ru", "ivan@rambler.ru"),
        ("ivan@hotmial.com", "ivan@hotmail.com"),
        ("ivan@outlok.com", "ivan@outlook.com"),
        ("ivan@iclod.com", "ivan@icloud.com"),
        ("ivan@yahooo.com", "ivan@yahoo.com"),
        # the services themselves, their other real domains, and company domains
        ("ivan@gmail.com", ""),
        ("ivan@yandex.com", ""),
        ("ivan@yandex.by", ""),
        ("ivan@mail.com", ""),
        ("ivan@yahoo.co.uk", ""),
        ("ivan@gmail.ru", ""),  # another service's name under .ru is not "mail.ru" with a slip
        ("ivan@romashka.ru", ""),
        # one changed letter in a short name is another real domain: mai.ru (an institute), bc.ru, last.ru
        ("ivan@mai.ru", ""),
        ("ivan@bc.ru", ""),
        ("ivan@last.ru", ""),
        ("ivan@mall.ru", ""),
    ],
)
def test_email_domain_typos_are_suggested(email: str, suggestion: str) -> None:
    assert email_suggestion(normalize_email(email)) == suggestion
    assert normalize_email(email) == email  # the address itself is taken as typed


@pytest.mark.parametrize(
    ("email", "role"),
    [
        ("info@romashka.ru", True),
        ("sales@romashka.ru", True),
        ("zakaz+site@romashka.ru", True),
        ("ivan@romashka.ru", False),
        ("information.ivan@romashka.ru", False),
    ],
)
def test_role_mailboxes(email: str, role: bool) -> None:
    assert is_role_mailbox(email) is role


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Иванов Иван Иванович", PersonName("Иванов", "Иван", "Иванович")),
        ("Иван Иванович Иванов", PersonName("Иванов", "Иван", "Иванович")),
        ("ИВАНОВ ИВАН", PersonName("Иванов", "Иван", "")),
        ("Иванов-Петров Иван", PersonName("Иванов-Петров", "Иван", "")),
        ("Мамедов Рашид Али оглы", PersonName("Мамедов", "Рашид", "Али оглы")),
        ("Анна-Мария", PersonName("", "Анна-Мария", "")),
        # one word: a given name, unless it is a Russian surname ("Петров") and no known given name
        ("Иван", PersonName("", "Иван", "")),
        ("Петров", PersonName("Петров", "", "")),
        ("СМИРНОВА", PersonName("Смирнова", "", "")),
        ("Шевченко", PersonName("Шевченко", "", "")),
        ("Достоевский", PersonName("Достоевский", "", "")),
        ("Людмила", PersonName("", "Людмила", "")),  # ends like nothing of a surname: a given name
        ("Smith", PersonName("", "Smith", "")),  # Latin: cannot tell, the given name as before
        # Ким is in the list of given names, but next to another given name it is the surname
        ("Ким Ольга", PersonName("Ким", "Ольга", "")),
        ("Ольга Ким", PersonName("Ким", "Ольга", "")),
        ("Ким Сергей Александрович", PersonName("Ким", "Сергей", "Александрович")),
        ("Ли Мария", PersonName("Ли", "Мария", "")),
        ("Ким", PersonName("", "Ким", "")),  # alone: a given name, as before
        ("  Иванов ,  Иван  Иванович ,", PersonName("Иванов", "Иван", "Иванович")),
        # a form of address is not a given name
        ("Dr. John Smith", PersonName("Smith", "John", "")),
        ("Mr John Smith", PersonName("Smith", "John", "")),
        ("Mrs. Jane Doe", PersonName("Doe", "Jane", "")),
        ("г-жа Иванова Мария", PersonName("Иванова", "Мария", "")),
        ("Господин Иван Петров", PersonName("Петров", "Иван", "")),
        # a generational suffix stays after the surname, it is not the surname
        ("John Smith Jr.", PersonName("Smith Jr.", "John", "")),
        ("John Smith, Jr.", PersonName("Smith Jr.", "John", "")),
        ("John Smith III", PersonName("Smith III", "John", "")),
        # a remark in brackets, a job title or a department is not part of the name
        ("Иванов Иван (менеджер)", PersonName("Иванов", "Иван", "")),
        ("Анна (бухгалтерия)", PersonName("", "Анна", "")),
        ("Петров Иван Сергеевич, директор", PersonName("Петров", "Иван", "Сергеевич")),
        ("Менеджер Анна", PersonName("", "Анна", "")),
        ("Sales manager John Smith", PersonName("Smith", "John", "")),
        # contacts typed into the name field are not part of the name
        ("Иван +7 912 345-67-89", PersonName("", "Иван", "")),
        ("Иванов Иван 89123456789", PersonName("Иванов", "Иван", "")),
        ("Ivan Ivanov ivan@mail.ru", PersonName("Ivanov", "Ivan", "")),
        # a sole trader is a person: the name is the one after "ИП"
        ("ИП Иванов Иван", PersonName("Иванов", "Иван", "")),
        ("Индивидуальный предприниматель Петров П.П.", PersonName("Петров", "П.", "П.")),
        ("Ип Ман", PersonName("Ман", "Ип", "")),  # not in capitals: a person's name
        # "тов." (comrade) is a form of address, not the Ukrainian legal form ТОВ
        ("тов. Иванов Иван", PersonName("Иванов", "Иван", "")),
    ],
)
def test_person_name_as_people_type_it(raw: str, expected: PersonName) -> None:
    assert split_person_name(raw) == expected


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (dict(first="ИВАН", last="иванов"), PersonName("Иванов", "Иван", "")),
        (dict(first=" Иван ", last="Иванов,", middle="Иванович."), PersonName("Иванов", "Иван", "Иванович")),
        # the whole name typed into one field of a form that asks for parts
        (dict(first="Иванов Иван Иванович"), PersonName("Иванов", "Иван", "Иванович")),
        (dict(last="Иван Иванов"), PersonName("Иванов", "Иван", "")),
        (dict(first="Иван"), PersonName("", "Иван", "")),
        # what the parts say is kept: initials, compound names, particles, Turkic patronymics, suffixes
        (dict(first="Иван", last="Иванов", middle="И.И."), PersonName("Иванов", "Иван", "И. И.")),
        (dict(first="mary-jane", last="o'neil"), PersonName("O'Neil", "Mary-Jane", "")),
        (dict(first="Ronald", last="McDonald"), PersonName("McDonald", "Ronald", "")),
        (dict(first="Ludwig", last="van Beethoven"), PersonName("van Beethoven", "Ludwig", "")),
        (dict(first="Рашид", last="Мамедов", middle="Али оглы"), PersonName("Мамедов", "Рашид", "Али оглы")),
        (dict(first="John", last="Smith Jr."), PersonName("Smith Jr.", "John", "")),
        (dict(first="Анна", last="«Иванова»"), PersonName("Иванова", "Анна", "")),
        # text that is no name at all is kept as typed, not rewritten into something that looks like one
        (dict(first="<b>Иван</b> Иванов"), PersonName("", "<b>Иван</b> Иванов", "")),
        (dict(first="Иван", last="Иванов 2"), PersonName("Иванов 2", "Иван", "")),
    ],
)
def test_person_name_given_in_parts(parts: dict, expected: PersonName) -> None:
    assert person_name_from_parts(**parts) == expected


@pytest.mark.parametrize(
    "raw",
    [
        'ООО "Ромашка"',
        "ООО Ромашка",
        "ооо ромашка",
        "Ромашка, ООО",
        "АО «Тинькофф Банк»",
        "Romashka LLC",
        "Romashka Ltd.",
        "Генеральный директор",
        "Отдел продаж",
        "Sales department",
    ],
)
def test_a_company_or_a_job_title_in_the_name_field_is_nobody(raw: str) -> None:
    assert split_person_name(raw).is_empty


@pytest.mark.parametrize(
    ("raw", "company"),
    [
        ('ООО "Ромашка"', True),
        ("Общество с ограниченной ответственностью «Ромашка»", True),
        ("Romashka GmbH", True),
        ("АО Ромашка", True),
        ("ИП Иванов Иван Иванович", False),  # a sole trader is a person
        ("Ли Ао", False),  # a two-letter form only counts in capitals or quotes
        ("Иванов Иван", False),
        ("ООО", False),  # a form alone names nobody
    ],
)
def test_looks_like_company(raw: str, company: bool) -> None:
    assert looks_like_company(raw) is company


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        ("Иван +7 912 345-67-89", ["+7 912 345-67-89"]),
        ("Иван, 8(912)3456789, ivan@mail.ru", ["8(912)3456789", "ivan@mail.ru"]),
        ("Иван Иванов", []),
        ("Иванов И.И.", []),
    ],
)
def test_contacts_in_name(raw: str, found: list[str]) -> None:
    assert contacts_in_name(raw) == found


# --- companies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "display"),
    [
        ('ООО "Ромашка"', CompanyName("Ромашка", "ООО"), "ООО «Ромашка»"),
        ("ООО „Ромашка“", CompanyName("Ромашка", "ООО"), "ООО «Ромашка»"),
        ("ООО “Ромашка”", CompanyName("Ромашка", "ООО"), "ООО «Ромашка»"),
        ("ООО ”Ромашка”", CompanyName("Ромашка", "ООО"), "ООО «Ромашка»"),  # Word's right quote on both sides
        ("ООО ‚Ромашка‘", CompanyName("Ромашка", "ООО"), "ООО «Ромашка»"),
        ("ООО ‹Ромашка›", CompanyName("Ромашка", "ООО"), "ООО «Ромашка»"),
        ("ООО »Ромашка«", CompanyName("Ромашка", "ООО"), "ООО «Ромашка»"),
        ("ООО 'Ромашка'", CompanyName("Ромашка", "ООО"), "ООО «Ромашка»"),
        ("Ромашка, ООО", CompanyName("Ромашка", "ООО"), "ООО «Ромашка»"),
        ("ЗАО Ромашка", CompanyName("Ромашка", "ЗАО"), "ЗАО «Ромашка»"),
        ("ПАО «Ромашка»", CompanyName("Ромашка", "ПАО"), "ПАО «Ромашка»"),
        ("НКО Ромашка", CompanyName("Ромашка", "НКО"), "НКО «Ромашка»"),
        # a sole trader's name is a person's: capitals fixed, never quoted
        ("ип иванов и.и.", CompanyName("Иванов И.И.", "ИП"), "ИП Иванов И.И."),
        ("ИП ИВАНОВ ИВАН ИВАНОВИЧ", CompanyName("Иванов Иван Иванович", "ИП"), "ИП Иванов Иван Иванович"),
        # a name with its own quoted part and a remark after it is not quoted a second time
        ("ООО «Ромашка» (Москва)", CompanyName("«Ромашка» (Москва)", "ООО"), "ООО «Ромашка» (Москва)"),
        ("Romashka Inc.", CompanyName("Romashka", "Inc"), "Romashka Inc"),
        ("romashka gmbh", CompanyName("romashka", "GmbH"), "romashka GmbH"),
        # Russian state and municipal institutions, partnerships, farms
        ("ГБУ «Жилищник района Арбат»", CompanyName("Жилищник района Арбат", "ГБУ"), "ГБУ «Жилищник района Арбат»"),
        ("ФГБУ «НМИЦ онкологии»", CompanyName("НМИЦ онкологии", "ФГБУ"), "ФГБУ «НМИЦ онкологии»"),
        ("МБУ Ромашка", CompanyName("Ромашка", "МБУ"), "МБУ «Ромашка»"),
        ("МАУ «Ромашка»", CompanyName("Ромашка", "МАУ"), "МАУ «Ромашка»"),
        ("ГАУ Ромашка", CompanyName("Ромашка", "ГАУ"), "ГАУ «Ромашка»"),
        ("ФГБОУ ВО «МГУ»", CompanyName("МГУ", "ФГБОУ ВО"), "ФГБОУ ВО «МГУ»"),
        ("ФГБОУ  ВО МГТУ им. Баумана", CompanyName("МГТУ им. Баумана", "ФГБОУ ВО"), "ФГБОУ ВО «МГТУ им. Баумана»"),
        ("МБОУ «СОШ № 5»", CompanyName("СОШ № 5", "МБОУ"), "МБОУ «СОШ № 5»"),
        ("МБДОУ Детский сад № 7", CompanyName("Детский сад № 7", "МБДОУ"), "МБДОУ «Детский сад № 7»"),
        ("ГБУЗ «ГКБ № 1»", CompanyName("ГКБ № 1", "ГБУЗ"), "ГБУЗ «ГКБ № 1»"),
        ("государственное бюджетное учреждение «Ромашка»", CompanyName("Ромашка", "ГБУ"), "ГБУ «Ромашка»"),
        ("ГУП «Мосгортранс»", CompanyName("Мосгортранс", "ГУП"), "ГУП «Мосгортранс»"),
        ("МУП Водоканал", CompanyName("Водоканал", "МУП"), "МУП «Водоканал»"),
        ("ФГУП «Почта России»", CompanyName("Почта России", "ФГУП"), "ФГУП «Почта России»"),
        ("АНО «Ромашка»", CompanyName("Ромашка", "АНО"), "АНО «Ромашка»"),
        ("ТСЖ «Ромашка»", CompanyName("Ромашка", "ТСЖ"), "ТСЖ «Ромашка»"),
        ("СНТ Ромашка", CompanyName("Ромашка", "СНТ"), "СНТ «Ромашка»"),
        ("НАО Ромашка", CompanyName("Ромашка", "НАО"), "НАО «Ромашка»"),
        ("ОАО «Ромашка»", CompanyName("Ромашка", "ОАО"), "ОАО «Ромашка»"),
        ("КФХ «Ромашка»", CompanyName("Ромашка", "КФХ"), "КФХ «Ромашка»"),
        # Ukraine and Belarus
        ("ТОВ «Ромашка»", CompanyName("Ромашка", "ТОВ"), "ТОВ «Ромашка»"),
        ("ПП Ромашка", CompanyName("Ромашка", "ПП"), "ПП «Ромашка»"),
        ("ЧУП «Ромашка»", CompanyName("Ромашка", "ЧУП"), "ЧУП «Ромашка»"),
        ("ОДО «Ромашка»", CompanyName("Ромашка", "ОДО"), "ОДО «Ромашка»"),
        ("УП «Минскводоканал»", CompanyName("Минскводоканал", "УП"), "УП «Минскводоканал»"),
        # other countries' forms after the name
        ("Romashka S.A.", CompanyName("Romashka", "S.A."), "Romashka S.A."),
        ("Romashka SA", CompanyName("Romashka", "S.A."), "Romashka S.A."),
        ("Romashka B.V.", CompanyName("Romashka", "B.V."), "Romashka B.V."),
        ("Romashka N.V.", CompanyName("Romashka", "N.V."), "Romashka N.V."),
        ("Romashka OÜ", CompanyName("Romashka", "OÜ"), "Romashka OÜ"),
        ("Romashka AB", CompanyName("Romashka", "AB"), "Romashka AB"),
        ("Romashka AS", CompanyName("Romashka", "AS"), "Romashka AS"),
        ("Romashka Oy", CompanyName("Romashka", "Oy"), "Romashka Oy"),
        ("Romashka S.r.l.", CompanyName("Romashka", "S.r.l."), "Romashka S.r.l."),
        ("Romashka S.L.", CompanyName("Romashka", "S.L."), "Romashka S.L."),
        ("Romashka Pty Ltd", CompanyName("Romashka", "Pty Ltd"), "Romashka Pty Ltd"),
        ("Romashka Pty. Ltd.", CompanyName("Romashka", "Pty Ltd"), "Romashka Pty Ltd"),
        ("Shenzhen Romashka Co., Ltd.", CompanyName("Shenzhen Romashka", "Co., Ltd"), "Shenzhen Romashka Co., Ltd"),
        ("Shenzhen Romashka Co.,Ltd", CompanyName("Shenzhen Romashka", "Co., Ltd"), "Shenzhen Romashka Co., Ltd"),
        ("Romashka LLP", CompanyName("Romashka", "LLP"), "Romashka LLP"),
        ("Romashka PLC", CompanyName("Romashka", "PLC"), "Romashka PLC"),
        ("Romashka GmbH & Co. KG", CompanyName("Romashka", "GmbH & Co. KG"), "Romashka GmbH & Co. KG"),
        ("Romashka GmbH & Co KG", CompanyName("Romashka", "GmbH & Co. KG"), "Romashka GmbH & Co. KG"),
        # words that are no legal form stay in the name; short forms count only in their own case
        ("Acme UK", CompanyName("Acme UK", ""), "Acme UK"),
        ("Coca-Cola Company", CompanyName("Coca-Cola Company", ""), "Coca-Cola Company"),
        ("Such as", CompanyName("Such as", ""), "Such as"),
        ("ГУМ", CompanyName("ГУМ", ""), "ГУМ"),
        ("Му-Му", CompanyName("Му-Му", ""), "Му-Му"),
    ],
)
def test_company_as_people_type_it(raw: str, expected: CompanyName, display: str) -> None:
    company = split_company(raw)
    assert company == expected
    assert company.display == display


# --- matching ---------------------------------------------------------------------------------

UPPER = 0.9


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (dict(name="Иванов Иван", phone="8 (912) 345-67-89"), dict(name="Иван Иванов", phone="+7 912 345 67 89")),
        (dict(name="Иванов Иван", phone="+7\t912\t345 67 89"), dict(name="Иванов Иван", phone="+8 912 345 67 89")),
        (dict(name="Иванов Иван", email="IVAN@MAIL.RU"), dict(name="Иван Иванов", email="Иван <ivan@mail.ru>")),
        (dict(name="Иванов Иван", email="ivan@ya.ru"), dict(name="Иван Иванов", email="mailto:ivan@yandex.ru")),
        # the second number of a field finds the card of a person who gave only that one before
        (
            dict(name="Иванов Иван", phone="+7 495 123-45-67, 8 912 345 67 89"),
            dict(name="Иванов И.", phone="89123456789"),
        ),
        # the same person on the company's role mailbox, full name agreeing
        (dict(name="Иванов Иван", email="sales@romashka.ru"), dict(name="Иван Иванов", email="Sales@Romashka.ru")),
    ],
)
def test_the_same_person_typed_another_way_is_found(a: dict, b: dict) -> None:
    assert compare(Record.from_raw("a", **a), Record.from_raw("b", **b)).score >= UPPER


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # two people behind a company's switchboard
        (dict(name="Иванов Иван", phone="+7 495 123-45-67", company="Ромашка"),
         dict(name="Петров Иван", phone="+7 495 123-45-67", company="Ромашка")),
        # two extensions of one office line
        (dict(name="Иванов Иван", phone="+7 495 123-45-67 доб. 12"),
         dict(name="Иванов Иван", phone="+7 495 123-45-67 доб. 15")),
        # two people writing from one shared info@ / sales@ mailbox
        (dict(name="Иванов Иван", email="info@romashka.ru"), dict(name="Сидоров Иван", email="info@romashka.ru")),
        (dict(name="Иван", email="sales@romashka.ru"), dict(name="Анна", email="sales@romashka.ru")),
        (dict(name="Иван", email="info@romashka.ru"), dict(name="Иван", email="info@romashka.ru")),
    ],
)
def test_two_different_people_are_not_merged(a: dict, b: dict) -> None:
    assert compare(Record.from_raw("a", **a), Record.from_raw("b", **b)).score < UPPER


def test_a_shared_role_mailbox_says_so_in_the_reasons() -> None:
    match = compare(Record.from_raw("a", name="Иванов Иван", email="info@romashka.ru"),
                    Record.from_raw("b", name="Сидоров Иван", email="INFO@romashka.ru"))
    assert match.reasons[0] == "same role mailbox (info@, sales@: a company's, may be shared)"


@pytest.mark.parametrize(
    ("e164", "mobile"),
    [
        ("+79123456789", True),
        ("+77012345678", True),  # Kazakhstan shares +7: its mobiles are 7xx
        ("+77272500000", False),  # Almaty landline
        ("+74951234567", False),
        ("+375291234567", True),
    ],
)
def test_is_mobile_across_the_shared_plus_seven(e164: str, mobile: bool) -> None:
    assert is_mobile(e164) is mobile


def test_a_kazakh_mobile_weighs_as_a_personal_number() -> None:
    match = compare(Record.from_raw("a", name="Ахметов Нурлан", phone="+7 701 234 56 78"),
                    Record.from_raw("b", name="Нурлан Ахметов", phone="8 701 234 5678"))
    assert match.reasons[0] == "phone equal"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ГБУ «Жилищник района Арбат»", "Жилищник района Арбат"),
        ("государственное бюджетное учреждение «Жилищник района Арбат»", "ГБУ Жилищник района Арбат"),
        ("ФГБОУ ВО «МГУ»", "МГУ"),
        ("ТОВ «Ромашка»", "Ромашка"),
        ("Romashka Co., Ltd.", "Romashka"),
        ("Romashka GmbH & Co. KG", "ROMASHKA"),
        ("Romashka Pty Ltd", "Romashka"),
    ],
)
def test_a_company_with_its_legal_form_has_the_key_of_its_name(a: str, b: str) -> None:
    from leadflow.matching.record import company_skeleton

    assert company_skeleton(a) == company_skeleton(b) != ""
