"""The same new person submitted twice at the same moment becomes one lead, not two."""

import threading

import pytest
from django.db import connection

from leadflow.intake import pipeline
from leadflow.leads.models import Lead, Request


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_of_one_new_person_make_one_lead(partner):
    row, _ = partner
    payloads = [{"name": "Иван Петров", "phone": phone} for phone in
                ("+79123456789", "8 (912) 345-67-89", "8-912-345-6789", "+7 912 345 67 89")]
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

    assert sorted(statuses) == ["attached", "attached", "attached", "created"]
    assert Lead.objects.count() == 1
    assert Request.objects.filter(lead=Lead.objects.get()).count() == 4
