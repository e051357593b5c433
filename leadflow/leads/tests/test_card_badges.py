"""The card's header says where a lead stands once: a refused or converted lead's stage is its state ("Refused
Refused" read as a stutter), an open lead shows both (Open, Qualified)."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.leads import services
from leadflow.leads.models import LostReason

pytestmark = pytest.mark.django_db


def badges(user: User, lead) -> list[str]:
    browser = HttpClient()
    browser.force_login(user)
    html = browser.get(f"/leads/{lead.pk}/").content.decode()
    return re.findall(r'data-testid="lead-(?:state|stage)">([^<]*)<', html)


def test_a_refused_lead_says_refused_once(make_lead, alice: User) -> None:
    lead = make_lead(owner=alice)
    services.refuse_lead(lead=lead, reason=LostReason.objects.first(), note="", by=alice)
    assert badges(alice, lead) == ["Refused"]


def test_an_open_lead_shows_its_state_and_stage(make_lead, alice: User) -> None:
    lead = make_lead(owner=alice)
    assert badges(alice, lead) == ["Open", "New"]
