"""Nothing written because a lead closed may reach the model: it would score closed leads perfectly and
open ones badly. The features of a closed lead describe it as it was before it closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow.leads import services as leads
from leadflow.leads.models import Lead, Stage
from leadflow.scoring import features, services


def test_closing_facts_do_not_change_a_closed_leads_features(make_history, admin_user, alice):
    lead = next(p.lead for p in make_history(12, seed=21) if p.converts)
    before = features.rows_for([lead])[0]
    # What conversion wrote: state, stage, converted_at, a system timeline entry, closed tasks.
    assert lead.activities.filter(kind="system").exists()

    Lead.objects.filter(pk=lead.pk).update(
        stage=Stage.objects.exclude(pk=lead.stage_id).first(), owner=alice,
        converted_at=timezone.now() + timedelta(days=5))
    leads.log_activity(lead=lead, kind="meeting", by=admin_user)  # after closing: not the lead's early life
    leads.log_activity(lead=lead, kind="proposal", by=admin_user)
    lead = Lead.objects.select_related("source", "campaign", "team").get(pk=lead.pk)

    assert features.rows_for([lead])[0] == before
    assert before["meetings"] == 0 and before["calls"] == 1


def test_only_the_first_days_count_for_closed_and_open_leads_alike(make_history, admin_user, settings):
    settings.LEADFLOW_SCORING_WINDOW_DAYS = 14
    planted = make_history(1, seed=22, close=False)[0]
    lead = planted.lead
    leads.log_activity(lead=lead, kind="call", by=admin_user, occurred_at=lead.created_at + timedelta(days=13))
    leads.log_activity(lead=lead, kind="call", by=admin_user, occurred_at=lead.created_at + timedelta(days=15))
    assert features.rows_for([lead])[0]["calls"] == 2  # the planted first call and day 13, not day 15


def test_the_score_ignores_when_a_lead_closed(make_history, small_minimum):
    """Two bases equal but for their closing times train the same model."""
    make_history(50, seed=23)
    first = services.train_model()
    Lead.objects.filter(state="converted").update(converted_at=timezone.now() + timedelta(days=3))
    Lead.objects.filter(state="refused").update(refused_at=timezone.now() + timedelta(days=1))
    second = services.train_model()
    assert second.parameters["coef"] == pytest.approx(first.parameters["coef"])
    assert second.metrics["auc"] == pytest.approx(first.metrics["auc"])
    assert not {"stage", "state", "owner", "team", "converted_at", "refused_at", "lost_reason"} & set(second.features)


def test_a_temperature_reached_after_the_cutoff_does_not_reach_a_closed_lead(make_history, admin_user):
    """Converted clients buy and open mail: their cards warm up after closing. The model sees the temperature
    the lead had at its cutoff, as an open lead's is seen at the same point of its life."""
    from leadflow.warming.services import set_temperature

    lead = next(p.lead for p in make_history(12, seed=23) if p.converts)
    before = features.rows_for([lead])[0]
    assert before["temperature"] != "hot"
    set_temperature(lead, "hot", by=admin_user, reason="purchase after conversion")
    lead = Lead.objects.select_related("source", "campaign", "team").get(pk=lead.pk)
    assert lead.temperature == "hot"

    assert features.rows_for([lead])[0] == before

    # A change before the cutoff is the lead's early life and counts.
    from leadflow.leads.models import FieldChange

    FieldChange.objects.filter(lead=lead, field="temperature").update(changed_at=lead.created_at + timedelta(hours=1))
    assert features.rows_for([lead])[0]["temperature"] == "hot"
