"""Messy real contact data, third round: surnames written first, and sub-addressed e-mails.

Each row is what a person typed and what a sales manager expects Leadflow to read; the expected values are
written by hand from that expectation.
"""

import pytest

from leadflow.matching.normalize import (
    NormalizationError,
    PersonName,
    email_suggestion,
    normalize_email,
    normalize_emails,
    normalize_phones,
    person_name_from_parts,
    phone_text,
    place_key,
    split_person_name,
    unreadable_email_suggestion,
)
from leadflow.matching.record import canonical_email

# --- a surname written first ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # the international convention: the surname in capitals, written first (passports, visas, conferences)
        ("SMITH John", PersonName("Smith", "John", "")),
        ("IVANOV Ivan", PersonName("Ivanov", "Ivan", "")),
        ("SMITH John Paul", PersonName("Smith", "John", "Paul")),
        ("IVANOV Ivan Ivanovich", PersonName("Ivanov", "Ivan", "Ivanovich")),
        ("O'BRIEN Sean", PersonName("O'Brien", "Sean", "")),
        ("SMITH-JONES Anna", PersonName("Smith-Jones", "Anna", "")),
        ("WANG Xiaoming", PersonName("Wang", "Xiaoming", "")),
        ("VAN DER BERG Jan", PersonName("Van der Berg", "Jan", "")),  # Dutch: "Van" capital without a given name
        ("Mr SMITH John", PersonName("Smith", "John", "")),
        # the comma: the part before it is the surname, in any script
        ("Smith, John", PersonName("Smith", "John", "")),
        ("Smith,John", PersonName("Smith", "John", "")),
        ("Иванов, Иван", PersonName("Иванов", "Иван", "")),
        ("Иванов, Иван Иванович", PersonName("Иванов", "Иван", "Иванович")),
        # capitals at the end are the ordinary Western order with the surname marked
        ("John SMITH", PersonName("Smith", "John", "")),
        ("Anna SMITH-JONES", PersonName("Smith-Jones", "Anna", "")),
        # Decision: capitals mark the surname whichever word they are on, so a given name typed in capitals before a
        # surname in plain case is read by the convention too (rare in practice; the card's Edit puts it right).
        ("JOHN Smith", PersonName("John", "Smith", "")),
        # all in capitals: the capitals mark nothing, the name is read as before
        ("JOHN SMITH", PersonName("Smith", "John", "")),
        ("SMITH J.", PersonName("Smith", "J.", "")),
        # Decision: "Smith John" with neither signal is ambiguous (a Western name typed in reverse, or a surname
        # first with no mark). It stays read in Western order, as before; matching keys names order-free, so
        # "Smith John" still meets "John Smith" (keys.name_keys).
        ("Smith John", PersonName("John", "Smith", "")),
        # Russian ФИО rules stand, whatever the case: patronymic, endings, the list of given names
        ("ИВАНОВ Иван", PersonName("Иванов", "Иван", "")),
        ("Иван ИВАНОВ", PersonName("Иванов", "Иван", "")),
        ("ИВАНОВ ИВАН ИВАНОВИЧ", PersonName("Иванов", "Иван", "Иванович")),
        ("Иван Иванович ИВАНОВ", PersonName("Иванов", "Иван", "Иванович")),
        ("КИМ Ольга", PersonName("Ким", "Ольга", "")),
        ("ОЛЬГА Ким", PersonName("Ким", "Ольга", "")),
    ],
)
def test_a_surname_written_first(raw: str, expected: PersonName) -> None:
    assert split_person_name(raw) == expected


def test_a_surname_first_typed_into_one_field_of_a_form_with_parts() -> None:
    assert person_name_from_parts(first="SMITH John") == PersonName("Smith", "John", "")
    assert person_name_from_parts(last="Smith, John") == PersonName("Smith", "John", "")
    assert person_name_from_parts(first="John", last="SMITH") == PersonName("Smith", "John", "")


# --- sub-addressing: one mailbox, one identity key ----------------------------------------------

