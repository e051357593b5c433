#!/usr/bin/env python
"""The partner report for a partner paid every month for three years vs. a partner paid for two months.

    .venv/bin/python benchmarks/partner_history.py                      # SQLite and PostgreSQL, ~5 min on 2 cores
    .venv/bin/python benchmarks/partner_history.py --backend sqlite --per-day 20 --repeat 3 --no-doc

Each backend runs in its own process with a fresh database (a SQLite file in a temporary data dir, or a fresh
`leadflow_partner_history_bench` database next to the one scripts/postgres.sh serves). Not timed: two partners at
150 per accepted lead sending --per-day submissions a day (60% accepted, 20% duplicates, 20% invalid; one accepted
lead in ten converted); the busy one for the last three years, the fresh one since the first day of the month before
last (the page's default dates). Every month that is over is marked paid with `partners.paid.close_period`, as the
administrator does, and after each payment accepted leads of months already paid are found to be duplicates (as a
merge finds them), so later payments settle adjustments and some are pending now, as many for each partner.

Timed, --repeat times, the default page's dates (this month and the two before it, per month) for each partner:
- ours: `partners.report.partner_report`, the pending adjustments compared by the database (`pending_adjustments`);
- the named baseline in the same run: the same report with the adjustments computed as before this change, every
  paid line and every submission of the paid dates read into Python;
- the report page as the administrator gets it (the whole Django request through the test client).
Both must list the same adjustments and figures, or the run fails. The section between the partner-history markers
in docs/benchmarks.md is rewritten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

NAME = "partner-history"
YEARS = 3


def baseline_pending_adjustments(partner: Any, span: Any) -> list:
    """The adjustments as they were computed before: every paid line of the partner summed in Python, every submission
    of the paid dates (with its payload) read and compared in Python. Its cost grows with the partner's history."""
    from django.db.models import Q, Sum

    from leadflow.partners.models import PaidEarning, PaidItem
    from leadflow.partners.paid import ZERO, Adjustment, _earned_now
    from leadflow.partners.terms import click_id_of

    if span is None:
        return []
    paid: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    for item in (PaidItem.objects.filter(period__partner=partner).values("submission_id", "earning")
                 .annotate(total=Sum("amount")).order_by()):
        paid[(item["submission_id"], item["earning"])] += item["total"]
    candidates = (Q(received_at__gte=span.since, received_at__lt=span.until)
                  | Q(lead__converted_at__gte=span.since, lead__converted_at__lt=span.until)
                  | Q(pk__in={key[0] for key in paid}))
    adjustments = []
    for key, (now, facts) in _earned_now(partner, candidates).items():
        moment = facts["received_at"] if key[1] == PaidEarning.LEAD else facts["lead__converted_at"]
        in_span = now if span.holds(moment) else ZERO
        difference = in_span - paid[key]
        if not difference:
            continue
        if key[1] == PaidEarning.LEAD:
            reason = ("accepted_after_payment" if difference > 0 else
                      "duplicate_found_later" if facts["duplicate_found_at"] else "no_longer_accepted")
        else:
            reason = ("conversion_undone" if not in_span else
                      "converted_in_paid_period" if not paid[key] else "payout_changed")
        adjustments.append(Adjustment(partner_id=partner.pk, partner=partner.name, submission_id=key[0],
                                      lead_id=facts["lead_id"], click_id=click_id_of(facts["payload"]),
                                      earning=key[1], reason=reason, amount=difference))
    adjustments.sort(key=lambda a: (a.submission_id, a.earning))
    return adjustments


