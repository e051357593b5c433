"""Training on closed leads made through the real services: ranking, calibration, the minimum, reasons."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient
from sklearn.metrics import roc_auc_score

from leadflow.scoring import services
from leadflow.scoring.models import ModelStatus, Prediction, ScoringModel

pytestmark = pytest.mark.usefixtures("small_minimum")


def test_model_ranks_new_converters_higher_and_is_calibrated(make_history):
    make_history(200, seed=1)
    run = services.train_model()

    assert run.status == ModelStatus.TRAINED
    assert (run.n_closed, run.n_needed) == (200, 40)
    assert run.metrics["auc"] > 0.7  # cross-validated on the closed leads
    assert run.metrics["log_loss"] < run.metrics["base_log_loss"]
    assert abs(run.metrics["mean_predicted"] - run.metrics["observed_rate"]) < 0.05

    # Leads the model never saw, made by the same process and left open: the planted chance is known.
    fresh = make_history(120, seed=2, close=False)
    assert services.score_open_leads(model=run) == 120
    predicted = dict(Prediction.objects.filter(lead__in=[p.lead for p in fresh]).values_list("lead_id", "probability"))
    probabilities = np.array([predicted[p.lead.pk] for p in fresh])
    assert roc_auc_score([p.converts for p in fresh], probabilities) > 0.7
    # Calibration: on average it predicts the chance the leads really had, and it does not over-promise.
    true_chance = np.array([p.chance for p in fresh])
    assert abs(probabilities.mean() - true_chance.mean()) < 0.06
    assert np.corrcoef(probabilities, true_chance)[0, 1] > 0.8


def test_below_the_minimum_it_says_so_instead_of_guessing(make_history, make_lead, head):
    make_history(30, seed=3)
    run = services.train_model()

    assert run.status == ModelStatus.NOT_ENOUGH_DATA
    assert (run.n_closed, run.n_needed, run.n_needed_per_class) == (30, 40, 8)
    assert run.parameters == {}
    assert Prediction.objects.count() == 0
    with pytest.raises(CommandError, match="Not enough closed leads: 30 of 40 needed"):
        call_command("score", "--train")

    lead = make_lead()
    client = HttpClient()
    client.force_login(head)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f"Not enough closed leads to predict: 30 of 40 needed ({run.n_positive} converted" in page
    assert 'data-testid="score-percent"' not in page


def test_too_few_of_one_outcome_is_not_enough_either(make_history, settings):
    settings.LEADFLOW_SCORING_MIN_CLOSED = 20
    settings.LEADFLOW_SCORING_MIN_PER_OUTCOME = 40  # the planted base converts about a third
    make_history(60, seed=4)
    run = services.train_model()
    assert run.status == ModelStatus.NOT_ENOUGH_DATA
    assert min(run.n_positive, run.n_negative) < 40


def test_card_shows_percent_reasons_and_model_date_in_the_readers_language(make_history, head):
    make_history(160, seed=5)
    run = services.train_model()
    partner_lead = next(p.lead for p in make_history(12, seed=6, close=False) if p.lead.source.name == "Partner X")
    services.score_open_leads(model=run)
    prediction = Prediction.objects.get(lead=partner_lead)
    assert 1 <= len(prediction.reasons) <= services.REASONS
    assert {"field": "source", "value": "Partner X"}.items() <= next(
        reason for reason in prediction.reasons if reason["field"] == "source").items()

    client = HttpClient()
    client.force_login(head)
    page = client.get(f"/leads/{partner_lead.pk}/").content.decode()
    assert f"{round(prediction.probability * 100)} %" in page
    assert "+ source: Partner X" in page
    assert "Model of" in page

    head.language = "ru"
    head.save()
    page = client.get(f"/leads/{partner_lead.pk}/").content.decode()
    assert "+ источник: Partner X" in page
    assert "+ source: Partner X" not in page


def test_score_command_trains_and_rescoring_keeps_the_model(make_history, capsys):
    make_history(50, seed=7)
    call_command("score", "--train")
    out = capsys.readouterr().out
    run = ScoringModel.objects.get()
    assert f"Model #{run.pk}" in out and "50 closed leads" in out and "ROC AUC" in out
    make_history(5, seed=8, close=False)
    call_command("score")
    assert "Scored 5 open leads" in capsys.readouterr().out
    assert ScoringModel.objects.count() == 1
