"""Names of four letters and fewer in colleagues' notes (privacy11): a four-letter name (Анна, Сова) goes in all its
cases ("Анне", "Совой"), never as the beginning of another word ("Аннотация"); a surname of two letters (Ли, Но) goes
next to the person's given name, or written as a name inside a sentence, never as the word it also is ("ли", the «Но»
that begins a sentence); one of a single letter (О, К) only next to the given name."""

from __future__ import annotations

import pytest

from leadflow.privacy.tests.notes import erase_among_notes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("first", "last", "notes"), [
    ("Анна", "Белоусова", {"Передать Анне Белоусовой каталог": "Передать [erased] каталог",
                           "Созвон с Анной Белоусовой в среду": "Созвон с [erased] в среду",
                           "Анну Белоусову ждём в офисе": "[erased] ждём в офисе"}),
    ("Анна", "Сова", {"Звонила Сова, просила каталог": "Звонила [erased], просила каталог",
                      "Встреча с Совой во вторник, счёт Сове": "Встреча с [erased] во вторник, счёт [erased]",
                      "Отправить Анне Сове образцы": "Отправить [erased] образцы",
                      "Аннотация к каталогу, сова на логотипе, Совиный проезд": None}),
    ("Илья", "Лось", {"Перезвонить Илье Лосю": "Перезвонить [erased]",
                      "Договор у Лося": "Договор у [erased]",
                      "Ильинка, лосьон для Лосевых": None}),
])
def test_a_four_letter_name_is_erased_in_its_cases(make_lead, bob, admin_user, first, last, notes):
    _log, written = erase_among_notes(make_lead, owner=bob, admin=admin_user, first=first, last=last,
                                      notes=list(notes))

    for text, activity in written.items():
        assert activity.body == (notes[text] or text)


@pytest.mark.parametrize(("first", "last", "notes"), [
    ("Анна", "Ли", {"Передать Анне Ли образцы": "Передать [erased] образцы",
                    "Договорились с Ли: образцы в среду": "Договорились с [erased]: образцы в среду",
                    "Лиза спрашивала, звонила ли она. Лимонов тоже": None,
                    "ЗВОНИЛА ЛИ ОНА?": None}),
    ("Олег", "Но", {"Но клиент просил скидку, Олег Но перезвонит": "Но клиент просил скидку, [erased] перезвонит",
                    "Счёт выставлен, Но оплатит в пятницу": "Счёт выставлен, [erased] оплатит в пятницу",
                    "Но это не срочно.\nНо всё же": None}),
    # one letter: next to the given name only (alone it is mostly an initial typed without its dot: "Анна К")
    ("Сергей", "О", {"Перезвонить Сергею О завтра": "Перезвонить [erased] завтра",
                     "Образцы передать О лично, О встрече договорились, о цене нет": None}),
    ("Анна", "К", {"Звонила Анна К, просила счёт": "Звонила [erased], просила счёт",
                   "Витамин К в наличии, Анна Сергеевна на месте": None}),
])
def test_a_name_of_two_letters_is_erased_where_it_reads_as_a_name(make_lead, bob, admin_user, first, last, notes):
    log, written = erase_among_notes(make_lead, owner=bob, admin=admin_user, first=first, last=last,
                                     notes=list(notes))

    for text, activity in written.items():
        assert activity.body == (notes[text] or text)
    changed = {row["row"] for row in log.redacted}
    assert changed == {f"activity:{written[text].pk}" for text in notes if notes[text]}