# What each provider delivers to one mailbox (checked against the providers' help pages, November 2026):
# - Gmail / Googlemail: "+tag" and dots are ignored; googlemail.com is gmail.com.
# - Yandex (yandex.ru, ya.ru, yandex.com, .by, .kz, .ua, narod.ru): one login on every domain; "+tag" is
#   delivered to the login; in a login "." and "-" are the same character.
# - Outlook.com / Hotmail / Live: "+tag" is delivered; dots are part of the name; the three domains are
#   different mailboxes.
# - iCloud, Fastmail, Proton: "+tag" is delivered; dots are part of the name (Proton is reported to ignore
#   them, but does not document it, so it is not folded).
# - mail.ru, bk.ru, list.ru, inbox.ru: a login holds only letters, digits, ".", "-" and "_", never "+", so an
#   address with "+tag" is that login's mailbox (delivered there) or nobody's: stripping it cannot join two people.
# - a company's own domain: "+tag" is the usual sub-address of Postfix, Exchange and Google Workspace; stripped for
#   the key (the same mailbox), the stored and shown address keeps it.
@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Ivan.Petrov+crm@gmail.com", "ivanpetrov@gmail.com"),
        ("ivan.petrov@googlemail.com", "ivanpetrov@gmail.com"),
        ("i.v.a.n.petrov@gmail.com", "ivanpetrov@gmail.com"),
        ("ivan.petrov+shop@yandex.ru", "ivan-petrov@yandex.ru"),
        ("ivan-petrov@ya.ru", "ivan-petrov@yandex.ru"),
        ("Ivan.Petrov@yandex.com", "ivan-petrov@yandex.ru"),
        ("john.smith+news@outlook.com", "john.smith@outlook.com"),
        ("john.smith+news@hotmail.com", "john.smith@hotmail.com"),
        ("john.smith+x@live.com", "john.smith@live.com"),
        ("jane.doe+shop@icloud.com", "jane.doe@icloud.com"),
        ("jane.doe+shop@fastmail.com", "jane.doe@fastmail.com"),
        ("jane.doe+shop@proton.me", "jane.doe@proton.me"),
        ("jane.doe+shop@protonmail.com", "jane.doe@protonmail.com"),
        ("ivan+promo@mail.ru", "ivan@mail.ru"),
        ("ivan.petrov+promo@bk.ru", "ivan.petrov@bk.ru"),
        ("ivan+x@list.ru", "ivan@list.ru"),
        ("ivan+x@inbox.ru", "ivan@inbox.ru"),
        ("i.petrov+crm@romashka.ru", "i.petrov@romashka.ru"),
        ("+crm@romashka.ru", "+crm@romashka.ru"),  # nothing before the tag: the whole is the name
    ],
)
def test_one_mailbox_has_one_identity_key(typed: str, key: str) -> None:
    assert canonical_email(normalize_email(typed)) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ivan@mail.ru", "ivan@bk.ru"),  # the mail.ru family: separate mailboxes
        ("john@outlook.com", "john@hotmail.com"),
        ("ivan.petrov@mail.ru", "ivanpetrov@mail.ru"),  # dots count outside Gmail and Yandex
        ("john.smith@outlook.com", "johnsmith@outlook.com"),
        ("ivan.petrov@romashka.ru", "ivanpetrov@romashka.ru"),
    ],
)
def test_different_mailboxes_keep_different_keys(a: str, b: str) -> None:
    assert canonical_email(a) != canonical_email(b)


@pytest.mark.parametrize("typed", ["Ivan.Petrov+crm@gmail.com", "ivan-petrov+shop@ya.ru", "i.petrov+crm@romashka.ru"])
def test_the_stored_address_keeps_the_tag(typed: str) -> None:
    assert normalize_email(typed) == typed.lower()


# --- places: a city or region as people and partners write it ----------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Москва", "г. Москва"), ("Москва", "г Москва"), ("Москва", "Москва г."), ("Москва", "город Москва"),
        ("Москва", "МОСКВА"), ("Москва", "Moscow"), ("Москва", "мск"), ("Москва", "77"), ("Москва", "RU-MOW"),
        ("Санкт-Петербург", "СПб"), ("Санкт-Петербург", "Питер"), ("Санкт-Петербург", "St. Petersburg"),
        ("Санкт-Петербург", "санкт петербург"), ("Санкт-Петербург", "78"),
        ("Московская область", "МО"), ("Московская область", "Подмосковье"), ("Московская область", "50"),
        ("Екатеринбург", "Yekaterinburg"), ("Екатеринбург", "ЕКБ"), ("Нижний Новгород", "Н. Новгород"),
        # any other place: by its transliteration
        ("Казань", "Kazan"), ("Казань", "г. Казань"), ("Челябинск", "  ЧЕЛЯБИНСК "), ("Зеленоград", "Zelenograd"),
    ],
)
def test_one_place_written_two_ways_is_one_place(a, b):
    assert place_key(a) == place_key(b) != ""


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Москва", "Московская область"),  # the city and the region around it are routed apart
        ("Санкт-Петербург", "Ленинградская область"),
        ("Нижний Новгород", "Великий Новгород"),
        ("Москва", "Омск"),
        ("77", "78"),
    ],
)
def test_different_places_stay_apart(a, b):
    assert place_key(a) != place_key(b)


