#!/usr/bin/env python
"""Segment counts over a large base: the registry's EXISTS queries against naive joins, same run.

    .venv/bin/python benchmarks/segments.py                      # SQLite, 100,000 leads
    .venv/bin/python benchmarks/segments.py --leads 20000 --repeat 5

A fresh SQLite database in a temporary data dir: migrate, seed the leads (temperatures, cities, tags on a
third, 0-6 behaviour events each, marketing consent on half; not timed), run the worker's optimize once,
then count each segment --repeat times through `nurture.conditions.members` and, as the named baseline,
the same segment written with joins (tags, events) + GROUP BY + DISTINCT. Medians and the ratio go to
the segments section of docs/benchmarks.md. Target: a live count under 300 ms at 100,000 leads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

ROOT = common.ROOT
sys.path.insert(0, str(ROOT))
MARK_START, MARK_END = common.markers("segments")
TARGET_MS = 300.0


def seed(total: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from leadflow.leads.models import Lead
    from leadflow.leads.services import initial_stage
    from leadflow.nurture.models import Tag
    from leadflow.privacy.models import Consent
    from leadflow.warming.models import BehaviourEvent

    rng = random.Random(7)
    now = timezone.now()
    stage = initial_stage()
    cities = ["Moscow", "Kazan", "Tver", "Omsk", "Perm"]
    with transaction.atomic():
        Lead.objects.bulk_create([
            Lead(full_name=f"Lead {n}", email=f"lead{n}@example.com", channel="form", stage=stage,
                 temperature=rng.choice(["cold", "cold", "warm", "hot"]), city=rng.choice(cities),
                 created_at=now - dt.timedelta(days=rng.randint(0, 365)))
            for n in range(total)
        ], batch_size=2000)
        ids = list(Lead.objects.values_list("pk", flat=True))
        vip, b2b = Tag.objects.create(name="vip"), Tag.objects.create(name="b2b")
        through = Tag.leads.through
        through.objects.bulk_create([through(tag=vip, lead_id=pk) for pk in ids if pk % 3 == 0]
                                    + [through(tag=b2b, lead_id=pk) for pk in ids if pk % 5 == 0], batch_size=5000)
        events = []
        for pk in ids:
            for _n in range(rng.randint(0, 6)):
                events.append(BehaviourEvent(lead_id=pk, kind=rng.choice(["page_view", "page_view", "add_to_cart"]),
                                             occurred_at=now - dt.timedelta(days=rng.randint(0, 60)),
                                             duration_seconds=rng.randint(5, 300)))
        BehaviourEvent.objects.bulk_create(events, batch_size=5000)
        Consent.objects.bulk_create([Consent(purpose="marketing", lead_id=pk, email=email)
                                     for pk, email in Lead.objects.values_list("pk", "email") if pk % 2 == 0],
                                    batch_size=5000)


SEGMENTS = {
    "warm or hot in Moscow": {"temperature": ["warm", "hot"], "city": ["Moscow"]},
    "vip, ≥ 2 page views in 30 days": {"tags": {"any": ["vip"]},
                                       "events": [{"kind": "page_view", "min_count": 2, "days": 30}]},
    "cart, no purchase, consent": {"events": [{"kind": "add_to_cart", "days": 14},
                                              {"kind": "purchase", "none": True, "days": 14}],
                                   "marketing_consent": True},
}


def naive(name: str):  # type: ignore[no-untyped-def]
    """The same segments written the obvious way: joins, GROUP BY, DISTINCT."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from leadflow.leads.models import Lead

    now = timezone.now()
    qs = Lead.objects.exclude(state="merged")
    if name.startswith("warm"):
        return qs.filter(temperature__in=["warm", "hot"], city__iexact="Moscow")
    if name.startswith("vip"):
        return qs.filter(tags__name="vip").annotate(n=Count("behaviour_events", filter=Q(
            behaviour_events__kind="page_view", behaviour_events__occurred_at__gte=now - dt.timedelta(days=30)),
            distinct=True)).filter(n__gte=2).distinct()
    return qs.filter(behaviour_events__kind="add_to_cart",
                     behaviour_events__occurred_at__gte=now - dt.timedelta(days=14),
                     consents__purpose="marketing", consents__given=True).exclude(
        behaviour_events__kind="purchase").distinct()


def timed(function, repeat: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    samples, result = [], 0
    for _n in range(repeat):
        started = time.perf_counter()
        result = function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    common.fresh_django("sqlite", prefix="leadflow-segments-")
    started = time.perf_counter()
    seed(args.leads)
    from leadflow.worker import optimize_database

    optimize_database()
    from leadflow.nurture.conditions import members, validate_conditions

    rows = []
    for name, conditions in SEGMENTS.items():
        cleaned = validate_conditions("leads", conditions)
        ours_ms, ours = timed(lambda cleaned=cleaned: members("leads", cleaned).count(), args.repeat)
        base_ms, base = timed(lambda name=name: naive(name).count(), args.repeat)
        rows.append((name, ours, ours_ms, base, base_ms))
        print(f"{name}: {ours} people, {ours_ms:.1f} ms; naive joins: {base} people, {base_ms:.1f} ms")
    took = time.perf_counter() - started
    table = ["| segment | people | registry (EXISTS) median | naive joins median | ratio naive / ours |",
             "|---|---:|---:|---:|---:|"]
    for name, ours, ours_ms, base, base_ms in rows:
        note = "" if ours == base else f" (naive counts {base})"
        table.append(f"| {name} | {ours}{note} | {ours_ms:.1f} ms | {base_ms:.1f} ms | {base_ms / ours_ms:.2f} |")
    verdict = "met" if all(r[2] < TARGET_MS for r in rows) else "NOT met"
    section = "\n".join([
        MARK_START, "## Segments: live counts (nurture)", "",
        f"`.venv/bin/python benchmarks/segments.py --leads {args.leads} --repeat {args.repeat}` on "
        f"{platform.node()} ({platform.processor() or platform.machine()}, {os.cpu_count()} cores), SQLite, "
        f"{dt.date.today().isoformat()}, {took:.0f} s in all. Target: every count under {TARGET_MS:.0f} ms: "
        f"**{verdict}**.", "", *table, "", MARK_END,
    ])
    common.publish("segments", section, write=not args.no_doc)


if __name__ == "__main__":
    main()
