"""Train the score on the closed leads, score the open ones, and keep it fresh (the worker calls these)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.core.errors import Forbidden
from leadflow.leads.models import Lead, LeadState
from leadflow.scoring import features, learning
from leadflow.scoring.models import ModelStatus, Prediction, ScoringModel

log = logging.getLogger(__name__)

BATCH = 1000
REASONS = 4  # at most this many reasons per lead
MIN_EFFECT = 0.05  # a share of the log-odds smaller than this is not worth a line on the card
STALE_TRAINING = timedelta(hours=2)  # a run "training" for longer than this died with its worker


def specs() -> list[learning.Spec]:
    return [(feature.name, feature.kind) for feature in features.FEATURES]


def feature_names() -> list[str]:
    return [feature.name for feature in features.FEATURES]


def current_model() -> ScoringModel | None:
    """The newest finished run: a trained model, or the record that there were too few closed leads.

    A model trained on another set of features than this version's (an upgrade changed what the score learns
    from, e.g. first contact counted in working time) is passed over: its columns would read today's rows
    wrongly and score nonsense. The worker retrains at once (`retrain_when_due`)."""
    names = feature_names()
    for run in ScoringModel.objects.finished().order_by("-trained_at", "-id")[:20]:
        if not (run.is_trained and run.features != names):
            return run
    return None


def outdated(run: ScoringModel | None) -> bool:
    """A trained model whose features are not this version's (see current_model)."""
    return run is not None and run.is_trained and run.features != feature_names()


_fitted_cache: dict[tuple[int, str], learning.FittedModel] = {}


def fitted(model: ScoringModel) -> learning.FittedModel:
    """The model's numbers, read from its JSON once per process (a scored lead costs no re-parsing).

    Keyed by id *and* training time: a database may hand out an id again after a row is gone (SQLite does
    after a rollback), and a stale model must never score."""
    key = (model.pk, model.trained_at.isoformat() if model.trained_at else "")
    found = _fitted_cache.get(key)
    if found is None:
        found = learning.FittedModel.from_json(model.parameters)
        _fitted_cache.clear()  # only the model in use is worth keeping
        _fitted_cache[key] = found
    return found


# ---------------------------------------------------------------- training


def request_retrain(*, by: User) -> ScoringModel:
    """Queue a training run for the worker ("Retrain now"); one queued run serves every click."""
    if not by.is_admin:
        raise Forbidden()
    with transaction.atomic():
        pending = ScoringModel.objects.select_for_update().pending().first()
        if pending is not None:
            return pending
        return ScoringModel.objects.create(status=ModelStatus.QUEUED, requested_by=by)


def train_model(*, run: ScoringModel | None = None, now: datetime | None = None) -> ScoringModel:
    """Train on the closed leads and rescore the open ones; below the minimum, record that instead.

    `run` is a queued or claimed run (the worker's); without it a new run is made (the command line).
    """
    now = now or timezone.now()
    if run is None:
        run = ScoringModel.objects.create(status=ModelStatus.TRAINING, started_at=now)
    else:
        ScoringModel.objects.filter(pk=run.pk).update(status=ModelStatus.TRAINING, started_at=now)
        run.refresh_from_db()
    try:
        _train(run, now)
    except Exception as error:
        ScoringModel.objects.filter(pk=run.pk).update(status=ModelStatus.FAILED, error=repr(error)[:2000],
                                                      trained_at=timezone.now())
        raise
    if run.is_trained:
        run.n_scored = score_open_leads(model=run, now=now)
        run.save(update_fields=["n_scored"])
    return run


def _record_if_not_enough(run: ScoringModel, *, n_closed: int, n_positive: int) -> bool:
    """Set the counts on the run; below the minimum, finish it as "not enough closed leads" and say True."""
    run.n_closed, run.n_positive = n_closed, n_positive
    run.n_needed = settings.LEADFLOW_SCORING_MIN_CLOSED
    run.n_needed_per_class = max(settings.LEADFLOW_SCORING_MIN_PER_OUTCOME, learning.FOLDS)
    if run.n_closed >= run.n_needed and min(run.n_positive, run.n_negative) >= run.n_needed_per_class:
        return False
    run.status = ModelStatus.NOT_ENOUGH_DATA
    run.trained_at = timezone.now()
    run.save()
    return True


def _train(run: ScoringModel, now: datetime) -> None:
    limit = settings.LEADFLOW_SCORING_MAX_CLOSED
    # The newest closed leads: the business changes, and a recent sample describes today's leads best.
    closed = list(features.closed_leads()[:limit])
    labels = [features.label(lead) for lead in closed]
    if _record_if_not_enough(run, n_closed=len(closed), n_positive=sum(labels)):
        return
    rows: list[features.Row] = []
    for start in range(0, len(closed), BATCH):
        rows.extend(features.rows_for(closed[start:start + BATCH], now=now))
    # The figures shown on the metrics page come from leads each model had not seen (5-fold, the choice
    # of regularisation and the calibration redone inside every fold); the model kept is fitted on all.
    held_out = learning.cross_validated(rows, labels, specs())
    model = learning.fit(rows, labels, specs())
    run.metrics = learning.evaluate(labels, held_out)
    run.metrics["regularisation"] = model.regularisation
    run.metrics["window_days"] = settings.LEADFLOW_SCORING_WINDOW_DAYS
    run.parameters = model.as_json()
    run.features = feature_names()
    run.status = ModelStatus.TRAINED
    run.trained_at = timezone.now()
    run.error = ""
    run.save()


