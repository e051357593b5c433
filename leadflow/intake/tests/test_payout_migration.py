"""Migration 0006 keeps the partner report's past amounts: what was owed at the prices of the time stays owed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from leadflow.leads.models import Lead

BEFORE, AFTER = ("intake", "0005_form_hand_to_sales"), ("intake", "0006_partner_payouts_as_earned")


@pytest.mark.django_db(transaction=True)
def test_existing_submissions_are_priced_as_the_report_priced_them(make_lead, migrate_to) -> None:
    converted_id, open_id = make_lead().pk, make_lead().pk
    Lead.objects.filter(pk=converted_id).update(converted_at=timezone.now())
    apps = migrate_to(BEFORE)
    partner_model, submission = apps.get_model("intake", "Partner"), apps.get_model("intake", "Submission")
    lead_model = apps.get_model("leads", "Lead")
    per_lead = partner_model.objects.create(name="CPA", key_prefix="a", key_hash="a", price_per_lead=Decimal("150"))
    per_client = partner_model.objects.create(name="Dealer", key_prefix="b", key_hash="b", payout_model="client",
                                              price_per_lead=Decimal("9"), price_per_client=Decimal("1000.50"))
    converted, still_open = lead_model.objects.get(pk=converted_id), lead_model.objects.get(pk=open_id)
    rows = {
        "lead-open": submission.objects.create(channel="partner", partner=per_lead, status="created", lead=still_open),
        "lead-converted": submission.objects.create(channel="partner", partner=per_lead, status="created",
                                                    lead=converted),
        "client-converted": submission.objects.create(channel="partner", partner=per_client, status="created",
                                                      lead=converted),
        "client-open": submission.objects.create(channel="partner", partner=per_client, status="created",
                                                 lead=still_open),
        "duplicate": submission.objects.create(channel="partner", partner=per_lead, status="attached", lead=converted),
    }

    submission = migrate_to(AFTER).get_model("intake", "Submission")
    priced = {name: tuple(submission.objects.filter(pk=row.pk).values_list("payout_lead", "payout_client").get())
              for name, row in rows.items()}
    assert priced == {
        "lead-open": (Decimal("150"), None),
        "lead-converted": (Decimal("150"), Decimal("0")),
        "client-converted": (Decimal("0"), Decimal("1000.50")),
        "client-open": (Decimal("0"), None),
        "duplicate": (None, None),
    }
