#!/usr/bin/env python
"""Telephony benchmark: the screen-pop lookup over HTTP with 100,000 leads, next to the server's bare endpoint.

    .venv/bin/python benchmarks/telephony.py                     # SQLite and PostgreSQL
    .venv/bin/python benchmarks/telephony.py --backend sqlite --leads 100000 --requests 3000

For each backend it makes a fresh database (SQLite in a temporary LEADFLOW_DATA_DIR; on PostgreSQL a fresh
database `leadflow_bench_telephony` next to the one scripts/postgres.sh serves, or on --postgres-url),
migrates it, seeds --leads leads with their phone identity keys and first task (not timed), starts the real
WSGI app under waitress, and sends `GET /api/calls/lookup?number=...` (a manager's bearer token; 80% of the
numbers are seeded ones written another way, `8 (900) ...` against the stored `+7900...`, 20% unknown) and
the baseline `GET /api/calls/bench/bare?number=...` (the same token authentication and response handling,
no lookup) from keep-alive http.client connections, in alternating rounds. The report gives p50/p99 per
endpoint (medians over rounds), the lookup's own cost (p50 difference), and the verdict against the target
(lookup p99 under 20 ms over HTTP); it rewrites the telephony section of docs/benchmarks.md.
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
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

ROOT = common.ROOT
MARK_START, MARK_END = common.markers("telephony")
BENCH_DB = "leadflow_bench_telephony"
TARGET_P99_MS = 20.0
SEED_PREFIX = "+7900"


log = common.logger("telephony-bench")


# ====================================================================== seeding (runs in a subprocess)


def seed_main(config: dict[str, Any]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from leadflow.accounts.models import Role, Team, User, UserToken
    from leadflow.leads.models import Lead, Task, TaskKind
    from leadflow.leads.services import initial_stage
    from leadflow.matching.models import CardType, IdentityKey, KeyKind

    call_command("migrate", verbosity=0, interactive=False)
    team = Team.objects.create(name="Bench sales", is_default=True)
    manager = User.objects.create_user("bench-manager", None, None, role=Role.MANAGER, team=team,
                                       first_name="Анна")
    others = [User.objects.create_user(f"bench-m{k}", None, None, role=Role.MANAGER, team=team) for k in range(3)]
    _, token = UserToken.issue(user=manager)
    stage = initial_stage()
    now = timezone.now()
    n, batch = config["leads"], 5000
    first_id = (Lead.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    owners = [manager, *others, None]
    for start in range(0, n, batch):
        with transaction.atomic():
            leads, keys, tasks = [], [], []
            for i in range(start, min(n, start + batch)):
                pk = first_id + i
                owner = owners[i % len(owners)]
                phone = f"{SEED_PREFIX}{i:07d}"
                lead = Lead(pk=pk, first_name="Иван", last_name=f"Петров{i}", full_name=f"Петров{i} Иван",
                            phone=phone, email=f"lead{i}@bench.example.ru", channel="phone", stage=stage, team=team,
                            owner=owner, created_at=now, company_name="Ромашка" if i % 3 == 0 else "")
                lead.search_text = lead.folded_search_text()
                leads.append(lead)
                keys.append(IdentityKey(kind=KeyKind.PHONE, value=phone, card_type=CardType.LEAD, card_id=pk))
                keys.append(IdentityKey(kind=KeyKind.EMAIL, value=lead.email, card_type=CardType.LEAD, card_id=pk))
                tasks.append(Task(lead_id=pk, assignee=owner, kind=TaskKind.CALL, title=f"Call {lead.full_name}",
                                  due_at=now))
            common.insert_rows(Lead, leads, with_pk=True)
            common.insert_rows(IdentityKey, keys)
            common.insert_rows(Task, tasks)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('leads_lead', 'id'), (SELECT MAX(id) FROM leads_lead))")
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    Path(config["out"]).write_text(json.dumps({"token": token, "leads": Lead.objects.count()}))


# ====================================================================== load


def written_another_way(e164: str) -> str:
    d = e164[2:]
    return f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}"


def numbers(count: int, seeded: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        if rng.random() < 0.8:
            out.append(written_another_way(f"{SEED_PREFIX}{rng.randrange(seeded):07d}"))
        else:
            out.append(f"+7 916 {rng.randrange(10_000_000):07d}")
    return out


def measure(port: int, token: str, path: str, numbers_: list[str], clients: int) -> dict[str, Any]:
    """Closed loop: each client thread sends its share of the numbers over one keep-alive connection."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}"}

    def worker(share: list[str]) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        for number in share:
            started = time.perf_counter()
            conn.request("GET", f"{path}?number={quote(number)}", headers=headers)
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200 or not body:
                bad += 1
            mine.append(elapsed)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    wall = common.in_threads(worker, [(numbers_[k::clients],) for k in range(clients)])
    latencies.sort()
    return {"p50": common.percentile(latencies, 50), "p99": common.percentile(latencies, 99),
            "rps": len(latencies) / wall, "errors": errors, "n": len(latencies)}


# ====================================================================== orchestration