# ---------------------------------------------------------------- scoring


def reasons_for(shares: Sequence[float], row: features.Row) -> list[dict[str, object]]:
    """The features that moved this lead most, strongest first, with the lead's value of each."""
    ranked = sorted(range(len(shares)), key=lambda i: -abs(shares[i]))
    reasons = []
    for index in ranked[:REASONS]:
        if abs(shares[index]) < MIN_EFFECT:
            break
        name = features.FEATURES[index].name
        reasons.append({"field": name, "value": row[name], "effect": round(float(shares[index]), 3)})
    return reasons


def score_leads(leads: Sequence[Lead], *, model: ScoringModel, now: datetime | None = None) -> int:
    """Write the predictions of these leads (source, campaign and team loaded) in one upsert."""
    if not leads:
        return 0
    now = now or timezone.now()
    rows = features.rows_for(leads, now=now)
    probabilities, shares, _ = fitted(model).explain(rows)
    predictions = [
        Prediction(lead=lead, model=model, probability=float(probabilities[i]),
                   reasons=reasons_for(shares[i], rows[i]), scored_at=now)
        for i, lead in enumerate(leads)
    ]
    Prediction.objects.bulk_create(predictions, update_conflicts=True, unique_fields=["lead"],
                                   update_fields=["model", "probability", "reasons", "scored_at"])
    return len(predictions)


def score_open_leads(*, model: ScoringModel, now: datetime | None = None) -> int:
    """Rescore every open lead with this model, a batch at a time (keyset over ids, one upsert per batch)."""
    total, after = 0, 0
    base = Lead.objects.open().select_related("source", "campaign", "team").order_by("pk")
    while True:
        batch = list(base.filter(pk__gt=after)[:BATCH])
        if not batch:
            return total
        with transaction.atomic():
            total += score_leads(batch, model=model, now=now)
        after = batch[-1].pk


def score_lead(*, lead_id: int, now: datetime | None = None) -> bool:
    """Score one open lead with the model in use (a new lead, a new touch): cheap, no training."""
    model = current_model()
    if model is None or not model.is_trained:
        return False
    lead = Lead.objects.open().select_related("source", "campaign", "team").filter(pk=lead_id).first()
    if lead is None:
        return False
    score_leads([lead], model=model, now=now)
    return True


# ---------------------------------------------------------------- the worker's schedule


def retrain_when_due(*, now: datetime | None = None) -> int:
    """Queue a run when the last one is older than LEADFLOW_SCORING_RETRAIN_HOURS, then start queued runs.

    Each queued run is claimed by a conditional UPDATE (queued -> training), so of several workers one
    trains it; the training itself runs as a background job, not in the scheduler's thread.
    """
    from leadflow.scoring.tasks import train_queued_model

    now = now or timezone.now()
    ScoringModel.objects.filter(status=ModelStatus.TRAINING, started_at__lt=now - STALE_TRAINING).update(
        status=ModelStatus.FAILED, error="the worker stopped while training", trained_at=now)
    hours = settings.LEADFLOW_SCORING_RETRAIN_HOURS
    if not ScoringModel.objects.pending().exists():
        last = ScoringModel.objects.filter(trained_at__isnull=False).order_by("-trained_at", "-id").first()
        # A model of an older version's features cannot score at all: it is retrained now, even when retraining
        # is on demand only (LEADFLOW_SCORING_RETRAIN_HOURS=0), or the cards would show no score until someone
        # thought of it.
        if outdated(last) or (hours > 0 and (last is None or last.trained_at <= now - timedelta(hours=hours))):
            # Two counts decide whether there is anything to learn from; only then is a training job queued.
            closed = Lead.objects.filter(state__in=[LeadState.CONVERTED, LeadState.REFUSED])
            run = ScoringModel(status=ModelStatus.QUEUED, requested_at=now)
            if not _record_if_not_enough(run, n_closed=closed.count(),
                                         n_positive=closed.filter(state=LeadState.CONVERTED).count()):
                run.save()
    started = 0
    for pk in ScoringModel.objects.filter(status=ModelStatus.QUEUED).order_by("pk").values_list("pk", flat=True):
        if ScoringModel.objects.filter(pk=pk, status=ModelStatus.QUEUED).update(
                status=ModelStatus.TRAINING, started_at=now):
            transaction.on_commit(lambda pk=pk: train_queued_model.enqueue(pk))
            started += 1
    return started


def visible_prediction(*, lead: Lead) -> Prediction | None:
    """The prediction shown on a card: only one made by the model in use (or any, for a closed lead)."""
    prediction = Prediction.objects.select_related("model").filter(lead=lead).first()
    if prediction is None:
        return None
    if lead.state != LeadState.OPEN:
        return prediction
    current = current_model()
    return prediction if current is not None and prediction.model_id == current.pk else None
