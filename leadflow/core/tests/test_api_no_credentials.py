"""Who is asking, on every operation of the REST API: a request without a token, a key or a session is refused with
401 and the API's error body, before anything is read or written. The walk is over the API's own OpenAPI document,
so an operation added later is covered without anyone remembering to add it here."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from leadflow.api import api
from leadflow.intake.models import Submission
from leadflow.leads.models import Lead
from leadflow.telephony.models import Integration

pytestmark = pytest.mark.django_db


def operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema(path_prefix="/api/")
    return [(method.upper(), path) for path, methods in schema["paths"].items() for method in methods]


def test_the_walk_sees_the_whole_api() -> None:
    assert len(operations()) >= 59
    assert ("POST", "/api/submissions") in operations()


@pytest.mark.parametrize(("method", "path"), operations())
def test_no_credentials_is_refused_with_401(method, path, make_lead, partner, sales) -> None:
    lead = make_lead(first_name="Иван", last_name="Петров")
    integration = Integration.objects.create(name="PBX", team=sales)
    submission = Submission.objects.create(channel="partner", payload={"name": "Иван"}, partner=partner[0],
                                           status="created", lead=lead, sender=f"partner:{partner[0].pk}")
    ids = {"lead_id": lead.pk, "submission_id": submission.pk, "integration_id": integration.pk}
    url = re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)
    before = (Lead.objects.count(), Submission.objects.count())
    response = HttpClient().generic(method, url, data=b"{}", content_type="application/json")
    assert response.status_code == 401, (method, path, response.status_code)
    # A PBX's webhook says why more precisely: its per-integration signature is missing.
    assert response.json()["error"]["code"] in {"unauthorized", "bad_signature"}
    assert (Lead.objects.count(), Submission.objects.count()) == before