# --- phones and e-mails as people type them into forms ------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # when to call, typed after the number: the number is read, the remark stays in the journal and the message
        ("8-912-345-67-89 (звонить после 18:00)", ["+79123456789"]),
        ("8 912 345 67 89 после 18", ["+79123456789"]),
        ("8 912 345 67 89 после 18 ч", ["+79123456789"]),
        ("+7-912-345-67-89, звонить с 10 до 18", ["+79123456789"]),
        ("+7 912 345 67 89 с 9:00 до 18:00", ["+79123456789"]),
        ("+7 912 345-67-89 до 20:00", ["+79123456789"]),
        ("+7 912 345 67 89 18:00-20:00", ["+79123456789"]),
        ("+7 912 345 67 89 after 6pm", ["+79123456789"]),
        ("+44 7911 123456 (from 9 to 17)", ["+447911123456"]),
        ("+7 495 123 45 67 доб 12 после 18", ["+74951234567 ext. 12"]),
        # "до 12" is "before 12" in Russian forms ("доб. 12", "д. 12" the extension), "в 10" is "at 10"
        ("8 (495) 123-45-67 до 12", ["+74951234567"]),
        ("8 (495) 123-45-67 д. 12", ["+74951234567 ext. 12"]),
        ("8 912 345 67 89 в 10", ["+79123456789"]),
        # a signature's line: both numbers, the office one with its extension
        ("моб. +7 (912) 345-67-89, раб. 8 (495) 123-45-67 доб. 123", ["+79123456789", "+74951234567 ext. 123"]),
        # pasted from a web page: a zero-width space or a soft hyphen inside
        ("+7\u200b912\u200b345-67-89", ["+79123456789"]),
        ("8 912\u00ad345 67 89", ["+79123456789"]),
    ],
)
def test_a_phone_with_a_remark_is_read(raw, expected):
    assert [phone_text(phone) for phone in normalize_phones(raw)] == expected


@pytest.mark.parametrize(
    "raw",
    [
        "8 (495) 123-45-67 до 123",  # no hour: maybe a slip for "доб. 123", the extension is not dropped in silence
        "8 912 345 67 89 в 100",  # no hour: more digits, nobody can tell
    ],
)
def test_a_remark_that_may_be_part_of_the_number_stays_an_error(raw):
    with pytest.raises(NormalizationError):
        normalize_phones(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ivan @ mail.ru", "ivan@mail.ru"),  # a phone keyboard's spaces around the @
        ("ivan@ mail.ru", "ivan@mail.ru"),
        ("ivan@mail,ru", "ivan@mail.ru"),  # a comma for the dot: no domain has a comma
        ("ivan@yandex.ru>", "ivan@yandex.ru"),  # a bracket left over from a copied "Name <address>"
        ("<ivan@yandex.ru", "ivan@yandex.ru"),
        ("ivan@mail.ru\u200b", "ivan@mail.ru"),  # invisible characters pasted along
        ("\ufeffivan@mail.ru", "ivan@mail.ru"),
        ("ivan@mail.ru\u00ad", "ivan@mail.ru"),
    ],
)
def test_an_email_as_people_paste_it(raw, expected):
    assert normalize_emails(raw) == [expected]


@pytest.mark.parametrize(
    "raw",
    ["ivan@gmail", "ivan@@mail.ru", "ivan..petrov@mail.ru", "ivan @ mail.ru @ yandex.ru", "ivan@mail,r"],
)
def test_an_address_that_does_not_read_stays_an_error(raw):
    with pytest.raises(NormalizationError):
        normalize_emails(raw)


@pytest.mark.parametrize(
    ("email", "suggestion"),
    [
        ("ivan@gmail.com.ru", "ivan@gmail.com"),  # the country typed again after the service's domain
        ("ivan@mail.ru.ru", "ivan@mail.ru"),
        ("ivan@yandex.ru.com", "ivan@yandex.ru"),
        ("ivan@mail.ru", ""),
        ("ivan@mail.romashka.ru", ""),  # a company's mail server
        ("ivan@gmail.company.com", ""),
    ],
)
def test_a_consumer_domain_typed_twice_over_is_suggested(email, suggestion):
    assert email_suggestion(normalize_email(email)) == suggestion


@pytest.mark.parametrize(
    ("raw", "suggestion"),
    [
        ("ivan@gmail", "ivan@gmail.com"),
        ("ivan@gmailcom", "ivan@gmail.com"),
        ("Ivan@MailRu", "ivan@mail.ru"),
        ("ivan@yandex", "ivan@yandex.ru"),
        ("ivan@romashka", ""),  # a company's name: nothing obvious
        ("ivan.@gmail", ""),  # the mailbox does not read either
        ("ivan", ""),
    ],
)
def test_an_unreadable_address_gets_the_obvious_one_next_to_its_error(raw, suggestion):
    with pytest.raises(NormalizationError):
        normalize_email(raw)
    assert unreadable_email_suggestion(raw) == suggestion


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # a job title after the comma is no given name, abbreviated or not
        ("Иванов Иван Иванович, ген. директор", PersonName("Иванов", "Иван", "Иванович")),
        ("Петрова Анна, зам. директора", PersonName("Петрова", "Анна", "")),
        ("Сидоров Олег, нач. отдела продаж", PersonName("Сидоров", "Олег", "")),
        ("John Smith, owner", PersonName("Smith", "John", "")),
        # Russia's Korean families in Latin letters, as in Cyrillic ("Ким Ольга")
        ("Kim Olga", PersonName("Kim", "Olga", "")),
        ("Tsoi Viktor", PersonName("Tsoi", "Viktor", "")),
        ("Olga Kim", PersonName("Kim", "Olga", "")),
        ("Kim Basinger", PersonName("Basinger", "Kim", "")),  # an English given name before a surname: as before
        ("Kim Smith", PersonName("Smith", "Kim", "")),
    ],
)
def test_names_with_titles_and_korean_surnames(raw, expected):
    assert split_person_name(raw) == expected
