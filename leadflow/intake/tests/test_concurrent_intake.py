"""The same new person submitted twice at the same moment becomes one lead, not two; a web form's
double click arriving at once is one submission."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client as HttpClient

from leadflow.intake import pipeline, webform_rules
from leadflow.intake.models import Form, RateCounter, Submission
from leadflow.leads.models import Lead, Request


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_of_one_new_person_make_one_lead(partner, at_once):
    row, _ = partner
    payloads = [{"name": "Иван Петров", "phone": phone} for phone in
                ("+79123456789", "8 (912) 345-67-89", "8-912-345-6789", "+7 912 345 67 89")]
    statuses = at_once(
        lambda payload: pipeline.receive(pipeline.Inbound(channel="partner", payload=payload, partner=row)).status,
        payloads)

    assert sorted(statuses) == ["attached", "attached", "attached", "created"]
    assert Lead.objects.count() == 1
    assert Request.objects.filter(lead=Lead.objects.get()).count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_click_arriving_at_once_is_one_submission_and_rate_counts_are_not_lost(sales, settings):
    settings.LEADFLOW_FORM_RATE_PER_IP = 100
    form = Form.objects.create(name="Contact", slug="contact", team=sales, allowed_origins="https://shop.example")
    body = json.dumps({"name": "Иван Петров", "phone": "+79123456789", "visitor_id": "v1",
                       "_ts": webform_rules.issue_token(form, now=0)})
    clicks = 4
    barrier = threading.Barrier(clicks)
    answers: list[int] = []

    def click() -> None:
        try:
            barrier.wait(timeout=10)
            answers.append(HttpClient().post("/f/contact/submit", data=body, content_type="application/json",
                                             headers={"Origin": "https://shop.example"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert answers == [200] * clicks
    assert Submission.objects.count() == 1 and Lead.objects.count() == 1
    assert sum(RateCounter.objects.filter(key="ip:127.0.0.1").values_list("hits", flat=True)) == clicks
