"""A daily cap holds under simultaneous submissions: the database, not luck, decides who gets the last place."""


import pytest

from leadflow.intake import pipeline
from leadflow.intake.models import Partner
from leadflow.leads.models import Lead


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_new_leads_never_exceed_the_daily_cap(partner, at_once):
    row, _ = partner
    Partner.objects.filter(pk=row.pk).update(daily_cap=2)
    row.refresh_from_db()
    payloads = [{"name": f"Иван Петров{n}", "phone": f"+7912345670{n}"} for n in range(5)]
    statuses = at_once(
        lambda payload: pipeline.receive(pipeline.Inbound(channel="partner", payload=payload, partner=row)).status,
        payloads)

    assert sorted(statuses) == ["created", "created", "invalid", "invalid", "invalid"]
    assert Lead.objects.count() == 2
