#!/usr/bin/env python
"""Scoring benchmark: the predictive score against an Odoo-style frequency naive Bayes, same splits, same run.

    .venv/bin/pip install --no-deps islp                  # the CoIL 2000 Caravan file (ISLP/data/Caravan.csv)
    .venv/bin/python benchmarks/scoring.py                 # Caravan + a synthetic CRM history, ~2 min
    .venv/bin/python benchmarks/scoring.py --splits 3 --leads 3000 --no-doc

Two data sets:

- CoIL 2000 "Caravan" (5,822 customers, 85 socio-demographic and product-ownership fields, ~6 % bought a
  caravan policy), shipped in the ISLP wheel. The two customer-type fields are categories, the other 83
  (coded levels 0-9) numbers.
- A synthetic CRM history: leads written into a fresh SQLite database through the app's models (leads,
  their requests, calls / e-mails / meetings / proposals / notes with times, system entries at closing, and
  activities logged *after* closing), turned into feature rows by the app's own `scoring.features.rows_for`
  (the code path the worker uses). Each lead's true chance to convert is a known function of its source,
  campaign, deal type, speed of first contact (decaying), calls (diminishing), meetings, proposals, a
  wholesale x proposal interaction, night arrivals and a corporate e-mail domain; the outcome is drawn from it.

On each data set, --splits stratified 70/30 splits (the same for both models): the app's model
(`scoring.learning.fit`: logistic regression, regularisation chosen by cross-validated log loss, Platt
calibration on out-of-fold decision values) and the baseline, an Odoo-style frequency naive Bayes written
from the description of Odoo's predictive lead scoring: for every field value, the share of won and of lost
leads having it; a lead's won-score is the product of its values' won shares times the won rate, likewise
for lost; the probability is won / (won + lost), raw, not calibrated. Numeric fields are used as discrete
values, as Odoo's frequency tables do; 0.1 is added to every count so an unseen value does not zero a
product. Reported: medians over the splits of ROC AUC, log loss, Brier, the log loss and Brier of always
predicting the training prevalence ("base rate"), and the calibration error (mean |predicted - observed| over
deciles of the prediction). Probabilities are clipped to [1e-6, 1 - 1e-6] for the log loss of both models.
Goal: AUC above the naive Bayes and log loss below the base rate's, on both sets.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ["OMP_NUM_THREADS"] = "1"  # before numpy loads: one core, as the worker trains

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

ROOT, DOC = common.ROOT, common.DOC
sys.path.insert(0, str(ROOT))
MARK_START, MARK_END = common.markers("scoring")


# ---------------------------------------------------------------- the baseline


class FrequencyNaiveBayes:
    """Odoo-style lead scoring: per field value, the frequency among won and among lost; product of ratios."""

    SMOOTHING = 0.1

    def fit(self, rows: list[dict[str, Any]], labels: list[int], fields: list[str]) -> FrequencyNaiveBayes:
        self.fields = fields
        self.won: dict[str, dict[str, float]] = {field: {} for field in fields}
        self.lost: dict[str, dict[str, float]] = {field: {} for field in fields}
        self.total_won = sum(labels)
        self.total_lost = len(labels) - self.total_won
        for row, label in zip(rows, labels, strict=True):
            table = self.won if label else self.lost
            for field in fields:
                value = str(row.get(field))
                table[field][value] = table[field].get(value, 0.0) + 1.0
        return self

    def predict(self, rows: list[dict[str, Any]]) -> list[float]:
        result = []
        prior_won = math.log(self.total_won / (self.total_won + self.total_lost))
        prior_lost = math.log(self.total_lost / (self.total_won + self.total_lost))
        for row in rows:
            won, lost = prior_won, prior_lost  # in logs: 85 small factors underflow a float product
            for field in self.fields:
                value = str(row.get(field))
                won += math.log((self.won[field].get(value, 0.0) + self.SMOOTHING) / (self.total_won + self.SMOOTHING))
                lost += math.log((self.lost[field].get(value, 0.0) + self.SMOOTHING)
                                 / (self.total_lost + self.SMOOTHING))
            result.append(1.0 / (1.0 + math.exp(min(lost - won, 700.0))))
        return result


# ---------------------------------------------------------------- data


def caravan() -> tuple[list[dict[str, Any]], list[int], list[tuple[str, str]]]:
    spec = importlib.util.find_spec("ISLP")
    path = Path(spec.origin).parent / "data" / "Caravan.csv" if spec and spec.origin else None
    if path is None or not path.exists():
        sys.exit("The Caravan data set is missing: install it with `.venv/bin/pip install --no-deps islp` "
                 "(it is ISLP/data/Caravan.csv inside that wheel).")
    with path.open(newline="") as handle:
        records = list(csv.DictReader(handle))
    fields = [name for name in records[0] if name and name != "Purchase"]
    categories = {"MOSTYPE", "MOSHOOFD"}  # customer subtype / main type: codes, not levels
    specs = [(name, "category" if name in categories else "number") for name in fields]
    rows = [{name: (record[name] if name in categories else float(record[name])) for name in fields}
            for record in records]
    labels = [int(record["Purchase"].strip().lower() == "yes") for record in records]
    return rows, labels, specs


SOURCES = {"yandex-direct": 0.0, "google-ads": -0.1, "seo": 0.3, "partner-a": 0.9, "partner-b": -0.5,
           "exhibition": 0.6, "social": -0.7, "newsletter": 0.2}
PRODUCTS = ["boilers", "pumps", "radiators", "pipes", "service"]


def synthetic(leads: int, seed: int) -> tuple[list[dict[str, Any]], list[int], list[tuple[str, str]], dict[str, Any]]:
    """Write a CRM history into a fresh database through the app's models; read it back as the app does."""
    os.environ["LEADFLOW_DATA_DIR"] = tempfile.mkdtemp(prefix="leadflow-scoring-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from leadflow.leads.models import Activity, Lead, Request, Stage
    from leadflow.marketing.models import Campaign, Source
    from leadflow.scoring import features, services

    rng = random.Random(seed)
    sources = {key: Source.objects.create(name=key.replace("-", " ").title(), utm_source=key) for key in SOURCES}
    campaigns = [Campaign.objects.create(name=f"Campaign {i}", utm_campaign=f"c{i}") for i in range(10)]
    campaign_effect = {c.pk: rng.gauss(0, 0.4) for c in campaigns}
    new = Stage.objects.order_by("position").first()
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    planned = []
    for k in range(leads):
        created = now - dt.timedelta(days=rng.uniform(40, 400), hours=rng.uniform(0, 24))
        source = rng.choice(list(SOURCES))
        campaign = rng.choice(campaigns) if source in ("yandex-direct", "google-ads", "social") else None
        wholesale = rng.random() < 0.35
        company = rng.random() < (0.8 if wholesale else 0.3)
        corporate = company and rng.random() < 0.7
        contacted = rng.random() < 0.85
        minutes = rng.lognormvariate(math.log(90), 1.6) if contacted else None
        calls = rng.choice([0, 1, 1, 2, 2, 3, 4, 6]) if contacted else 0
        meeting = contacted and rng.random() < 0.25
        proposal = contacted and rng.random() < 0.35
        hour = created.hour  # UTC; Moscow is +3
        logit = (-1.6 + SOURCES[source] + (campaign_effect[campaign.pk] if campaign else 0.0)
                 + (0.3 if wholesale else 0.0) + (0.35 if corporate else 0.0)
                 + (1.3 * math.exp(-minutes / 45) - 0.2 if minutes is not None else -1.0)
                 + 0.5 * math.log1p(calls) + (0.9 if meeting else 0.0) + (0.8 if proposal else 0.0)
                 + (0.9 if wholesale and proposal else 0.0) + (-0.4 if (hour + 3) % 24 < 6 else 0.0))
        converts = rng.random() < 1 / (1 + math.exp(-logit))
        closed = created + dt.timedelta(days=rng.uniform(2, 12) if converts else rng.uniform(1, 20))
        lead = Lead(
            full_name=f"Lead {k}", first_name="Lead", last_name=str(k), phone=f"+7915{k:07d}",
            email=f"person{k}@{'factory' + str(k % 50) + '.ru' if corporate else rng.choice(['mail.ru', 'gmail.com'])}",
            company_name=f"Company {k}" if company else "", city=rng.choice(["Moscow", "Kazan", ""]),
            product_interest=rng.choice(PRODUCTS), deal_type="wholesale" if wholesale else "retail",
            channel="partner" if source.startswith("partner") else rng.choice(["form", "email", "phone"]),
            source=sources[source], campaign=campaign, utm_source=source, stage=new,
            consent_given=rng.random() < 0.7, created_at=created,
            first_contacted_at=created + dt.timedelta(minutes=minutes) if minutes is not None else None,
            state="converted" if converts else "refused",
            converted_at=closed if converts else None, refused_at=None if converts else closed,
        )
        planned.append((lead, minutes, calls, meeting, proposal, closed))
    Lead.objects.bulk_create([p[0] for p in planned], batch_size=2000)
    activities, requests = [], []
    for lead, minutes, calls, meeting, proposal, closed in planned:
        requests.append(Request(lead=lead, channel=lead.channel, created_at=lead.created_at))
        if rng.random() < 0.15:
            requests.append(Request(lead=lead, channel="form", created_at=lead.created_at + dt.timedelta(days=1)))
        first = lead.created_at + dt.timedelta(minutes=minutes) if minutes is not None else None
        for i in range(calls):
            activities.append(Activity(lead=lead, kind="call", occurred_at=first + dt.timedelta(hours=20 * i)))
        if meeting:
            activities.append(Activity(lead=lead, kind="meeting", occurred_at=first + dt.timedelta(days=1)))
        if proposal:
            activities.append(Activity(lead=lead, kind="proposal", occurred_at=first + dt.timedelta(hours=30)))
        # What closing writes, and the work that follows a conversion: the features must not see either.
        activities.append(Activity(lead=lead, kind="system", subject="closed", occurred_at=closed))
        if lead.state == "converted":
            activities.append(Activity(lead=lead, kind="meeting", occurred_at=closed + dt.timedelta(days=1)))
    Activity.objects.bulk_create(activities, batch_size=5000)
    Request.objects.bulk_create(requests, batch_size=5000)
    generated = time.perf_counter() - started

    started = time.perf_counter()
    closed_leads = list(features.closed_leads())
    rows = []
    for start in range(0, len(closed_leads), services.BATCH):
        rows.extend(features.rows_for(closed_leads[start:start + services.BATCH]))
    read = time.perf_counter() - started
    labels = [features.label(lead) for lead in closed_leads]
    return rows, labels, services.specs(), {"generated_s": generated, "rows_s": read,
                                             "activities": len(activities)}


# ---------------------------------------------------------------- comparison


def calibration_error(table: list[dict[str, float]]) -> float:
    total = sum(row["n"] for row in table)
    return sum(row["n"] * abs(row["predicted"] - row["observed"]) for row in table) / total


def compare(name: str, rows: list[dict[str, Any]], labels: list[int], specs: list[tuple[str, str]],
            splits: int) -> dict[str, Any]:
    import numpy as np
    from sklearn.model_selection import StratifiedShuffleSplit

    from leadflow.scoring import learning

    y = np.asarray(labels)
    fields = [field for field, _ in specs]
    results: dict[str, list[dict[str, Any]]] = {"model": [], "naive_bayes": []}
    fit_seconds = []
    tables = {}
    splitter = StratifiedShuffleSplit(n_splits=splits, test_size=0.3, random_state=7)
    for index, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y)):
        train_rows, test_rows = [rows[i] for i in train], [rows[i] for i in test]
        prevalence = float(y[train].mean())
        started = time.perf_counter()
        model = learning.fit(train_rows, y[train], specs)
        fit_seconds.append(time.perf_counter() - started)
        ours = learning.evaluate(y[test], model.predict(test_rows), prevalence=prevalence)
        bayes = FrequencyNaiveBayes().fit(train_rows, list(y[train]), fields)
        theirs = learning.evaluate(y[test], bayes.predict(test_rows), prevalence=prevalence)
        results["model"].append(ours)
        results["naive_bayes"].append(theirs)
        if index == 0:
            tables = {"model": ours["calibration"], "naive_bayes": theirs["calibration"]}
        print(f"{name} split {index + 1}: model AUC {ours['auc']:.3f} log loss {ours['log_loss']:.3f} | "
              f"naive Bayes AUC {theirs['auc']:.3f} log loss {theirs['log_loss']:.3f} | "
              f"base {ours['base_log_loss']:.3f}", flush=True)
    summary: dict[str, Any] = {"name": name, "n": len(y), "positives": int(y.sum()), "fields": len(specs),
                               "splits": splits, "fit_s": statistics.median(fit_seconds), "tables": tables}
    for who, runs in results.items():
        summary[who] = {key: statistics.median(run[key] for run in runs)
                        for key in ("auc", "log_loss", "base_log_loss", "brier", "base_brier", "mean_predicted",
                                    "observed_rate")}
        summary[who]["calibration_error"] = statistics.median(calibration_error(run["calibration"]) for run in runs)
    model, bayes = summary["model"], summary["naive_bayes"]
    summary["goal_met"] = model["auc"] > bayes["auc"] and model["log_loss"] < model["base_log_loss"]
    return summary


