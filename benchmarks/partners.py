#!/usr/bin/env python
"""The partner report over a year of partner submissions: database aggregation vs. counting in Python.

    .venv/bin/python benchmarks/partners.py                        # SQLite and PostgreSQL, 200,000 submissions
    .venv/bin/python benchmarks/partners.py --backend sqlite --submissions 50000 --repeat 5

Each backend runs in its own process with a fresh database (a SQLite file in a temporary data dir, or
a fresh `leadflow_partners_bench` database next to the one scripts/postgres.sh serves): migrate, seed
20 partners and their submissions over the last 365 days (60% accepted, 20% duplicates, 20% invalid;
one accepted lead in ten converted later; not timed), then time, --repeat times:
- ours: `partners.report.partner_report` (GROUP BY partner and month / day in the database);
- the named baseline in the same run: the same figures counted in Python from the submission rows;
- the report page as the head of sales gets it (the whole Django request through the test client).
Both computations must give the same figures, or the run fails. The section between the partners
markers in docs/benchmarks.md is rewritten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

MARK_END = common.markers("partners")[1]
PARTNERS = 20


def worker(backend: str, submissions: int, repeat: int) -> dict:
    common.fresh_django(backend, prefix="leadflow-partners-", postgres_db="leadflow_partners_bench")
    from django.db import connection

    started = time.perf_counter()
    head = seed(submissions)
    seed_seconds = time.perf_counter() - started
    from leadflow.worker import optimize_database

    optimize_database()

    from zoneinfo import ZoneInfo

    from django.test import Client
    from django.utils import timezone

    from leadflow.intake.models import Partner
    from leadflow.partners.report import partner_report

    zone = ZoneInfo("Europe/Moscow")
    end = timezone.localdate()
    year_ago = end - dt.timedelta(days=364)
    as_head = Client(HTTP_HOST="127.0.0.1")
    as_head.force_login(head)

    def ours(period: str, start: dt.date) -> dict:
        report = partner_report(partners=Partner.objects.all(), start=start, end=end, period=period, zone=zone)
        return {(r.partner_id, r.period.isoformat()): (r.submitted, r.accepted, r.duplicates, r.invalid,
                                                       r.converted, str(r.amount_due)) for r in report.rows}

    def timed(job) -> tuple[list[float], object]:  # type: ignore[no-untyped-def]
        times, result = [], None
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = job()
            times.append((time.perf_counter() - t0) * 1000)
        return times, result

    as_head.get("/partners/")  # warm-up: templates, translations, the session
    results = []
    # A year per month; per day the page allows a quarter at most (92 days).
    for period, first in (("month", year_ago), ("day", end - dt.timedelta(days=91))):
        our_times, our_figures = timed(lambda period=period, first=first: ours(period, first))
        base_times, base_figures = timed(lambda period=period, first=first: baseline(first, end, period, zone))
        if our_figures != base_figures:
            raise SystemExit(f"figures differ for {period}: the report is wrong or the baseline is")
        page_times, _ = timed(lambda period=period, first=first: as_head.get(
            "/partners/", {"start": first.isoformat(), "end": end.isoformat(), "period": period}))
        results.append({"period": period, "days": (end - first).days + 1, "rows": len(our_figures),
                        "ours": statistics.median(our_times), "baseline": statistics.median(base_times),
                        "page": statistics.median(page_times)})
    with connection.cursor() as cursor:
        cursor.execute("select sqlite_version()" if backend == "sqlite" else "show server_version")
        version = cursor.fetchone()[0]
    return {"backend": backend, "db_version": version, "submissions": submissions, "seed_seconds": seed_seconds,
            "repeat": repeat, "results": results}


def baseline(start: dt.date, end: dt.date, period: str, zone) -> dict:  # type: ignore[no-untyped-def]
    """The same figures the obvious way: read every submission row in the range and count in Python."""
    from decimal import Decimal

    from leadflow.intake.models import Partner, Submission

    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    partners = {p.pk: p for p in Partner.objects.all()}

    def bucket(moment: dt.datetime) -> str:
        local = moment.astimezone(zone).date()
        return (local.replace(day=1) if period == "month" else local).isoformat()

    figures: dict[tuple[int, str], list] = {}

    def row(key: tuple[int, str]) -> list:
        return figures.setdefault(key, [0, 0, 0, 0, 0])

    for partner_id, received_at, status in Submission.objects.filter(
            partner__isnull=False, received_at__gte=since, received_at__lt=until).values_list(
            "partner_id", "received_at", "status").iterator(chunk_size=5000):
        counts = row((partner_id, bucket(received_at)))
        counts[0] += 1
        counts[1] += status == "created"
        counts[2] += status == "attached"
        counts[3] += status in ("invalid", "spam", "interest")
    for partner_id, converted_at in Submission.objects.filter(
            partner__isnull=False, status="created", lead__converted_at__gte=since,
            lead__converted_at__lt=until).values_list("partner_id", "lead__converted_at").iterator(chunk_size=5000):
        row((partner_id, bucket(converted_at)))[4] += 1
    out = {}
    for (partner_id, day), (submitted, accepted, duplicates, invalid, converted) in figures.items():
        partner = partners[partner_id]
        amount = partner.price_per_client * converted if partner.payout_model == "client" else \
            partner.price_per_lead * accepted
        out[(partner_id, day)] = (submitted, accepted, duplicates, invalid, converted, str(Decimal(amount)))
    return out


def seed(total: int):  # type: ignore[no-untyped-def]
    """Partners, submissions over a year, their leads (not timed)."""
    import random
    from decimal import Decimal

    from django.utils import timezone

    from leadflow.accounts.models import Team, User
    from leadflow.intake.models import Partner, Submission
    from leadflow.leads.models import Lead, Stage

    rnd = random.Random(11)
    team = Team.objects.create(name="Sales", is_default=True)
    head = User.objects.create_user(username="head", role="head", team=team, first_name="Head")
    team.head = head  # the team's head is its `head` (leads.querysets.headed_team_ids), not any head of sales in it
    team.save(update_fields=["head"])
    partners = [Partner.objects.create(name=f"Partner {i:02d}", team=team, price_per_lead=Decimal("150"),
                                       payout_model="client" if i % 4 == 0 else "lead",
                                       price_per_client=Decimal("2500.50")) for i in range(PARTNERS)]
    stage = Stage.objects.filter(kind="open").order_by("position").first()
    now = timezone.now()
    batch = 5000
    for first in range(0, total, batch):
        rows = []
        leads = []
        for n in range(first, min(first + batch, total)):
            received = now - dt.timedelta(seconds=rnd.randrange(364 * 86400))
            roll = rnd.random()
            status = "created" if roll < 0.6 else "attached" if roll < 0.8 else "invalid"
            lead = None
            if status == "created":
                converted = received + dt.timedelta(days=rnd.randrange(1, 30)) if rnd.random() < 0.1 else None
                converted = converted if converted and converted < now else None
                lead = Lead(first_name="Иван", last_name="Петров", full_name=f"Петров Иван {n}",
                            phone=f"+7916{n:07d}", channel="partner", stage=stage, team=team, created_at=received,
                            state="converted" if converted else "open", converted_at=converted)
                leads.append(lead)
            rows.append((partners[rnd.randrange(PARTNERS)], received, status, lead))
        created = Lead.objects.bulk_create(leads)
        if created and created[0].pk is None:
            raise SystemExit("this backend does not return ids from bulk_create")
        Submission.objects.bulk_create([
            Submission(channel="partner", payload={"name": "Иван Петров", "click_id": f"c{i}"}, partner=partner,
                       received_at=received, status=status, lead=lead, sender=f"partner:{partner.pk}")
            for i, (partner, received, status, lead) in enumerate(rows)])
    return head


def write_doc(runs: list[dict], command: str, seconds: float) -> str:
    lines = [*common.run_header("partners", "Partner report over a year of partner submissions", command, seconds),
             f"- Data: {PARTNERS} partners, submissions spread over the last 365 days (60% accepted, 20% "
             "duplicates, 20% invalid), one accepted lead in ten converted within 30 days. Per month over the whole year, per day over the "
             "last 92 days (the most the page allows per day).",
             "- ours: `partner_report` (GROUP BY partner and period in the database, conversions in a second "
             "query); baseline, same run: the same figures counted in Python from every submission row; both "
             "must agree or the run fails. page: the whole Django request of /partners/ as the head of sales.",
             "- Figures are medians of the repeats, in ms.", ""]
    for run in runs:
        lines += [f"### {run['backend']} ({run['db_version']}), {run['submissions']:,} submissions "
                  f"(seeded in {run['seed_seconds']:.0f} s, {run['repeat']} repeats)", "",
                  "| period | days | rows | ours ms | baseline ms | baseline / ours | page ms |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['period']} | {r['days']} | {r['rows']:,} | {r['ours']:.1f} | {r['baseline']:.1f} | "
                  f"{r['baseline'] / max(r['ours'], 0.001):.1f}x | {r['page']:.1f} |" for r in run["results"]]
        lines.append("")
    lines.append(MARK_END)
    section = "\n".join(lines)
    common.write_section("partners", section)
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    common.main_per_backend(parser, lambda backend, args: worker(backend, args.submissions, args.repeat), write_doc)


if __name__ == "__main__":
    main()
