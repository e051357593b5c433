"""Telephony fixtures: a Zadarma account and a generic PBX integration, each with its lines and extensions,
and an HTTP poster that talks to the live server the way the provider does."""

from __future__ import annotations

import importlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from leadflow.accounts.models import Team, User
from leadflow.telephony.models import Extension, Integration, Line, Provider

ZADARMA_SECRET = "zd-test-secret-3f9a"
GENERIC_SECRET = "pbx-test-secret-77c1"


@dataclass
class Answer:
    status: int
    body: Any


def http(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
         method: str = "POST") -> Answer:
    """One real HTTP request (urllib), returning status and the decoded body, errors included."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 (the test's own server)
            status, raw, kind = response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        status, raw, kind = error.code, error.read(), error.headers.get("Content-Type", "")
    return Answer(status, json.loads(raw) if "json" in kind else raw.decode())


@pytest.fixture
def stages(transactional_db: None) -> None:
    """A transactional test's flush empties the rows migrations put in (stages): put them back."""
    from django.apps import apps

    importlib.import_module("leadflow.leads.migrations.0002_default_stages").add_defaults(apps, None)


@pytest.fixture
def zadarma(sales: Team, other_team: Team, head: User, alice: User, bob: User, carol: User) -> Integration:
    """Sales answers +7 495 111-22-33; the wholesale team answers +7 499 333-44-55. Alice is on 101, bob on 102."""
    other_team.head = User.objects.create_user(username="olga", password="pw", role="head", team=other_team)
    other_team.save()
    integration = Integration.objects.create(name="Zadarma", provider=Provider.ZADARMA, secret=ZADARMA_SECRET,
                                             team=sales, time_zone="Europe/Moscow")
    Line.objects.create(integration=integration, number="+7 495 111-22-33", team=sales)
    Line.objects.create(integration=integration, number="74993334455", team=other_team)
    Extension.objects.create(integration=integration, extension="101", user=alice)
    Extension.objects.create(integration=integration, extension="102", user=bob)
    return integration


@pytest.fixture
def generic_pbx(sales: Team, alice: User) -> Integration:
    integration = Integration.objects.create(name="Office Asterisk", provider=Provider.GENERIC,
                                             secret=GENERIC_SECRET, team=sales)
    Extension.objects.create(integration=integration, extension="201", user=alice)
    return integration


@pytest.fixture
def events_url(live_server: Any) -> Callable[[Integration], str]:
    return lambda integration: f"{live_server.url}/api/telephony/{integration.pk}/events"


def form_body(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()
