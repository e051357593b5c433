#!/usr/bin/env python
"""The third round of real-data readings, in-process, against the code path without them in the same run.

    .venv/bin/python benchmarks/realdata3.py            # ~1 min
    .venv/bin/python benchmarks/realdata3.py --no-doc   # print only

Timed, in alternating rounds (medians of the rounds), each against its named baseline:

- names: `split_person_name` over typed names (Russian ФИО, Western, surnames in capitals), with the new "SMITH
  John" reading against the same code with that reading switched off (the code path before it);
- parse: the pipeline's `_parse` (normalise + validate one submission, the intake's hot path in Python) of
  realistic payloads, with and without the surname-in-capitals reading;
- places: `place_key` of a city as typed, first sight (cache cleared) and repeated (cached), against the old
  `region_key` (case and spaces only);
- encoding: `detect_encoding` of a 256 KiB Windows-1251 export, with the Russian single-byte check against
  charset-normalizer alone (the baseline).

Rewrites the section between the realdata3 markers in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

ROOT = common.ROOT
MARK_START, MARK_END = common.markers("realdata3")

NAMES = [
    "Иванов Иван Иванович", "Петрова Анна", "Сергей Смирнов", "ИВАНОВ ИВАН", "Ким Ольга", "Мамедов Рашид Али оглы",
    "John Smith", "Mary-Jane O'Neil", "SMITH John", "IVANOV Ivan", "Smith, John", "Dr. John Smith Jr.",
    "Ludwig van Beethoven", "Анна", "Иванов И.И.", "ООО «Ромашка»", "Wang Xiaoming", "VAN DER BERG Jan",
]
PAYLOADS = [
    {"name": "Иванов Иван", "phone": "+7 912 345-67-89", "email": "ivan@mail.ru", "company": "ООО «Ромашка»"},
    {"name": "SMITH John", "phone": "+44 20 7946 0958 ext. 12", "email": "john.smith@gmail.con"},
    {"first_name": "Анна", "last_name": "Петрова", "phone": "8 916 100-00-03", "city": "г. Москва", "consent": "да"},
    {"name": "Kim Olga", "email": "olga@yandex.ri; o.kim@romashka.ru", "company_size": "50-100", "region": "77"},
]
CITIES = ["г. Москва", "Москва", "Moscow", "мск", "77", "Санкт-Петербург", "СПб", "Казань", "Kazan", "Екатеринбург",
          "Челябинск г.", "Московская область", "Нижний Новгород", "Зеленоград", "с. Ивановка"]


def timed(function: Callable[[], object], repeat: int) -> float:
    """Microseconds per call, over `repeat` calls."""
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - start) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from leadflow.imports import readers
    from leadflow.intake import pipeline
    from leadflow.intake.models import Submission
    from leadflow.matching import normalize
    from leadflow.partners.models import region_key

    with_reading = normalize._capitalised_surname_first

    def names() -> None:
        for name in NAMES:
            normalize.split_person_name(name)

    submissions = [Submission(channel="partner", payload=payload) for payload in PAYLOADS]

    def parse() -> None:
        for submission in submissions:
            pipeline._parse(submission)

    def places_first_sight() -> None:
        normalize.place_key.cache_clear()
        for city in CITIES:
            normalize.place_key(city)

    def places_cached() -> None:
        for city in CITIES:
            normalize.place_key(city)

    def places_old() -> None:
        for city in CITIES:
            region_key(city)

    line = "Сергеев Пётр Ильич;8 (912) 345-67-89;petr@example.ru;ООО «Ромашка»;Перезвонить после обеда\r\n"
    sample = ("ФИО;Телефон;E-mail;Компания;Комментарий\r\n" + line * 4000).encode("cp1251")[: readers.SAMPLE_BYTES]
    with_check = readers._russian_single_byte

    results: dict[str, list[tuple[float, float]]] = {"names": [], "parse": [], "places": [], "encoding": []}
    parse()  # warm the caches a running server has warm
    for _round in range(args.rounds):
        normalize._capitalised_surname_first = lambda text: None  # the code path before the reading
        base_names, base_parse = timed(names, 300) / len(NAMES), timed(parse, 200) / len(PAYLOADS)
        normalize._capitalised_surname_first = with_reading
        new_names, new_parse = timed(names, 300) / len(NAMES), timed(parse, 200) / len(PAYLOADS)
        results["names"].append((base_names, new_names))
        results["parse"].append((base_parse, new_parse))
        results["places"].append((timed(places_old, 2000) / len(CITIES), timed(places_first_sight, 200) / len(CITIES)))
        results.setdefault("places_cached", []).append((0.0, timed(places_cached, 2000) / len(CITIES)))
        readers._russian_single_byte = lambda sample: ""  # charset-normalizer alone
        base_encoding = timed(lambda: readers.detect_encoding(sample), 3)
        readers._russian_single_byte = with_check
        results["encoding"].append((base_encoding, timed(lambda: readers.detect_encoding(sample), 3)))
    assert readers.detect_encoding(sample) == "cp1251"

    rows = []
    labels = {
        "names": ("split_person_name, µs per name", "without the capitals reading"),
        "parse": ("pipeline._parse, µs per submission", "without the capitals reading"),
        "places": ("place key of a city, first sight, µs", "region_key (case and spaces only)"),
        "places_cached": ("place key of a city, cached, µs", "-"),
        "encoding": ("detect_encoding of 256 KiB Windows-1251, µs", "charset-normalizer alone"),
    }
    for key, pairs in results.items():
        base = statistics.median(pair[0] for pair in pairs)
        new = statistics.median(pair[1] for pair in pairs)
        what, baseline = labels[key]
        ratio = f"{new / base:.2f}" if base else "-"
        rows.append(f"| {what} | {baseline} | {base:,.1f} | {new:,.1f} | {ratio} |")
    table = "\n".join([
        "| measured | baseline | baseline | now | now/baseline |",
        "|---|---|---:|---:|---:|",
        *rows,
    ])
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    section = f"""{MARK_START}
## Real data, third round: surnames in capitals, places, encodings (in-process)

Machine: {machine}, shared with other work; {dt.date.today().isoformat()}. Command:
`.venv/bin/python benchmarks/realdata3.py` (medians of {args.rounds} alternating rounds; the baseline is the same
code with the new reading switched off, in the same process).

{table}

The intake's SQL statements are unchanged (`test_reading_placeholders_and_suggesting_costs_no_sql_statement`
pins a messy submission at the count of a clean one): the new readings are Python only. A place key is computed
once per distinct text and cached (20,000 entries); the encoding check runs once per uploaded file.
{MARK_END}"""
    common.publish("realdata3", section, write=not args.no_doc)


if __name__ == "__main__":
    main()
