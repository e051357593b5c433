#!/usr/bin/env python
"""Import benchmark: a 100,000-row CSV into a base of 100,000 leads, next to named baselines, same run.

    .venv/bin/python benchmarks/imports.py                          # SQLite and PostgreSQL
    .venv/bin/python benchmarks/imports.py --backend sqlite --rows 20000 --seed-leads 20000 --no-doc

For each backend: a fresh database (a SQLite file in a temporary LEADFLOW_DATA_DIR, or a fresh
PostgreSQL database `leadflow_bench_imports` on the server scripts/postgres.sh starts, or on
--postgres-url / $LEADFLOW_BENCH_POSTGRES_URL), migrated and seeded with --seed-leads leads and their
identity keys (not timed). Then a windows-1251 `;` CSV of --rows rows is written, as an exhibition
export looks: ~80% new people, ~10% people already in the base (phone written another way), ~5% the
same person twice within the file, ~2.5% with no readable contact (refused), ~2.5% with a good phone
and an unreadable e-mail (a lead, the e-mail kept as given with a warning). Timed, in this order:

  1. read + map            read the file (encoding, delimiter) and build every row's payload
  2. read + validate       1 plus the pipeline's normalise/validate/classify of every row, no matching
  3. journal bulk insert   1 plus a bulk insert of every row as a Submission (the import's first step),
                           rolled back: the floor of any import that journals every row
  4. dry run               `leadflow import --dry-run`: validate, classify, match against the base and
                           the file, write nothing
  5. import                the real import: journal, pipeline (validate, match, attach or create,
                           route, first task, outbox), error file

and the dry run's counts are checked against the import's. Rewrites the `imports` section of
docs/benchmarks.md with rows/s, minutes per 100,000 rows and the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)
import intake as people  # the intake benchmark's synthetic people: names, phones, cities, messages

ROOT = common.ROOT
sys.path.insert(0, str(ROOT))
MARK_START, MARK_END = common.markers("imports")
BENCH_DB = "leadflow_bench_imports"
TARGET_MINUTES = 30.0  # "100,000 rows in minutes, not hours"
HEADER = ["ФИО", "Телефон", "E-mail", "Город", "Комментарий"]


log = common.logger()


# ====================================================================== the child: seed and measure


def seed(n: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from leadflow.accounts.models import Role, RoutingScheme, Team, User
    from leadflow.leads.models import Channel, Lead, LeadState
    from leadflow.leads.services import initial_stage
    from leadflow.marketing.models import Campaign, Source
    from leadflow.matching import services as matching
    from leadflow.matching.models import CardType, IdentityKey

    team = Team.objects.create(name="Bench sales", is_default=True, routing_scheme=RoutingScheme.POOL, sla_minutes=15)
    head = User.objects.create_user("bench-head", "head@bench.example.ru", None, role=Role.HEAD, team=team,
                                    first_name="Ольга")
    team.head = head
    team.save(update_fields=["head"])
    managers = [User.objects.create_user(f"bench-m{k}", f"m{k}@bench.example.ru", None, role=Role.MANAGER,
                                         team=team, first_name=f"Менеджер {k}") for k in range(4)]
    source = Source.objects.create(name="Exhibition", utm_source="expo")
    Campaign.objects.create(name="Expo 2026", utm_campaign="expo2026", source=source)
    stage = initial_stage()
    now = timezone.now()
    rng = random.Random(1)
    for start in range(0, n, 5000):
        with transaction.atomic():
            leads = []
            for i in range(start, min(start + 5000, n)):
                last, first, middle = people.person(i)
                created = now - dt.timedelta(minutes=rng.randrange(60, 365 * 24 * 60))
                leads.append(Lead(
                    pk=i + 1, last_name=last, first_name=first, middle_name=middle,
                    full_name=" ".join(p for p in (last, first, middle) if p), phone=people.seeded_phone(i),
                    email=f"lead{i}@mail.example.ru", city=people.CITIES[i % len(people.CITIES)],
                    state=LeadState.OPEN, stage=stage, team=team, owner=managers[i % 4] if i % 2 else None,
                    channel=Channel.FORM, consent_given=True, created_at=created,
                ))
            for lead in leads:
                if hasattr(lead, "folded_search_text"):
                    lead.search_text = lead.folded_search_text()
            common.insert_rows(Lead, leads, with_pk=True)
            common.insert_rows(IdentityKey, [row for lead in leads for row in
                                             matching._rows(CardType.LEAD, lead.pk, matching.facts_of_lead(lead))])
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Lead]):
            cursor.execute(statement)
        cursor.execute("ANALYZE")
    return {"head": head.username, "keys": IdentityKey.objects.count()}


def write_file(path: Path, rows: int, seed_leads: int) -> dict[str, int]:
    """The exhibition export: new people, people already in the base, repeats within the file, invalid rows."""
    import csv

    rng = random.Random(7)
    kinds = {"new": 0, "in_base": 0, "repeat_in_file": 0, "invalid": 0, "bad_email": 0}
    written_new: list[tuple[str, str]] = []
    with open(path, "w", encoding="cp1251", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        for k in range(rows):
            roll = rng.random()
            if roll < 0.10 and seed_leads:
                i = rng.randrange(seed_leads)
                last, first, _middle = people.person(i)
                row = [f"{first} {last}", people.phone_written_another_way(people.seeded_phone(i)), "", "", "повторно"]
                kinds["in_base"] += 1
            elif roll < 0.15 and written_new:
                name, phone = rng.choice(written_new)
                row = [name, people.phone_written_another_way(phone), "", "", "ещё раз на стенде"]
                kinds["repeat_in_file"] += 1
            elif roll < 0.20:
                last, first, middle = people.person(10_000_000 + k)
                bad_phone = rng.random() < 0.5
                row = [f"{last} {first} {middle}".strip(), "12-34" if bad_phone else f"+7 918 {k:07d}",
                       "" if bad_phone else f"bad{k}@", "", ""]
                kinds["invalid" if bad_phone else "bad_email"] += 1
            else:
                last, first, middle = people.person(10_000_000 + k)
                phone = f"+7916{k:07d}"
                name = f"{last} {first} {middle}".strip()
                written_new.append((name, phone))
                row = [name, f"8 916 {k:07d}", f"visitor{k}@mail.example.ru", rng.choice(people.CITIES), rng.choice(people.MESSAGES)]
                kinds["new"] += 1
            writer.writerow(row)
    return kinds


CPU: dict[str, float] = {}  # process CPU seconds per step: on a shared machine, wall time includes waiting


def timed(label: str, function: Any, *, key: str = "") -> tuple[float, Any]:
    log(f"{label} ...")
    started, cpu = time.perf_counter(), time.process_time()
    try:
        result = function()
    finally:
        CPU[key or label] = time.process_time() - cpu
    elapsed = time.perf_counter() - started
    log(f"{label}: {elapsed:.1f} s")
    return elapsed, result


def database_version(connection: Any) -> str:
    if connection.vendor != "postgresql":
        return __import__("sqlite3").sqlite_version
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def child_main(config: dict[str, Any]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from leadflow.accounts.models import User
    from leadflow.imports import services
    from leadflow.intake import pipeline
    from leadflow.intake.models import Submission
    from leadflow.leads.models import Lead
    from leadflow.marketing.models import Campaign, Source

    call_command("migrate", verbosity=0, interactive=False)
    seconds, seeded = timed(f"seeding {config['seed_leads']} leads", lambda: seed(config["seed_leads"]))
    path = Path(config["work"]) / "expo.csv"
    kinds = write_file(path, config["rows"], config["seed_leads"])
    head = User.objects.get(username=seeded["head"])
    job = services.create_job(upload=path, by=head)
    job = services.set_mapping(job=job, mapping=job.mapping, source=Source.objects.get(utm_source="expo"),
                               campaign=Campaign.objects.get(utm_campaign="expo2026"), by=head)
    job = type(job).objects.select_related("source", "campaign", "created_by").get(pk=job.pk)
    results: dict[str, Any] = {"seed_seconds": seconds, "keys": seeded["keys"], "kinds": kinds,
                               "file_bytes": path.stat().st_size, "encoding": job.encoding,
                               "delimiter": job.delimiter, "mapping": job.mapping, "vendor": connection.vendor,
                               "db_version": database_version(connection)}

    def read_and_map() -> int:
        return sum(1 for number, cells in services.data_rows(job) if services.row_payload(job, number, cells))

    sample = min(config["sample"], config["rows"])

    def read_and_validate() -> int:
        valid = 0
        for number, cells in itertools.islice(services.data_rows(job), sample):
            submission = Submission(channel="import", payload=services.row_payload(job, number, cells),
                                    submitted_by=head)
            parsed, errors = pipeline._parse(submission)
            if not errors:
                pipeline.classify(parsed)
                valid += 1
        return valid

    class Rollback(Exception):
        pass

    def journal_only() -> int:
        inserted = 0
        try:
            with transaction.atomic():
                batch = []
                for number, cells in services.data_rows(job):
                    batch.append(Submission(channel="import", payload=services.row_payload(job, number, cells),
                                            submitted_by=head, sender=f"bench:{job.pk}"))
                    if len(batch) == services.CHUNK:
                        Submission.objects.bulk_create(batch)
                        inserted += len(batch)
                        batch = []
                Submission.objects.bulk_create(batch)
                inserted += len(batch)
                raise Rollback
        except Rollback:
            pass
        return inserted

    steps = {}
    steps["read"], rows = timed("read + map", read_and_map, key="read")
    steps["validate"], valid = timed("read + validate", read_and_validate, key="validate")
    steps["journal"], inserted = timed("journal bulk insert", journal_only, key="journal")
    leads_before = Lead.objects.count()
    if sample < config["rows"]:
        # The dry run over the first `sample` rows only (a copy of the file cut there), to keep the run short.
        head_path = Path(config["work"]) / "expo-sample.csv"
        with open(path, encoding="cp1251") as source, open(head_path, "w", encoding="cp1251") as target:
            target.writelines(itertools.islice(source, sample + 1))
        dry_job = services.create_job(upload=head_path, by=head)
        dry_job = services.set_mapping(job=dry_job, mapping=job.mapping, source=job.source, campaign=job.campaign,
                                       by=head)
    else:
        dry_job = job
    steps["dry_run"], dry = timed(f"dry run of {sample} rows", lambda: services.dry_run(dry_job), key="dry_run")
    assert Lead.objects.count() == leads_before, "the dry run wrote leads"
    class TimeUp(Exception):
        pass

    limit = config.get("import_minutes") or 0
    import_started = time.perf_counter()
    stopped = {"rows": 0}

    def watch(done: int, total: int) -> None:
        stopped["rows"] = done
        if limit and time.perf_counter() - import_started > limit * 60 and done < total:
            raise TimeUp

    try:
        steps["import"], real = timed("import", lambda: services.run_import(job, progress=watch), key="import")
    except TimeUp:
        steps["import"] = time.perf_counter() - import_started
        job.refresh_from_db()
        real = job.counts
        log(f"import stopped at the time limit after {stopped['rows']} rows")
    results["import_rows"] = stopped["rows"]
    results.update(steps=steps, cpu=CPU, rows=rows, sample=sample, valid=valid, inserted=inserted, dry=dry, real=real,
                   leads_after=Lead.objects.count(), leads_before=leads_before)
    Path(config["out"]).write_text(json.dumps(results, indent=2, default=str))


# ====================================================================== the parent: databases and the report


def bench_backend(backend: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    data_dir, env, base_url = common.backend_env(
        backend, work, postgres_db=BENCH_DB, postgres_url=args.postgres_url, log=log
    )
    env.pop("LEADFLOW_BENCHMARK_ENDPOINTS", None)
    config = {"rows": args.rows, "seed_leads": args.seed_leads, "sample": args.sample or args.rows,
              "import_minutes": args.import_minutes, "work": str(data_dir), "out": str(data_dir / "out.json")}
    log(f"{backend}: {args.seed_leads} leads seeded, then {args.rows} rows imported")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", json.dumps(config)], env=env, check=True)
    result = json.loads((data_dir / "out.json").read_text())
    result["wall_minutes"] = (time.perf_counter() - started) / 60
    result["load"] = (load_before, os.getloadavg()[0])
    if base_url and not args.keep:
        common.recreate_postgres_db(base_url, BENCH_DB, drop_only=True)
    return result


def render(results: dict[str, dict[str, Any]], args: argparse.Namespace, started: dt.datetime, minutes: float,
           revision: str) -> str:
    info = common.machine()
    command = "  ".join(["python benchmarks/imports.py", *sys.argv[1:]]).strip()
    lines = [
        MARK_START,
        "## Imports: a 100,000-row CSV through the intake pipeline",
        "",
        *common.run_lines(command, minutes, started=started, revision=revision),
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['os']}; Python "
        f"{sys.version.split()[0]}, Django {common.version('django')}, openpyxl {common.version('openpyxl')}, "
        f"charset-normalizer {common.version('charset-normalizer')}. Shared with other work: see the load averages.",
        f"- Base: {args.seed_leads:,} leads with their identity keys (Russian names with a realistic skew), one "
        "pool-routed team with a head and 4 managers; settings as shipped (DEBUG off).",
        f"- File: {args.rows:,} rows, windows-1251, `;`, columns ФИО; Телефон; E-mail; Город; Комментарий "
        "(detected and mapped by the import itself), with a source and a campaign for every row.",
        "- Steps timed one after another in one process (`leadflow.imports.services`, as the worker runs them). "
        "The named baselines are *read + map* (the file alone), *read + validate* (plus the pipeline's "
        "normalise / validate / classify, no matching, no writes) and *journal bulk insert* (plus a bulk insert "
        "of every row as a Submission, rolled back): the floor of an import that journals every row.",
        f"- Target: 100,000 rows in minutes, not hours (here: the import of 100,000 rows under {TARGET_MINUTES:.0f} "
        "minutes).",
        "",
    ]
    labels = [("read", "read + map (baseline)"), ("validate", "read + validate (baseline)"),
              ("journal", "journal bulk insert (baseline)"), ("dry_run", "dry run (match, no writes)"),
              ("import", "**import** (journal + full pipeline)")]
    for backend, result in results.items():
        rows = result["rows"]
        steps = result["steps"]
        counted = {name: result["sample"] if name in ("validate", "dry_run") else rows for name in steps}
        counted["import"] = result["import_rows"]
        per_100k = {name: seconds / counted[name] * 100_000 / 60 for name, seconds in steps.items()}
        verdict = "met" if per_100k["import"] < TARGET_MINUTES else "NOT met"
        lines += [
            f"### {backend} ({result['db_version']}): target {verdict}, {per_100k['import']:.1f} min per 100,000 rows",
            "",
            f"Load average {result['load'][0]:.2f} before, {result['load'][1]:.2f} after; seeding took "
            f"{result['seed_seconds']:.0f} s ({result['keys']:,} identity keys). File: {result['file_bytes'] / 2**20:.1f} "
            f"MiB, detected `{result['encoding']}`, delimiter `{result['delimiter']}`.",
            "",
            "| step | rows | seconds | rows/s | minutes per 100,000 rows | import per row / step per row "
            "| CPU ms per row | CPU minutes per 100,000 rows |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, label in labels:
            seconds = steps[name]
            cpu = result.get("cpu", {}).get(name)
            cpu_cells = (f"{cpu / counted[name] * 1000:.2f} | {cpu / counted[name] * 100_000 / 60:.1f}"
                         if cpu is not None else "— | —")
            lines.append(f"| {label} | {counted[name]:,} | {seconds:.1f} | {counted[name] / seconds:,.0f} | "
                         f"{per_100k[name]:.2f} | {per_100k['import'] / per_100k[name]:.1f} | {cpu_cells} |")
        dry, real = result["dry"], result["real"]
        same = result["sample"] == rows == result["import_rows"] and all(
            dry[k] == real[k] for k in ("created", "attached", "interest", "invalid", "spam"))
        lines += [
            "",
            ("" if result["import_rows"] == rows else
             f"**The import was stopped at the time limit (--import-minutes {args.import_minutes}) after "
             f"{result['import_rows']:,} of {rows:,} rows**; its rate is over those rows. ")
            + f"Outcome: {real['created']:,} leads created, {real['attached']:,} attached, {real['interest']:,} interests, "
            f"{real['invalid']:,} invalid, {real['spam']:,} spam, {real['failed']:,} failed; the file held "
            f"{result['kinds']['new']:,} new people, {result['kinds']['in_base']:,} people already in the base, "
            f"{result['kinds']['repeat_in_file']:,} repeats within the file, {result['kinds']['invalid']:,} "
            f"rows with no readable contact (refused) and {result['kinds'].get('bad_email', 0):,} with a good phone "
            f"and an unreadable e-mail (leads, the e-mail kept as given with a warning). "
            + (f"Dry-run counts {'equal' if same else 'DIFFER from'} the import's. " if result["sample"] == rows else
               f"The dry run covered the first {result['sample']:,} rows: {dry['created']:,} would be created, "
               f"{dry['attached']:,} attached, {dry['invalid']:,} invalid. ")
            + "Leads: "
            f"{result['leads_before']:,} before, {result['leads_after']:,} after.",
            "",
        ]
    lines += [
        "CPU ms per row is this process's own CPU time (time.process_time) over the rows of the step: on a "
        "machine shared with other work it is what the step costs, where the wall time also counts waiting "
        "for a core. On PostgreSQL the database server's CPU is not included.",
        "",
        "The import costs what the pipeline costs per row (the intake section's in-process figures); what the "
        "import adds is batching: rows are journaled by one bulk insert per chunk of 200 and processed many "
        "rows per transaction (each row in its own savepoint; 25 on SQLite, whose write lock is let go between "
        "them for web requests, 200 on PostgreSQL), and notifications are collected into one summary per "
        "person instead of one e-mail per row.",
        MARK_END,
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed-leads", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=10_000,
                        help="rows for read + validate and the dry run (0: all); the others use every row")
    parser.add_argument("--postgres-url")
    parser.add_argument("--import-minutes", type=float, default=0,
                        help="stop the import after this many minutes and report the rate so far (0: no limit)")
    parser.add_argument("--no-doc", action="store_true", help="print the section instead of writing it")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and database")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(json.loads(args.child))
        return
    started = dt.datetime.now(dt.UTC)
    revision = common.git_revision()  # the code the run starts from, not whatever is checked out at its end
    clock = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="leadflow-imports-bench-"))
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    try:
        results = {backend: bench_backend(backend, args, work) for backend in backends}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    section = render(results, args, started, (time.perf_counter() - clock) / 60, revision)
    if args.no_doc:
        print(section)
    else:
        common.write_section("imports", section)
        log(f"wrote the imports section of {common.DOC}")


if __name__ == "__main__":
    main()
