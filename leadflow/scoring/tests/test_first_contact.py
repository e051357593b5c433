"""The score's "first contact" feature counts as speed to lead does: from the lead's reaching sales, in its team's
working time. A lead in on Friday evening and called first thing on Monday was called fast; the score must not learn
(nor tell a head on the card) that it waited three days. A model trained when the feature meant something else never
scores: the worker retrains it at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.leads.models import Lead
from leadflow.leads.services import initial_stage
from leadflow.scoring import features, services
from leadflow.scoring.models import ModelStatus, Prediction, ScoringModel
from leadflow.worker import run_scheduled_once

MOSCOW = ZoneInfo("Europe/Moscow")


def band(created: str, contacted: str | None, *, sales_since: str | None = None) -> str:
    """The feature of a lead of the company's calendar (Monday to Friday, 9 to 18 in Moscow)."""
    def moment(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text).replace(tzinfo=MOSCOW) if text else None

    lead = Lead.objects.create(full_name="Ivan Petrov", stage=initial_stage(), created_at=moment(created),
                               first_contacted_at=moment(contacted), sales_since=moment(sales_since))
    lead = Lead.objects.select_related("source", "campaign", "team").get(pk=lead.pk)
    return str(features.rows_for([lead], now=datetime(2026, 6, 1, tzinfo=MOSCOW))[0]["first_contact"])


def test_first_contact_is_counted_in_working_time(db):
    # Friday 17:55, called Monday 09:05: 10 working minutes, though 63 hours went by.
    assert band("2026-03-13 17:55", "2026-03-16 09:05") == "15m"
    # A Saturday lead called on Monday at 09:10 waited ten working minutes too.
    assert band("2026-03-14 12:00", "2026-03-16 09:10") == "15m"
    assert band("2026-03-10 10:00", "2026-03-10 10:40") == "1h"
    assert band("2026-03-10 10:00", "2026-03-10 17:30") == "1d"
    # Tuesday 10:00 to Wednesday 11:00 is 8 + 2 working hours: more than the 9-hour working day.
    assert band("2026-03-10 10:00", "2026-03-11 11:00") == "later"
    assert band("2026-03-10 10:00", None) == "none"


def test_first_contact_is_counted_from_the_lead_reaching_sales(db):
    """A lead nurtured by marketing for a week is handed to sales when hot: sales had it for 5 minutes."""
    assert band("2026-03-03 10:00", "2026-03-10 10:05", sales_since="2026-03-10 10:00") == "15m"


def test_the_reason_reads_in_working_time():
    assert (features.describe({"field": "first_contact", "value": "15m", "effect": 0.4})
            == "+ first contact: within 15 working minutes")


@pytest.mark.usefixtures("small_minimum")
def test_a_model_of_older_features_never_scores_and_is_retrained_at_once(
        make_history, make_lead, admin_user, settings, django_capture_on_commit_callbacks):
    settings.LEADFLOW_SCORING_RETRAIN_HOURS = 0  # retraining on demand only: an outdated model is retrained anyway
    make_history(50, seed=21)
    old = services.train_model()
    # The model as an earlier version trained it: first contact was then the wall-clock "response".
    ScoringModel.objects.filter(pk=old.pk).update(
        features=["response" if name == "first_contact" else name for name in services.feature_names()],
        trained_at=timezone.now() - timedelta(hours=1))
    lead = make_lead()
    assert Prediction.objects.filter(lead=lead).count() == 0

    assert services.current_model() is None
    assert services.score_lead(lead_id=lead.pk) is False
    client = HttpClient()
    client.force_login(admin_user)
    assert "score-percent" not in client.get(f"/leads/{lead.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        assert run_scheduled_once()["scoring"] == 1
    new = services.current_model()
    assert new is not None and new.pk != old.pk and new.status == ModelStatus.TRAINED
    assert new.features == services.feature_names()
    assert Prediction.objects.get(lead=lead).model == new
    assert "score-percent" in client.get(f"/leads/{lead.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_scheduled_once()["scoring"] == 0  # up to date: no more runs
