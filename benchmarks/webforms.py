#!/usr/bin/env python
"""Web form submissions: what the form's rules cost on top of the intake pipeline, same run baseline.

    .venv/bin/python benchmarks/webforms.py                     # SQLite and PostgreSQL
    .venv/bin/python benchmarks/webforms.py --backend sqlite --leads 20000 --submissions 300

Each backend runs in its own process with a fresh database (a SQLite file in a temporary data dir, or a
fresh `leadflow_webforms_bench` database next to the one scripts/postgres.sh serves): migrate, seed the
leads in bulk (not timed), then send new people through two doors in alternating rounds, timing the whole
Django request through the test client (no network):

- baseline: `POST /api/submissions` with the form's public key: journal + pipeline, nothing else;
- web form: `POST /f/<slug>/submit` as the embed script sends it: origin check, size check, rate limits
  per IP and per form (two counter upserts), the double-submit lookup, the signed render time, then the
  same journal + pipeline.

Also timed: the hosted page `GET /f/<slug>` and the embed script's `GET /f/<slug>/config`. Target: the web
form's median at most 1.3x the baseline's. The section between the webforms markers in
docs/benchmarks.md is rewritten.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

MARK_END = common.markers("webforms")[1]
TARGET_RATIO = 1.3
ORIGIN = "https://shop.example.com"


def worker(backend: str, leads: int, submissions: int, rounds: int) -> dict:
    # The load comes from one address: the limits are counted as usual but set out of reach.
    limits = {"LEADFLOW_FORM_RATE_PER_IP": str(10**9), "LEADFLOW_FORM_RATE_PER_FORM": str(10**9)}
    common.fresh_django(backend, prefix="leadflow-webforms-", postgres_db="leadflow_webforms_bench", environ=limits)
    from django.db import connection
    from django.test import Client

    from leadflow.intake import webform_rules
    from leadflow.intake.models import Submission

    started = time.perf_counter()
    form = seed(leads)
    seed_seconds = time.perf_counter() - started

    client = Client(HTTP_HOST="127.0.0.1")
    counter = iter(range(10**9))

    def body() -> dict:
        n = next(counter)
        return {"name": f"Петров Пётр {n}", "phone": f"+7925{n:07d}", "email": f"new{n}@example.ru",
                "consent": True, "utm_source": "google", "utm_campaign": "spring", "message": "Перезвоните"}

    def via_api() -> float:
        data = json.dumps(body())
        began = time.perf_counter()
        response = client.post("/api/submissions", data=data, content_type="application/json",
                               headers={"X-Form-Key": form.public_key})
        elapsed = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, response.content
        return elapsed

    def via_form() -> float:
        data = json.dumps({**body(), "_ts": webform_rules.issue_token(form, now=time.time() - 20),
                           "visitor_id": "bench", "landing_page": f"{ORIGIN}/contact?utm_source=google",
                           "first_touch": {"utm_source": "yandex", "landing_page": f"{ORIGIN}/"}})
        began = time.perf_counter()
        response = client.post(f"/f/{form.slug}/submit", data=data, content_type="application/json",
                               headers={"Origin": ORIGIN})
        elapsed = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, response.content
        return elapsed

    def get(url: str) -> float:
        began = time.perf_counter()
        response = client.get(url, headers={"Origin": ORIGIN})
        elapsed = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, url
        return elapsed

    for _ in range(20):  # warm both doors
        via_api()
        via_form()
    times: dict[str, list[float]] = {"api": [], "form": [], "page": [], "config": []}
    per_round = max(1, submissions // rounds)
    for _ in range(rounds):
        times["api"] += [via_api() for _ in range(per_round)]
        times["form"] += [via_form() for _ in range(per_round)]
        times["page"] += [get(f"/f/{form.slug}") for _ in range(per_round // 4 or 1)]
        times["config"] += [get(f"/f/{form.slug}/config") for _ in range(per_round // 4 or 1)]
    statuses = set(Submission.objects.values_list("status", flat=True))
    assert statuses == {"created"}, statuses  # every timed submission made a lead: same work on both doors

    def summary(values: list[float]) -> dict:
        ordered = sorted(values)
        return {"n": len(values), "p50": statistics.median(values), "p90": ordered[int(len(ordered) * 0.9) - 1]}

    return {"backend": backend, "db_version": f"{connection.vendor} {connection.Database.sqlite_version}"
            if connection.vendor == "sqlite" else f"PostgreSQL {connection.pg_version // 10000}",
            "leads": leads, "seed_seconds": seed_seconds, **{k: summary(v) for k, v in times.items()}}


def seed(total: int):
    """Leads in bulk (not timed), with their identity keys so matching looks them up as in production."""
    from django.utils import timezone

    from leadflow.accounts.models import Team
    from leadflow.intake.models import Form
    from leadflow.leads.models import Lead, Stage
    from leadflow.matching import services as matching
    from leadflow.matching.models import CardType

    team = Team.objects.create(name="Sales", is_default=True)
    stage = Stage.objects.filter(kind="open").order_by("position").first()
    now = timezone.now()
    batch = 5000
    for start in range(0, total, batch):
        rows = [Lead(first_name="Иван", last_name=f"Seed{n}", full_name=f"Seed{n} Иван", phone=f"+7916{n:07d}",
                     email=f"lead{n}@example.ru", channel="form", stage=stage, team=team, created_at=now)
                for n in range(start, min(start + batch, total))]
        created = Lead.objects.bulk_create(rows)
        if created[0].pk is None:
            created = list(Lead.objects.order_by("-pk")[: len(rows)])
        for lead in created:
            matching.register_keys(card_type=CardType.LEAD, card_id=lead.pk, facts=matching.Facts(
                phones=[matching.PhoneFact(lead.phone, "")], emails=[lead.email], first_name=lead.first_name,
                last_name=lead.last_name))
    return Form.objects.create(name="Contact", slug="contact", team=team, allowed_origins=ORIGIN,
                               consent_text="I agree.", consent_text_version="v1", min_fill_seconds=3)


def write_doc(runs: list[dict], command: str, seconds: float) -> str:
    lines = [*common.run_header("webforms", "Web forms: the form's rules on top of the intake pipeline", command,
                                seconds),
             "- Server time: the whole Django request through the test client, no network; every timed "
             "submission is a new person who becomes a lead (matching against the seeded base).",
             "- Baseline in the same run, alternating rounds: `POST /api/submissions` with the form's public key "
             "(journal + pipeline only). Web form: `POST /f/<slug>/submit` as the embed script sends it (origin, "
             "size, rate limits per IP and per form, double-submit lookup, signed render time, first touch).",
             f"- Target: web form median at most {TARGET_RATIO}x the baseline's.", ""]
    for run in runs:
        ratio = run["form"]["p50"] / max(run["api"]["p50"], 0.001)
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        lines += [f"### {run['backend']} ({run['db_version']}), {run['leads']:,} leads "
                  f"(seeded in {run['seed_seconds']:.0f} s): ratio {ratio:.2f}, target {verdict}", "",
                  "| request | n | p50 ms | p90 ms |", "|---|---:|---:|---:|"]
        for key, label in (("api", "baseline: POST /api/submissions (form key)"),
                           ("form", "web form: POST /f/<slug>/submit"),
                           ("page", "hosted page: GET /f/<slug>"), ("config", "embed: GET /f/<slug>/config")):
            lines.append(f"| {label} | {run[key]['n']} | {run[key]['p50']:.1f} | {run[key]['p90']:.1f} |")
        lines.append("")
    lines.append(MARK_END)
    section = "\n".join(lines)
    common.write_section("webforms", section)
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--submissions", type=int, default=400, help="per door, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    common.main_per_backend(
        parser, lambda backend, args: worker(backend, args.leads, args.submissions, args.rounds), write_doc)


if __name__ == "__main__":
    main()
