"""Migration 0019 dates when each existing lead came to sales, so speed to lead counts from there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

BEFORE, AFTER = ("leads", "0018_lead_temperature_indexes"), ("leads", "0019_sales_since")


@pytest.mark.django_db(transaction=True)
def test_existing_leads_are_with_sales_since_creation_or_their_hand_off(migrate_to) -> None:
    apps = migrate_to(BEFORE)
    lead_model, change, stage_model = (apps.get_model("leads", name) for name in ("Lead", "StageChange", "Stage"))
    # A transactional test run before this one on the same worker flushes the stages the data migration made.
    new, _ = stage_model.objects.get_or_create(code="new", defaults={"name": "New"})
    created = timezone.now() - timedelta(days=10)
    handed, second_hand_off = created + timedelta(days=3), created + timedelta(days=8)

    def lead(state: str, due: bool) -> int:
        return lead_model.objects.create(full_name=state, state=state, stage=new, created_at=created,
                                         sla_due_at=created + timedelta(minutes=15) if due else None).pk

    direct, warmed, with_marketing = lead("open", True), lead("open", True), lead("nurturing", False)
    change.objects.create(lead_id=warmed, to_stage=new, from_state="", to_state="nurturing", changed_at=created)
    for moment in (second_hand_off, handed):  # the first hand-off counts, whatever the rows' order
        change.objects.create(lead_id=warmed, to_stage=new, from_state="nurturing", to_state="open",
                              changed_at=moment)

    lead_model = migrate_to(AFTER).get_model("leads", "Lead")
    since = dict(lead_model.objects.values_list("pk", "sales_since"))
    assert since == {direct: created, warmed: handed, with_marketing: None}