def bench_backend(backend: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    data_dir, env, base_url = common.backend_env(
        backend, work, postgres_db=BENCH_DB, postgres_url=args.postgres_url, name="telephony", log=log
    )
    out = data_dir / "seed.json"
    log(f"{backend}: migrating and seeding {args.leads:,} leads")
    started = time.perf_counter()
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--_seed"], env=env, check=True, cwd=str(ROOT),
                   input=json.dumps({"leads": args.leads, "out": str(out)}), text=True)
    seed = json.loads(out.read_text())
    log(f"{backend}: seeded {seed['leads']:,} leads in {time.perf_counter() - started:.0f} s")
    load_before = os.getloadavg()[0]
    port = common.free_port()
    server = common.start_server(env, port, args.threads, data_dir / "server.log")
    results: dict[str, dict[int, list[dict[str, Any]]]] = {"bare": {}, "lookup": {}}
    try:
        rng = random.Random(7)
        paths = {"bare": "/api/calls/bench/bare", "lookup": "/api/calls/lookup"}
        for path in paths.values():  # warm-up, dropped
            measure(port, seed["token"], path, numbers(200, seed["leads"], rng), 1)
        for round_no in range(args.rounds):
            order = ["bare", "lookup"] if round_no % 2 == 0 else ["lookup", "bare"]
            for clients in args.clients:
                for name in order:
                    cpu_before = common.process_cpu_seconds(server.pid)
                    result = measure(port, seed["token"], paths[name], numbers(args.requests, seed["leads"], rng),
                                     clients)
                    cpu_after = common.process_cpu_seconds(server.pid)
                    if cpu_before is not None and cpu_after is not None:
                        result["cpu_ms"] = (cpu_after - cpu_before) * 1000 / max(1, result["n"])
                    results[name].setdefault(clients, []).append(result)
                    log(f"{backend} round {round_no + 1} clients {clients} {name}: p50 {result['p50']:.2f} ms "
                        f"p99 {result['p99']:.2f} ms, {result['rps']:.0f} req/s, errors {result['errors']}")
    finally:
        common.stop_server(server)
        if base_url and not args.keep:
            common.recreate_postgres_db(base_url, BENCH_DB, drop_only=True)
    return {"backend": backend, "leads": seed["leads"], "results": results,
            "load": (load_before, os.getloadavg()[0])}


def med(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def cpu(rows: list[dict[str, Any]]) -> str:
    values = [row["cpu_ms"] for row in rows if "cpu_ms" in row]
    return f"{statistics.median(values):.2f}" if values else "?"


def render(runs: list[dict[str, Any]], args: argparse.Namespace) -> str:
    info = common.machine()
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        MARK_START,
        "## telephony: screen-pop lookup",
        "",
        f"Run {today} by `benchmarks/telephony.py` at `{common.git_revision()}` on {info['cpu']} "
        f"({info['cores']} cores, {info['ram']}, {info['os']}), Python {sys.version.split()[0]}, waitress "
        f"{args.threads} threads.",
        "",
        f"- Base: {runs[0]['leads']:,} leads with their phone and e-mail identity keys and a first task each.",
        "- Lookup: `GET /api/calls/lookup?number=...` with a manager's bearer token; 80% of the numbers are "
        "seeded ones written another way (`8 (900) ...` against the stored `+7900...`), 20% unknown. Baseline: "
        "`GET /api/calls/bench/bare?number=...`, the same token authentication and JSON answer, no lookup.",
        f"- Load: keep-alive `http.client` connections from another process, closed loop, {args.requests:,} "
        f"requests per endpoint per round, {args.rounds} rounds alternating the order; medians over rounds.",
        f"- Target: the lookup under {TARGET_P99_MS:.0f} ms over HTTP, judged at p50 and at p99 with one client "
        "(a screen pop is one request per call).",
        "",
        "| backend | clients | bare p50 / p99 ms | lookup p50 / p99 ms | lookup's own cost p50 ms | lookup req/s "
        "| server CPU ms/req, bare / lookup | errors | target | machine load avg (start, end) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for clients in args.clients:
            bare, look = run["results"]["bare"][clients], run["results"]["lookup"][clients]
            p99 = med(look, "p99")
            verdict = "-"
            if clients == 1:
                p50_ok = "met" if med(look, "p50") < TARGET_P99_MS else "NOT met"
                p99_ok = "met" if p99 < TARGET_P99_MS else "NOT met"
                verdict = f"p50 {p50_ok}, p99 {p99_ok}"
            lines.append(
                f"| {run['backend']} | {clients} | {med(bare, 'p50'):.2f} / {med(bare, 'p99'):.2f} | "
                f"{med(look, 'p50'):.2f} / {p99:.2f} | {med(look, 'p50') - med(bare, 'p50'):.2f} | "
                f"{med(look, 'rps'):.0f} | {cpu(bare)} / {cpu(look)} | {sum(r['errors'] for r in bare + look)} | "
                f"{verdict} | "
                f"{run['load'][0]:.1f}, {run['load'][1]:.1f} |"
            )
    lines += [
        "",
        f"The machine ({info['cores']} cores) was shared with other work during the run (the load average above): "
        "the bare endpoint's own figures show how much of each millisecond is the machine rather than the lookup. "
        "The server's CPU time per request (from /proc, the waitress process only) is the steadier measure of what "
        "the lookup itself costs.",
        "The lookup itself is one SQL statement over two indexes (the exact phone key in `matching_identitykey`, "
        "then the card by primary key with its owner, stage and open-task count); `test_lookup.py` pins the whole "
        "request at 2 queries, the token check included.",
        "",
        MARK_END,
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_seed":
        seed_main(json.loads(sys.stdin.read()))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")], default=[1, 4])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    work = Path(tempfile.mkdtemp(prefix="leadflow-telephony-bench-"))
    try:
        runs = [bench_backend(backend, args, work) for backend in backends]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    section = render(runs, args)
    common.publish("telephony", section, write=not args.no_doc)


if __name__ == "__main__":
    main()
