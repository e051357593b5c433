"""The worker retrains on its schedule and on demand, and scores a new lead when it arrives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.scoring import services
from leadflow.scoring.models import ModelStatus, Prediction, ScoringModel
from leadflow.worker import deliver_events, run_scheduled_once

pytestmark = pytest.mark.usefixtures("small_minimum")


def test_worker_tick_trains_when_due_and_not_again_until_the_interval_passed(
        make_history, settings, django_capture_on_commit_callbacks):
    settings.LEADFLOW_SCORING_RETRAIN_HOURS = 24
    history = make_history(50, seed=11)
    open_lead = make_history(3, seed=12, close=False)[0].lead

    with django_capture_on_commit_callbacks(execute=True):
        result = run_scheduled_once()
    assert result["scoring"] == 1
    run = ScoringModel.objects.get()
    assert run.status == ModelStatus.TRAINED and run.n_closed == len(history) and run.n_scored == 3
    assert Prediction.objects.get(lead=open_lead).model == run

    with django_capture_on_commit_callbacks(execute=True):
        assert run_scheduled_once(now=timezone.now() + timedelta(hours=23))["scoring"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert run_scheduled_once(now=timezone.now() + timedelta(hours=25))["scoring"] == 1
    assert ScoringModel.objects.filter(status=ModelStatus.TRAINED).count() == 2
    assert Prediction.objects.get(lead=open_lead).model == services.current_model()


def test_retrain_now_is_queued_once_and_the_worker_trains_it(
        make_history, admin_user, settings, django_capture_on_commit_callbacks):
    settings.LEADFLOW_SCORING_RETRAIN_HOURS = 0  # no schedule: only on demand
    make_history(50, seed=13)
    client = HttpClient()
    client.force_login(admin_user)

    assert client.post("/scoring/retrain/").status_code == 302
    assert client.post("/scoring/retrain/").status_code == 302
    queued = ScoringModel.objects.get()
    assert (queued.status, queued.requested_by) == (ModelStatus.QUEUED, admin_user)
    assert 'data-testid="pending"' in client.get("/scoring/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        assert run_scheduled_once()["scoring"] == 1
    queued.refresh_from_db()
    assert queued.status == ModelStatus.TRAINED
    with django_capture_on_commit_callbacks(execute=True):
        assert run_scheduled_once()["scoring"] == 0
    assert ScoringModel.objects.count() == 1


def test_a_run_left_training_by_a_dead_worker_is_marked_failed(db):
    stuck = ScoringModel.objects.create(status=ModelStatus.TRAINING, started_at=timezone.now() - timedelta(hours=3))
    services.retrain_when_due()
    stuck.refresh_from_db()
    assert stuck.status == ModelStatus.FAILED


def test_a_new_lead_is_scored_when_its_event_is_delivered(make_history, make_lead, admin_user):
    make_history(50, seed=14)
    run = services.train_model()
    deliver_events()  # what the history's own events do is not this test's business
    lead = make_lead()
    assert not Prediction.objects.filter(lead=lead).exists()

    deliver_events()
    prediction = Prediction.objects.get(lead=lead)
    assert prediction.model == run and 0 < prediction.probability < 1

    # A new touch on the card is scored again with the activity counted.
    first = prediction.scored_at
    from leadflow.leads import services as leads

    leads.log_activity(lead=lead, kind="proposal", by=admin_user)
    deliver_events()
    prediction.refresh_from_db()
    assert prediction.scored_at > first


def test_without_a_model_a_new_lead_waits_quietly(make_lead):
    lead = make_lead()
    assert deliver_events().get("errors") is None
    assert not Prediction.objects.filter(lead=lead).exists()


def test_on_a_base_without_enough_closed_leads_the_tick_records_so_without_a_job(make_history, settings):
    settings.LEADFLOW_SCORING_RETRAIN_HOURS = 24
    make_history(10, seed=15)
    assert run_scheduled_once()["scoring"] == 0  # nothing to train: no job queued
    run = ScoringModel.objects.get()
    assert (run.status, run.n_closed, run.n_needed) == (ModelStatus.NOT_ENOUGH_DATA, 10, 40)
    assert run_scheduled_once()["scoring"] == 0
    assert ScoringModel.objects.count() == 1
