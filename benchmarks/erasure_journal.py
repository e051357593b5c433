#!/usr/bin/env python
"""Erasure's journal search: the submissions naming a phone however it was typed, in a big journal.

    .venv/bin/python benchmarks/erasure_journal.py                          # SQLite, 1,000,000 submissions
    .venv/bin/python benchmarks/erasure_journal.py --submissions 100000 --repeat 3 --no-doc

A fresh SQLite database in a temporary LEADFLOW_DATA_DIR, migrated, seeded in bulk (not timed) with
--submissions journal rows: people with phones typed the ways people type them ("8 (912) 345-67-89",
"+7 912 345 67 89", "89123456789", ...), e-mails, names and messages; among them the searched person's phone
in --spellings different spellings, and numbers one digit off that must not be found. Timed, medians of
--repeat runs, with the peak of Python memory (tracemalloc) during each:

- `leadflow.privacy.rooms._submissions_with_phones` (what erasure runs): a regular expression over the
  payload's text narrows the journal inside the database; the normaliser confirms the few candidates;
- baseline: the search erasure did before (the E.164 and the bare national digits as substrings), which is
  fast and misses the spellings with separators;
- baseline: reading the whole journal in chunks with `.iterator()` and comparing each payload value's digits
  in Python (the other way to find them without loading everything at once).

Rewrites its section of docs/benchmarks.md (between the erasure-journal markers) unless --no-doc.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

ROOT = common.ROOT
MARK_START, MARK_END = common.markers("erasure-journal")
PERSON = "+79123456789"
SPELLINGS = ["8 (912) 345-67-89", "+7 912 345 67 89", "8-912-345-6789", "+7(912)3456789", "89123456789",
             "8\u00a0912\u00a0345\u00a067\u00a089", "тел. 8 912 345 67 89", "+7 (912) 345-67-89",
             "7 912 3456789", "9123456789"]
NEAR_MISSES = ["8 (912) 345-67-80", "+7 912 345 67 98", "8 (912) 354-67-89"]


log = common.logger(out=sys.stdout)


def typed(rng: random.Random, digits: str) -> str:
    d = digits
    return rng.choice([f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}", f"+7 {d[:3]} {d[3:6]} {d[6:8]} {d[8:]}",
                       f"8{d}", f"+7{d}", f"+7 ({d[:3]}) {d[3:6]}-{d[6:]}"])


def seed(n: int, spellings: int) -> dict[str, set[int]]:
    from django.db import transaction

    from leadflow.intake.models import Submission

    rng = random.Random(7)
    target_at = set(rng.sample(range(n), spellings + len(NEAR_MISSES)))
    order = sorted(target_at)
    person_rows = {index: SPELLINGS[i % len(SPELLINGS)] for i, index in enumerate(order[:spellings])}
    miss_rows = {index: NEAR_MISSES[i] for i, index in enumerate(order[spellings:])}
    batch: list[Any] = []
    ids: dict[str, set[int]] = {"person": set(), "near": set()}
    marks: dict[int, str] = {}
    for i in range(n):
        if i in person_rows:
            phone, marks[i] = person_rows[i], "person"
        elif i in miss_rows:
            phone, marks[i] = miss_rows[i], "near"
        else:
            phone = typed(rng, f"9{rng.randrange(10**9):09d}")
        payload = {"name": f"Иванов Пётр {i}", "phone": phone, "email": f"p{i}@mail.example.ru" if i % 3 else "",
                   "message": rng.choice(["Перезвоните", "Нужен расчёт", "", "Сколько стоит доставка?"]),
                   "utm_source": "bench"}
        batch.append(Submission(channel="form", status="invalid" if i % 5 == 0 else "created", payload=payload))
        if len(batch) == 5000 or i == n - 1:
            with transaction.atomic():
                created = Submission.objects.bulk_create(batch)
            for offset, row in enumerate(created):
                index = i - len(created) + 1 + offset
                if index in marks:
                    ids[marks[index]].add(row.pk)
            batch = []
            if (i + 1) % 100_000 == 0:
                log(f"seeded {i + 1:,}")
    return ids


def measure(function: Any, repeat: int) -> dict[str, Any]:
    times, peaks, result = [], [], set()
    for _ in range(repeat):
        tracemalloc.start()
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return {"seconds": statistics.median(times), "peak_mb": max(peaks) / 2**20, "found": result}


def run(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Q, TextField
    from django.db.models.functions import Cast

    from leadflow.intake.models import Submission
    from leadflow.privacy.rooms import _strings, _submissions_with_phones

    call_command("migrate", verbosity=0)
    log(f"seeding {args.submissions:,} submissions")
    ids = seed(args.submissions, args.spellings)
    text = Submission.objects.annotate(raw=Cast("payload", TextField()))

    def current() -> set[int]:
        return _submissions_with_phones(text, {(PERSON, "")})

    def before() -> set[int]:
        found = Q(raw__icontains=PERSON) | Q(raw__icontains=PERSON[2:])
        return set(text.filter(found).values_list("pk", flat=True))

    def chunk_scan() -> set[int]:
        national = PERSON[2:]
        found = set()
        for pk, payload in Submission.objects.values_list("pk", "payload").iterator(chunk_size=2000):
            for value in _strings(payload):
                digits = "".join(ch for ch in value if ch.isdigit())
                if digits.endswith(national) and len(digits) - len(national) <= 1:
                    found.add(pk)
                    break
        return found

    results = {}
    for name, function in (("current", current), ("before", before), ("chunk_scan", chunk_scan)):
        log(f"timing {name}")
        results[name] = measure(function, args.repeat)
        found = results[name]["found"]
        results[name]["hits"] = len(found & ids["person"])
        results[name]["false"] = len(found - ids["person"])
        log(f"{name}: {results[name]['seconds']:.2f} s, {results[name]['hits']}/{len(ids['person'])} found, "
            f"{results[name]['false']} wrong, peak {results[name]['peak_mb']:.1f} MB")
    results["expected"] = len(ids["person"])
    return results


def render(args: argparse.Namespace, results: dict[str, Any]) -> str:
    import sqlite3

    def row(label: str, key: str) -> str:
        r = results[key]
        ratio = r["seconds"] / results["current"]["seconds"]
        return (f"| {label} | {r['seconds']:.2f} | {ratio:.2f} | {r['hits']} of {results['expected']} | "
                f"{r['false']} | {r['peak_mb']:.1f} |")

    return "\n".join([
        MARK_START,
        "## Erasure: the journal rows naming a phone typed any way (`benchmarks/erasure_journal.py`)",
        "",
        f"{dt.date.today().isoformat()}, {common.machine_line(ram=False, python=True)}, "
        f"SQLite {sqlite3.sqlite_version}. Command: "
        f"`.venv/bin/python benchmarks/erasure_journal.py --submissions {args.submissions} --spellings "
        f"{args.spellings} --repeat {args.repeat}`.",
        "",
        f"{args.submissions:,} submissions; the person's phone typed {args.spellings} ways, plus "
        f"{len(NEAR_MISSES)} numbers one digit off. Medians of {args.repeat} runs; peak = Python memory "
        "(tracemalloc) during the search.",
        "",
        "| search | seconds | × current | person's rows found | wrong rows | peak, MB |",
        "|---|---:|---:|---:|---:|---:|",
        row("current: SQL regex narrows, normaliser confirms", "current"),
        row("baseline: before (E.164 / national digits as substrings)", "before"),
        row("baseline: whole journal in chunks (`.iterator()`), digits compared in Python", "chunk_scan"),
        "",
        MARK_END,
    ]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--spellings", type=int, default=len(SPELLINGS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="leadflow-erasure-bench-"))
    os.environ.pop("DATABASE_URL", None)
    os.environ.update({"DJANGO_SETTINGS_MODULE": "leadflow.settings", "LEADFLOW_DATA_DIR": str(data_dir),
                       "LEADFLOW_SECRET_KEY": "erasure-benchmark-not-a-secret", "LEADFLOW_DEBUG": "0"})
    sys.path.insert(0, str(ROOT))
    try:
        results = run(args)
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    section = render(args, results)
    common.publish("erasure-journal", section, write=not args.no_doc)


if __name__ == "__main__":
    main()
