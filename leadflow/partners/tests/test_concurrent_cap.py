"""A daily cap holds under simultaneous submissions: the database, not luck, decides who gets the last place."""

import threading

import pytest
from django.db import connection

from leadflow.intake import pipeline
from leadflow.intake.models import Partner
from leadflow.leads.models import Lead


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_new_leads_never_exceed_the_daily_cap(partner):
    row, _ = partner
    Partner.objects.filter(pk=row.pk).update(daily_cap=2)
    row.refresh_from_db()
    payloads = [{"name": f"Иван Петров{n}", "phone": f"+7912345670{n}"} for n in range(5)]
    barrier = threading.Barrier(len(payloads))
    statuses: list[str] = []

    def send(payload: dict) -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(pipeline.receive(pipeline.Inbound(channel="partner", payload=payload, partner=row)).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == ["created", "created", "invalid", "invalid", "invalid"]
    assert Lead.objects.count() == 2