def section(summaries: list[dict[str, Any]], command: str, extra: dict[str, Any]) -> str:
    import numpy
    import sklearn

    lines = [MARK_START, "## Predictive score against an Odoo-style naive Bayes", "",
             f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `{command}` on {common.machine_line()}; Python "
             f"{platform.python_version()}, scikit-learn {sklearn.__version__}, numpy {numpy.__version__}, "
             "`OMP_NUM_THREADS=1`. The machine was shared with other workers.", "",
             "Model: the app's `scoring.learning.fit` (logistic regression, regularisation by cross-validated log "
             "loss, Platt calibration on out-of-fold decision values). Baseline in the same run, on the same "
             "stratified 70/30 splits: a frequency naive Bayes as Odoo's predictive lead scoring describes it "
             "(per field value the share of won and of lost leads, product of ratios, raw probability). "
             "Base rate: always predicting the training set's conversion rate. Figures are medians over the "
             "splits; calibration error is the mean |predicted − observed| over deciles of the prediction. "
             "Goal: AUC above the naive Bayes and log loss below the base rate's, on both sets.", ""]
    for s in summaries:
        model, bayes = s["model"], s["naive_bayes"]
        lines += [f"### {s['name']}: {s['n']:,} rows, {s['positives']:,} positive "
                  f"({s['positives'] / s['n']:.1%}), {s['fields']} fields, {s['splits']} splits — goal "
                  f"{'met' if s['goal_met'] else 'NOT met'}", "",
                  "| | ROC AUC | log loss | Brier | calibration error | mean predicted | observed |",
                  "|---|---:|---:|---:|---:|---:|---:|",
                  f"| Leadflow score | **{model['auc']:.3f}** | **{model['log_loss']:.3f}** | {model['brier']:.4f} | "
                  f"{model['calibration_error']:.3f} | {model['mean_predicted']:.3f} | {model['observed_rate']:.3f} |",
                  f"| Odoo-style naive Bayes | {bayes['auc']:.3f} | {bayes['log_loss']:.3f} | {bayes['brier']:.4f} | "
                  f"{bayes['calibration_error']:.3f} | {bayes['mean_predicted']:.3f} | {bayes['observed_rate']:.3f} |",
                  f"| base rate | 0.500 | {model['base_log_loss']:.3f} | {model['base_brier']:.4f} | | | |", "",
                  f"AUC ratio score / naive Bayes {model['auc'] / bayes['auc']:.3f}; log loss ratio score / base rate "
                  f"{model['log_loss'] / model['base_log_loss']:.3f}, naive Bayes / base rate "
                  f"{bayes['log_loss'] / model['base_log_loss']:.2f}. Median fit time of the score "
                  f"{s['fit_s']:.2f} s on {int(s['n'] * 0.7):,} rows.", "",
                  "Calibration on the first split (deciles of the prediction: predicted / observed):", "",
                  "| decile | score predicted | observed | naive Bayes predicted | observed |",
                  "|---:|---:|---:|---:|---:|"]
        for i, (ours, theirs) in enumerate(zip(s["tables"]["model"], s["tables"]["naive_bayes"], strict=True)):
            lines.append(f"| {i + 1} | {ours['predicted']:.3f} | {ours['observed']:.3f} | "
                         f"{theirs['predicted']:.3f} | {theirs['observed']:.3f} |")
        lines.append("")
    if extra:
        lines += [f"The synthetic history was written through the app's models ({extra['activities']:,} activities, "
                  f"including system entries at closing and meetings logged after conversion, which the features "
                  f"must ignore) in {extra['generated_s']:.1f} s; `features.rows_for` read it back into rows in "
                  f"{extra['rows_s']:.1f} s.", ""]
    lines.append(MARK_END)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--splits", type=int, default=5, help="stratified 70/30 splits per data set (5)")
    parser.add_argument("--leads", type=int, default=6000, help="closed leads in the synthetic history (6000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    command = " ".join([".venv/bin/python benchmarks/scoring.py", *sys.argv[1:]])

    rows, labels, specs = caravan()  # fails first, with the install hint, when the file is missing
    rows_crm, labels_crm, specs_crm, extra = synthetic(args.leads, args.seed)
    summaries = [compare("CoIL 2000 Caravan", rows, labels, specs, args.splits),
                 compare("Synthetic CRM history", rows_crm, labels_crm, specs_crm, args.splits)]
    text = section(summaries, command, extra)
    common.publish("scoring", text, write=not args.no_doc)
    if not args.no_doc:
        print(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