def worker(backend: str, per_day: int, repeat: int) -> dict:
    common.fresh_django(backend, prefix="leadflow-partner-history-", postgres_db="leadflow_partner_history_bench")
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from leadflow.intake.models import Partner, Submission
    from leadflow.partners import report as report_module
    from leadflow.partners.forms import default_range
    from leadflow.partners.models import PaidItem, PaidPeriod
    from leadflow.partners.paid import pending_adjustments, site_zone

    started = time.perf_counter()
    today = timezone.localdate(timezone=site_zone())
    start, end = default_range(today)
    admin, busy, fresh = seed(per_day, today, start)
    seed_seconds = time.perf_counter() - started
    from leadflow.worker import optimize_database

    optimize_database()
    as_admin = Client(HTTP_HOST="127.0.0.1")
    as_admin.force_login(admin)
    as_admin.get("/partners/")  # warm-up: templates, translations, the session

    def figures(partner: Partner) -> tuple:
        result = report_module.partner_report(partners=Partner.objects.filter(pk=partner.pk), start=start, end=end,
                                              period="month", zone=site_zone())
        return (tuple((r.period, r.submitted, r.accepted, r.amount_due, r.adjustments, r.paid) for r in result.rows),
                tuple((a.submission_id, a.earning, a.reason, a.amount, a.paid_in.pk if a.paid_in else None)
                      for a in result.adjustments))

    def timed(job) -> tuple[list[float], Any]:  # type: ignore[no-untyped-def]
        times, result = [], None
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = job()
            times.append((time.perf_counter() - t0) * 1000)
        return times, result

    results = []
    for label, partner in (("fresh (2 months)", fresh), ("busy (3 years)", busy)):
        our_times, ours = timed(lambda partner=partner: figures(partner))
        report_module.pending_adjustments = baseline_pending_adjustments
        try:
            base_times, base = timed(lambda partner=partner: figures(partner))
        finally:
            report_module.pending_adjustments = pending_adjustments
        if ours != base:
            raise SystemExit(f"{label}: the report differs from the baseline's\n{ours}\n{base}")
        page_times, _ = timed(lambda partner=partner: as_admin.get("/partners/", {"partner": partner.pk}))
        pending = sum(1 for a in ours[1] if a[4] is None)
        results.append({
            "partner": label, "submissions": Submission.objects.filter(partner=partner).count(),
            "paid_periods": PaidPeriod.objects.filter(partner=partner).count(),
            "paid_lines": PaidItem.objects.filter(period__partner=partner).count(), "pending": pending,
            "ours": statistics.median(our_times), "baseline": statistics.median(base_times),
            "page": statistics.median(page_times)})
    with connection.cursor() as cursor:
        cursor.execute("select sqlite_version()" if backend == "sqlite" else "show server_version")
        version = cursor.fetchone()[0]
    return {"backend": backend, "db_version": version, "per_day": per_day, "seed_seconds": seed_seconds,
            "repeat": repeat, "start": start.isoformat(), "end": end.isoformat(), "results": results}


def seed(per_day: int, today: dt.date, fresh_from: dt.date):  # type: ignore[no-untyped-def]
    """Two partners, their submissions and leads, every month that is over marked paid (not timed)."""
    from leadflow.accounts.models import Team, User
    from leadflow.intake.models import Partner, Submission
    from leadflow.leads.models import Lead, Stage
    from leadflow.partners.paid import close_period as close
    from leadflow.partners.paid import midnight, period_amount

    rnd = random.Random(7)
    team = Team.objects.create(name="Sales", is_default=True)
    admin = User.objects.create_user(username="admin", role="admin", team=team, first_name="Admin",
                                     is_staff=True, is_superuser=True)
    busy = Partner.objects.create(name="Busy network", team=team, price_per_lead=Decimal("150"))
    fresh = Partner.objects.create(name="Fresh network", team=team, price_per_lead=Decimal("150"))
    stage = Stage.objects.filter(kind="open").order_by("position").first()
    now = dt.datetime.now(dt.UTC)
    busy_from = today.replace(year=today.year - YEARS, day=1)
    serial = 0

    def send(partner: Partner, first: dt.date, last: dt.date) -> None:
        nonlocal serial
        day = first
        while day <= last:
            leads, rows = [], []
            for _ in range(per_day):
                serial += 1
                received = midnight(day) + dt.timedelta(seconds=rnd.randrange(86400))
                if received >= now:
                    continue
                roll = rnd.random()
                status = "created" if roll < 0.6 else "attached" if roll < 0.8 else "invalid"
                lead = None
                if status == "created":
                    converted = received + dt.timedelta(days=rnd.randrange(1, 30)) if rnd.random() < 0.1 else None
                    converted = converted if converted and converted < now else None
                    lead = Lead(first_name="Иван", last_name="Петров", full_name=f"Петров Иван {serial}",
                                phone=f"+7916{serial:07d}", channel="partner", stage=stage, team=team,
                                created_at=received, state="converted" if converted else "open",
                                converted_at=converted)
                    leads.append(lead)
                rows.append(Submission(channel="partner", payload={"name": "Иван Петров", "click_id": f"c{serial}"},
                                       partner=partner, received_at=received, status=status, lead=lead,
                                       sender=f"partner:{partner.pk}",
                                       payout_lead=Decimal("150") if status == "created" else None))
            Lead.objects.bulk_create(leads)
            Submission.objects.bulk_create(rows)
            day += dt.timedelta(days=1)

    def found_later(partner: Partner, before: dt.date, count: int) -> None:
        """Accepted leads of paid months found to be duplicates, as a merge records it."""
        candidates = list(Submission.objects.filter(partner=partner, status="created", duplicate_found_at=None,
                                                    received_at__lt=midnight(before))
                          .values_list("pk", flat=True).order_by("?")[:count])
        Submission.objects.filter(pk__in=candidates).update(status="attached", duplicate_found_at=now)

    def pay_months(partner: Partner, first: dt.date) -> None:
        month = first
        while True:
            following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            last = following - dt.timedelta(days=1)
            if last >= today:
                return
            amount, _lines = period_amount(partner, month, last)
            close(partner=partner, start=month, end=last, amount_shown=amount, by=admin)
            found_later(partner, following, 2)
            month = following

    send(busy, busy_from, today)
    send(fresh, fresh_from, today)
    pay_months(busy, busy_from)
    pay_months(fresh, fresh_from)
    # As many pending for each: the busy partner's spread over three years, the fresh one's over its two months.
    found_later(busy, today.replace(day=1), 10)
    found_later(fresh, today.replace(day=1), 10)
    return admin, busy, fresh


