"""A short surname (Ким, Пак, Цой) in colleagues' notes (names10): erased as a whole word in its cases ("Киму", "Паком",
"Цою"), never as the beginning of another word ("Кимры", "Пакет"), which is about something else and stays."""

from __future__ import annotations

import pytest

from leadflow.privacy.tests.notes import erase_among_notes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("first", "last", "notes"), [
    ("Ева", "Ким", {"Передать Еве Ким образцы": "Передать [erased] образцы",
                    "Евразия и Евангелина Кимова не она": None}),
    ("Олег", "Ким", {"Доставка в Кимры в пятницу, Кимберли-Кларк ждёт": None,
                     "Звонил Ким, просил счёт": "Звонил [erased], просил счёт",
                     "Отправить КП Киму Олегу": "Отправить КП [erased]",
                     "Встреча с Кимом во вторник": "Встреча с [erased] во вторник"}),
    ("Ирина", "Пак", {"Пакет документов у Лизы, Пакистан не возим": None,
                      "Паку Ирине выставить счёт": "[erased] выставить счёт",
                      "Договорились с Пак: образцы в среду": "Договорились с [erased]: образцы в среду"}),
    ("Виктор", "Цой", {"Цоколь не тот, Цойка — кличка собаки": None,
                       "Перезвонить Цою завтра": "Перезвонить [erased] завтра"}),
    # two letters: too short to tell from other words alone; "Лиза", "Лимон" stay
    ("Анна", "Ли", {"Лиза просила лимоны, Лимонов тоже": None}),
])
def test_a_short_surname_is_erased_as_a_whole_word_only(make_lead, bob, admin_user, first, last, notes):
    _log, written = erase_among_notes(make_lead, owner=bob, admin=admin_user, first=first, last=last,
                                      notes=list(notes))

    for text, activity in written.items():
        assert activity.body == (notes[text] or text)
