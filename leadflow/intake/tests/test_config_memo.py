"""Configuration read on every submission is remembered per process, but a change made in the admin
takes effect on the next submission: a deactivated partner key stops working at once, and a source
or campaign created for a UTM value is used for the very next lead carrying it."""

import json

import pytest
from django.test import Client as HttpClient

from leadflow.leads.models import Lead
from leadflow.marketing.models import Campaign, Source

pytestmark = pytest.mark.django_db


def submit(key: str, body: dict):
    return HttpClient().post("/api/submissions", data=json.dumps(body), content_type="application/json",
                             headers={"X-Api-Key": key})


def test_a_deactivated_partner_key_is_refused_on_the_next_submission(partner):
    row, key = partner
    assert submit(key, {"name": "Иван Петров", "phone": "+79123456789"}).status_code == 201
    row.is_active = False
    row.save()
    response = submit(key, {"name": "Пётр Иванов", "phone": "+79123456780"})
    assert response.status_code == 401
    assert Lead.objects.count() == 1


def test_a_source_and_campaign_created_later_are_used_for_the_next_lead(partner):
    _, key = partner
    assert submit(key, {"name": "Иван Петров", "phone": "+79123456789", "utm_source": "Yandex",
                        "utm_campaign": "winter"}).status_code == 201
    first = Lead.objects.get()
    assert first.utm_source == "Yandex" and first.source_id == (partner[0].source_id)
    assert first.campaign_id is None

    source = Source.objects.create(name="Yandex Direct", utm_source="yandex")
    campaign = Campaign.objects.create(name="Winter", utm_campaign="winter", source=source)
    assert submit(key, {"name": "Пётр Иванов", "phone": "+79123456780", "utm_source": "YANDEX",
                        "utm_campaign": "winter"}).status_code == 201
    second = Lead.objects.exclude(pk=first.pk).get()
    assert (second.source_id, second.campaign_id) == (source.pk, campaign.pk)

    # Its UTM value changed in the admin (a source that brought leads is not deleted: test_history_keys).
    source.utm_source = "yandex-direct"
    source.save()
    assert submit(key, {"name": "Анна Смирнова", "phone": "+79123456781", "utm_source": "yandex"}).status_code == 201
    assert Lead.objects.get(phone="+79123456781").source_id == partner[0].source_id