def write_doc(runs: list[dict], command: str, seconds: float) -> str:
    lines = [*common.run_header(NAME, "Partner report after three years of paid months", command, seconds),
             f"- Data: two partners at 150 per accepted lead, each sending {runs[0]['per_day']} submissions a day "
             "(60% accepted, 20% duplicates, 20% invalid, one accepted lead in ten converted): the busy one for "
             f"{YEARS} years, the fresh one since the first day of the month before last. Every month that is over "
             "is marked paid (`close_period`); after each payment two accepted leads of paid months are found to be "
             "duplicates (settled with the next payment), and ten more since the last one are pending now.",
             f"- Timed: the report of the page's default dates ({runs[0]['start']} to {runs[0]['end']}, per month) "
             "for one partner. ours: `partner_report` with the pending adjustments compared by the database (one "
             "query, only the differing submissions come back); baseline, same run: the same report with the "
             "adjustments computed as before, every paid line and every submission of the paid dates read into "
             "Python; both must agree or the run fails. page: the whole request of /partners/?partner= as the "
             "administrator.",
             "- Figures are medians of the repeats, in ms.", ""]
    for run in runs:
        lines += [f"### {run['backend']} ({run['db_version']}), seeded in {run['seed_seconds']:.0f} s, "
                  f"{run['repeat']} repeats", "",
                  "| partner | submissions | paid periods | paid lines | pending | ours ms | baseline ms | "
                  "baseline / ours | page ms |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['partner']} | {r['submissions']:,} | {r['paid_periods']} | {r['paid_lines']:,} | "
                  f"{r['pending']} | {r['ours']:.1f} | {r['baseline']:.1f} | "
                  f"{r['baseline'] / max(r['ours'], 0.001):.1f}x | {r['page']:.1f} |" for r in run["results"]]
        busy, fresh = run["results"][1], run["results"][0]
        lines += ["", f"Busy / fresh: ours {busy['ours'] / max(fresh['ours'], 0.001):.1f}x, baseline "
                      f"{busy['baseline'] / max(fresh['baseline'], 0.001):.1f}x, page "
                      f"{busy['page'] / max(fresh['page'], 0.001):.1f}x.", ""]
    lines.append(common.markers(NAME)[1])
    section = "\n".join(lines)
    common.write_section(NAME, section)
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-day", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    common.main_per_backend(parser, lambda backend, args: worker(backend, args.per_day, args.repeat), write_doc)


if __name__ == "__main__":
    main()
