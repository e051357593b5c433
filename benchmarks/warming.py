#!/usr/bin/env python
"""Warming benchmark: event ingestion over HTTP next to a bare one-row insert, and the decay pass at scale.

    .venv/bin/python benchmarks/warming.py                         # SQLite, 100,000 leads, 1,000,000 events
    .venv/bin/python benchmarks/warming.py --leads 10000 --events-per-lead 10 --seconds 5 --no-doc

1. Ingestion. A fresh SQLite database in a temporary LEADFLOW_DATA_DIR, migrated; a tracking site, two
   points rules and --known-visitors visitors already identified as leads. The real WSGI app runs under
   waitress; a load generator (client threads with keep-alive connections, closed loop) posts the snippet's
   body to POST /t/<key>/events (origin check, rate counters, per-field checks, one event stored, visitor
   lookup, points for known visitors, outbox) and, as the named baseline in the same run, the same bodies to
   POST /t/bench/insert (parse the JSON, insert one BehaviourEvent row). Rounds alternate; medians of rounds.
2. Decay. --leads leads, each with --events-per-lead behaviour events and as many points entries spread over
   the last 60 days, and their points rows (seeded in bulk, not timed). Timed: `cool_down` (the worker's
   periodic pass: reads only the leads whose points dropped below their temperature's floor, via the index
   on cools_at) at a moment one day later, next to two baselines: a pass that reads every lead's points row
   and decides in Python, and recomputing every lead's points from the whole history (1,000,000 entries).

Rewrites its section of docs/benchmarks.md (between the warming markers) unless --no-doc.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

ROOT, DOC = common.ROOT, common.DOC
MARK_START, MARK_END = common.markers("warming")
ORIGIN = "https://shop.example"
log = common.logger(out=sys.stdout)


def env_for(data_dir: Path) -> dict[str, str]:
    env = common.base_env(data_dir, name="warming")
    # The limits are not what is measured: one load generator on one address sends everything.
    env.update({"LEADFLOW_TRACK_RATE_PER_IP": str(10**9), "LEADFLOW_TRACK_RATE_PER_SITE": str(10**9)})
    return env


# ---------------------------------------------------------------- in-process parts (Django set up)


def setup_django(data_dir: Path) -> None:
    os.environ.update(env_for(data_dir))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed_ingestion(known_visitors: int) -> str:
    from leadflow.leads import services as leads
    from leadflow.warming.models import EventKind, PointsPolicy, PointsRule, TrackingSite, Visitor

    PointsPolicy.objects.create(half_life_days=30, warm_at=20, hot_at=60)
    PointsRule.objects.create(name="View", kind=EventKind.PAGE_VIEW, points=2, cap_points=20, cap_days=7)
    PointsRule.objects.create(name="Cart", kind=EventKind.ADD_TO_CART, points=10)
    site = TrackingSite.objects.create(name="Bench shop", allowed_origins=ORIGIN)
    for n in range(known_visitors):
        lead = leads.create_lead(
            person=leads.PersonFacts(first_name=f"Ivan{n}", last_name="Petrov", full_name=f"Petrov Ivan{n}",
                                     email=f"known{n}@example.ru"),
            touch=leads.Touch(channel="form"), team=None)
        Visitor.objects.create(visitor_id=f"known{n:06d}", lead=lead)
    return site.public_key


def seed_decay(leads_count: int, events_per_lead: int, now: dt.datetime) -> dict[str, int]:
    """Leads with events, points entries and points rows, written in bulk; returns the temperature counts."""
    from django.db import connection, transaction

    from leadflow.leads.models import Lead, Stage
    from leadflow.warming import services
    from leadflow.warming.models import BehaviourEvent, EventKind, LeadScore, ScoreEntry

    rng = random.Random(7)
    settings = services.policy()
    stage = Stage.objects.order_by("position").first()
    kinds = [EventKind.PAGE_VIEW, EventKind.ADD_TO_CART, EventKind.VIDEO_VIEW, EventKind.WEBINAR_ATTENDED]
    points_of = {EventKind.PAGE_VIEW: 2, EventKind.ADD_TO_CART: 10, EventKind.VIDEO_VIEW: 4,
                 EventKind.WEBINAR_ATTENDED: 15}
    counts = {"cold": 0, "warm": 0, "hot": 0}
    next_event = [BehaviourEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0]
    batch = 2000
    for start in range(0, leads_count, batch):
        with transaction.atomic():
            rows = [Lead(full_name=f"Bench Lead{n}", first_name=f"Lead{n}", last_name="Bench", channel="form",
                         email=f"bench{n}@example.ru", stage=stage, state="nurturing",
                         created_at=now - dt.timedelta(days=90), search_text=f"bench lead{n}")
                    for n in range(start, min(start + batch, leads_count))]
            created = Lead.objects.bulk_create(rows)
            events, entries, scores, temperatures = [], [], [], []
            for lead in created:
                # Some leads are busy, most are not: a skewed number of points per lead.
                busy = rng.random() ** 3
                total = 0.0
                for _ in range(events_per_lead):
                    kind = rng.choice(kinds) if rng.random() < busy else EventKind.PAGE_VIEW
                    when = now - dt.timedelta(seconds=rng.uniform(0, 60 * 86400))
                    next_event[0] += 1
                    events.append((next_event[0], kind, lead.pk, "", when.isoformat(" "), when.isoformat(" "),
                                   "https://shop.example/p", 30, "{}"))
                    entries.append((lead.pk, "behaviour", points_of[kind], next_event[0], services.BEHAVIOUR_TEXT,
                                    json.dumps({"kind": kind}), when.isoformat(" "), when.isoformat(" ")))
                    total += services.fade(points_of[kind], since=when, now=now,
                                           half_life_days=settings.half_life_days)
                score = LeadScore(lead=lead, behaviour_points=total, as_of=now)
                band = services.temperature_for(total, settings)
                score.cools_at = services.cooling_moment(score, temperature=band, settings=settings)
                services._anchor(score, settings)  # as the points writers keep it (segments on points)
                scores.append(score)
                temperatures.append((lead.pk, band))
                counts[band] += 1
            # Plain executemany: a million rows through the ORM's objects would take most of the run.
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {BehaviourEvent._meta.db_table} (id, kind, lead_id, visitor_id, occurred_at, "
                    "received_at, url, duration_seconds, properties) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    events)
                cursor.executemany(
                    f"INSERT INTO {ScoreEntry._meta.db_table} (lead_id, entry_kind, points, event_id, text_key, "
                    "text_params, occurred_at, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", entries)
            LeadScore.objects.bulk_create(scores, batch_size=5000)
            for band in ("warm", "hot"):
                Lead.objects.filter(pk__in=[pk for pk, b in temperatures if b == band]).update(temperature=band)
        if (start // batch) % 10 == 0:
            log(f"  seeded {start + len(created):,} leads")
    return counts


def time_decay(now: dt.datetime, repeat: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from leadflow.leads.models import Lead
    from leadflow.warming import services
    from leadflow.warming.models import LeadScore, ScoreEntry

    settings = services.policy()
    later = now + dt.timedelta(days=1)
    due = LeadScore.objects.filter(cools_at__lte=later).count()

    def full_scan() -> int:
        temperature = dict(Lead.objects.values_list("pk", "temperature").iterator(chunk_size=10000))
        falling = 0
        for score in LeadScore.objects.all().iterator(chunk_size=10000):
            band = services.temperature_for(services.points_now(score, now=later, settings=settings), settings)
            falling += services.RANK[band] < services.RANK[temperature[score.pk]]
        return falling

    def from_history() -> int:
        totals: dict[int, float] = {}
        for lead_id, points, occurred_at in ScoreEntry.objects.values_list(
                "lead_id", "points", "occurred_at").iterator(chunk_size=20000):
            totals[lead_id] = totals.get(lead_id, 0.0) + services.fade(
                points, since=occurred_at, now=later, half_life_days=settings.half_life_days)
        return len(totals)

    results: dict[str, Any] = {"due": due}
    for name, job in (("scan", full_scan), ("history", from_history)):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            value = job()
            times.append(time.perf_counter() - started)
        results[name] = {"seconds": statistics.median(times), "value": value}
    # The real pass changes rows: run it once on the data (then a second time, when nothing is due).
    with connection.cursor():
        pass
    started = time.perf_counter()
    changed = services.cool_down(now=later)
    results["pass"] = {"seconds": time.perf_counter() - started, "value": changed}
    started = time.perf_counter()
    again = services.cool_down(now=later)
    results["pass_idle"] = {"seconds": time.perf_counter() - started, "value": again}
    with transaction.atomic():
        pass
    return results


# ---------------------------------------------------------------- the load generator


def load(port: int, path: str, bodies: list[bytes], seconds: float, threads: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def run(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        own: list[float] = []
        n = offset
        while time.monotonic() < stop_at:
            body = bodies[n % len(bodies)]
            n += threads
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers={"Origin": ORIGIN, "Content-Type": "text/plain"})
            response = conn.getresponse()
            response.read()
            own.append(time.perf_counter() - started)
            if response.status != 202:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(own)

    common.in_threads(run, [(k,) for k in range(threads)])
    return {"count": len(latencies), "rate": len(latencies) / seconds,
            "p50": common.interpolated_percentile(latencies, 0.5) * 1000,
            "p99": common.interpolated_percentile(latencies, 0.99) * 1000, "errors": errors[0]}


def make_bodies(count: int, known: int) -> list[bytes]:
    rng = random.Random(11)
    bodies = []
    for n in range(count):
        visitor = f"known{rng.randrange(known):06d}" if known and rng.random() < 0.2 else f"anon{n:07d}"
        kind = "add_to_cart" if rng.random() < 0.1 else "page_view"
        event: dict[str, Any] = {"kind": kind, "url": f"{ORIGIN}/catalogue/{rng.randrange(500)}"}
        if kind == "page_view":
            event["duration_seconds"] = rng.randrange(5, 300)
        else:
            event["properties"] = {"sku": f"T-{rng.randrange(100)}", "price": rng.randrange(100, 5000)}
        bodies.append(json.dumps({"visitor_id": visitor, "events": [event]}).encode())
    return bodies


# ---------------------------------------------------------------- report


def render(args: argparse.Namespace, ingestion: dict[str, list[dict[str, Any]]], decay: dict[str, Any],
           counts: dict[str, int]) -> str:
    import sqlite3

    def median(rows: list[dict[str, Any]], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    full, bare = ingestion["full"], ingestion["bare"]
    lines = [
        MARK_START,
        "## Warming: event ingestion and the decay pass (`benchmarks/warming.py`)",
        "",
        f"{dt.date.today().isoformat()}, {common.machine_line(ram=False, python=True)}, "
        f"SQLite {sqlite3.sqlite_version}. Command: "
        f"`.venv/bin/python benchmarks/warming.py --leads {args.leads} --events-per-lead {args.events_per_lead} "
        f"--seconds {args.seconds} --rounds {args.rounds} --threads {args.threads}`.",
        "",
        f"Ingestion over HTTP (waitress, {args.server_threads} server threads, {args.threads} client threads, "
        f"keep-alive; one event per request, 20 % from {args.known_visitors} visitors already known as leads, "
        f"so their points are computed too). Medians of {args.rounds} rounds of {args.seconds} s each:",
        "",
        "| path | events/s | p50, ms | p99, ms | errors |",
        "|---|---:|---:|---:|---:|",
        f"| `POST /t/<key>/events` (full path) | {median(full, 'rate'):.0f} | {median(full, 'p50'):.1f} | "
        f"{median(full, 'p99'):.1f} | {sum(r['errors'] for r in full)} |",
        f"| `POST /t/bench/insert` (bare one-row insert, baseline) | {median(bare, 'rate'):.0f} | "
        f"{median(bare, 'p50'):.1f} | {median(bare, 'p99'):.1f} | {sum(r['errors'] for r in bare)} |",
        "",
        f"Full / bare throughput: **{median(full, 'rate') / median(bare, 'rate'):.2f}**.",
        "",
        f"Decay with {args.leads:,} leads and {args.leads * args.events_per_lead:,} events (and as many points "
        f"entries; temperatures at the start: {counts['hot']:,} hot, {counts['warm']:,} warm, "
        f"{counts['cold']:,} cold), one day later, {decay['due']:,} leads due to cool:",
        "",
        "| job | seconds | result |",
        "|---|---:|---|",
        f"| `cool_down` (the worker's pass: due leads only, index on `cools_at`) | {decay['pass']['seconds']:.2f} | "
        f"{decay['pass']['value']:,} leads cooled, temperature written |",
        f"| the same pass again (nothing due) | {decay['pass_idle']['seconds']:.3f} | "
        f"{decay['pass_idle']['value']} |",
        f"| baseline: read every lead's points row, decide in Python (no writes) | {decay['scan']['seconds']:.2f} | "
        f"{decay['scan']['value']:,} would cool |",
        f"| baseline: recompute every lead from the history (Σ points × 0.5^(age/half-life)) | "
        f"{decay['history']['seconds']:.2f} | {decay['history']['value']:,} leads |",
        "",
        MARK_END,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--events-per-lead", type=int, default=10)
    parser.add_argument("--known-visitors", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each decay baseline (median)")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="leadflow-warming-bench-"))
    server = None
    try:
        env = env_for(work)
        log(f"migrating a fresh SQLite database in {work}")
        subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"], env=env, cwd=str(ROOT), check=True)
        setup_django(work)
        key = seed_ingestion(args.known_visitors)
        port = common.free_port()
        server = common.start_server(env, port, args.server_threads, work / "server.log", probe="/t.js")
        bodies = make_bodies(20_000, args.known_visitors)
        ingestion: dict[str, list[dict[str, Any]]] = {"full": [], "bare": []}
        load(port, f"/t/{key}/events", bodies[:200], 2, args.threads)  # warm-up, dropped
        for round_number in range(args.rounds):
            for name, path in (("bare", "/t/bench/insert"), ("full", f"/t/{key}/events")):
                result = load(port, path, bodies, args.seconds, args.threads)
                ingestion[name].append(result)
                log(f"round {round_number + 1} {name}: {result['rate']:.0f}/s p50 {result['p50']:.1f} ms "
                    f"p99 {result['p99']:.1f} ms errors {result['errors']}")
        common.stop_server(server)
        server = None

        now = dt.datetime.now(dt.UTC)
        log(f"seeding {args.leads:,} leads with {args.leads * args.events_per_lead:,} events for the decay pass")
        counts = seed_decay(args.leads, args.events_per_lead, now)
        from django.db import connection

        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        log("timing the decay pass and its baselines")
        decay = time_decay(now, args.repeat)
        log(json.dumps(decay, default=str))
        section = render(args, ingestion, decay, counts)
        common.publish("warming", section, write=not args.no_doc)
        if not args.no_doc:
            log(f"wrote {DOC}")
    finally:
        common.stop_server(server)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
