"""Every operation of the REST API, fed what its schema allows and what it does not, by Schemathesis (in-process
over WSGI, on the test database): whatever a partner or a user sends, the answer is never a server error, its
status, content type and body are the ones the API's OpenAPI document promises (the document partners generate
their clients from), and an operation that needs a key or a token refuses a request without one.

By default the examples are derived from a fixed seed (25 per operation and way of generating), so a run is
repeatable and CI does not fail by chance; a change to the API changes the examples. `LEADFLOW_FUZZ_EXAMPLES=500
./test.sh tests/fuzz` looks harder, with fresh random examples each run.

What the checks leave out on purpose: a request the schema allows may still be refused with 422 and the field
named (a deferral into the past, a limit above the page size, an unknown field in a partner's payload), and the
lax reading of a number as a date (`since=0`) is accepted."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis import checks

from leadflow.accounts.models import UserToken
from leadflow.api import api

from .examples import examples

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/"))
schema.app = get_wsgi_application()

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture(autouse=True)
def _one_connection_per_test():  # type: ignore[no-untyped-def]
    """The real WSGI handler closes the database connection at the end of each request (a test's connection is in a
    transaction, so it counts as one to close): on PostgreSQL the next request would find it closed. Django's own
    test client keeps it the same way, by leaving these two signals out while it handles a request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(admin_user, partner, make_lead, alice):  # type: ignore[no-untyped-def]
    """An admin's token (every operation open to it) and a partner's key; one lead on the base to find."""
    _, token = UserToken.issue(user=admin_user)
    make_lead(first_name="Иван", last_name="Петров", owner=alice)
    return {"Authorization": f"Bearer {token}", "X-Api-Key": partner[1]}


@schema.parametrize()
@examples(25)
def test_any_request_gets_a_documented_answer_and_never_a_server_error(case, credentials):  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=credentials, checks=CHECKS)

