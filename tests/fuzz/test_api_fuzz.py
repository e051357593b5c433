"""Every operation of the REST API, fed what its schema allows and what it does not, by Schemathesis (in-process
over WSGI, on the test database): whatever a partner or a user sends, the answer is never a server error, its
status, content type and body are the ones the API's OpenAPI document promises (the document partners generate
their clients from), and an operation that needs a key or a token refuses a request without one. The document also
states the limits the API enforces: a request it allows is accepted (positive_data_acceptance) and one it does not
is refused (negative_data_rejection), so a client generated from it knows the page sizes, choices, lengths and date
formats before it sends anything.

By default the examples are derived from a fixed seed (25 per operation and way of generating), so a run is
repeatable and CI does not fail by chance; a change to the API changes the examples. `LEADFLOW_FUZZ_EXAMPLES=500
./test.sh tests/fuzz` looks harder, with fresh random examples each run.

What the checks leave out on purpose, each listed below with its reason: a request the schema allows that is
refused with 422 naming the field by a rule JSON Schema cannot state (a deferral into the past, a record that must
exist, one field or another; REFUSED_THOUGH_VALID), the public submission endpoint's leniency with what web forms
send (ACCEPTED_THOUGH_INVALID), and NUL characters, which the document forbids once in its description.

Below Schemathesis, a sweep of its own reads every field of every JSON body from the document and sends it each value
of a JSON type the document does not give it, and every integer, boolean and date of a query string each spelling
its type does not allow: each must be refused with 422 naming the field and the type it takes."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client as HttpClient
from schemathesis import checks

from leadflow.accounts.models import UserToken
from leadflow.api import api

from .examples import examples

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/"))
schema.app = get_wsgi_application()
# The API refuses NUL (U+0000) in any string or key, naming the field (PostgreSQL cannot store it); the document
# says so once, in its description, rather than as a pattern on every string of every operation.
schema.config.generation.update(allow_x00=False)

# Requests the document allows that the API refuses all the same (422, the field named), each by a rule JSON Schema
# cannot state: the field's description (or the operation's) says it. By operation, then the field the refusal
# names ("__all__": the request as a whole). Anything else the document allows must be accepted.
EXISTING = "names a record that must exist: the database knows, not the document"
PAST = "a time relative to now: already past, or out of the window allowed"
PERSON = {"__all__": "at least one of lead, client, email, phone, telegram",
          "email": "an e-mail address that cannot be read", "phone": "a phone number that cannot be read",
          "telegram": "not a Telegram account (@name or a t.me link)"}
REFUSED_THOUGH_VALID: dict[str, dict[str, str]] = {
    "POST /api/submissions": {
        "__all__": "a lead needs a name and a phone or an e-mail: one field or another",
        "phone": "a phone number that cannot be read (libphonenumber decides, not a pattern)",
        "email": "an e-mail address that cannot be read (its domain, its form)",
        "company_size": "a size written as text that does not read as a number of people",
        "landing_page": "an http(s) address that does not read as one", "referrer": "an http(s) address",
        "deal_type": "retail or wholesale in the words people write (a list of synonyms, not an enum)",
    },
    "GET /api/leads": {"cursor": "only a cursor the API gave out"},
    "PATCH /api/leads/{lead_id}": {
        "phone": "a phone number that cannot be read", "email": "an e-mail address that cannot be read",
        "telegram": "not a Telegram account (@name or a t.me link)",
        "__all__": "a lead keeps a name and a contact: the fields given together with the card as it is",
    },
    "POST /api/leads/{lead_id}/assign": {"owner_id": EXISTING},
    "POST /api/leads/{lead_id}/stage": {"stage": EXISTING + " (the admin configures stages)"},
    "POST /api/leads/{lead_id}/refuse": {"reason_id": EXISTING},
    "POST /api/leads/{lead_id}/defer": {"until": PAST},
    "POST /api/leads/{lead_id}/convert": {
        "owner_id": EXISTING, "first_task_due_at": PAST,
        "company.name": "a company given needs a name", "company.inn": "check digits",
        "company.kpp": "a tax number's form", "company.ogrn": "check digits",
    },
    "POST /api/tasks": {
        "lead_id": "exactly one of lead_id and client_id", "__all__": "one lead or one client (0 is neither)",
        "due_at": PAST, "assignee_id": EXISTING,
        "assignee": "the person may not work that card", "kind": "a client's task is not the pool's `assign`",
    },
    "POST /api/tasks/{task_id}/complete": {"next_title": "next_title and next_due_at together",
                                           "next_due_at": "next_title and next_due_at together, and " + PAST},
    "POST /api/interests/{interest_id}/promote": {
        "phone": "a phone number that cannot be read", "email": "an e-mail address that cannot be read",
        "__all__": "a lead needs a name and a phone or an e-mail, given or on the interest already",
    },
    "POST /api/merges": {"survivor_id": "a converted lead must be the survivor", "choices.*": "a mergeable field"},
    "POST /api/contacts/merges": {"choices.*": "a mergeable field"},
    "POST /api/clients/{client_id}/tasks": {"due_at": PAST, "assignee_id": EXISTING},
    "POST /api/clients/{client_id}/tasks/{task_id}/complete": {
        "next_title": "next_title and next_due_at together",
        "next_due_at": "next_title and next_due_at together, and " + PAST},
    "GET /api/calls/lookup": {"number": "a phone number that cannot be read"},
    "GET /api/partner/report": {"end": "at most three years from start, not before it",
                                "period": "per day, at most 93 days"},
    "GET /api/privacy/export": PERSON,
    "POST /api/privacy/erase": PERSON,
    "GET /api/privacy/consents": {"__all__": "the lead or the client"},
    "POST /api/privacy/consents/withdraw": {"__all__": "the lead or the client"},
    "POST /api/segments": {"name": "no other segment's name", "conditions.*": "a field segments filter on"},
    "POST /api/events": {
        "occurred_at": PAST, "__all__": "exactly one of lead_id, email, phone, visitor_id", "lead_id": EXISTING,
        "email": "an e-mail address that cannot be read", "phone": "a phone number that cannot be read",
    },
}


def whole_floats(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(whole_floats(item) for item in value.values())
    if isinstance(value, list):
        return any(whole_floats(item) for item in value)
    return False


def schema_valid_request_is_accepted(ctx, response, case):  # type: ignore[no-untyped-def]
    """Schemathesis's positive_data_acceptance, but for the refusals listed above (by every field the refusal
    names, so a second, unlisted refusal in the same answer still fails)."""
    known = REFUSED_THOUGH_VALID.get(case.operation.label, {})
    if response.status_code == 422 and isinstance(case.body, dict):
        # A field the operation ignores still may not hold what no database keeps (an integer past 64 bits): the
        # document's description says so for every body, as no schema of an ignored field can.
        declared = set(case.operation.body[0].resolved_schema.get("properties", {})) \
            if len(case.operation.body) else set()
        refused = {name.split(".")[0] for name in response.json()["error"]["fields"]}
        if refused and not refused & declared and refused <= {str(key) for key in case.body}:
            return None
    if response.status_code == 422 and isinstance(case.body, dict) and whole_floats(case.body):
        # JSON Schema counts 5.0 as an integer; the document's description says Leadflow's integer is written 5
        # (a whole float is refused with 422 naming the field, as the brief of strict types wants).
        said = [m for messages in response.json()["error"]["fields"].values() for m in messages]
        if said and all(m == "Input should be a valid integer" for m in said):
            return None
    if response.status_code == 422 and any(re.fullmatch(r"-?[0-9]+\.0+", str(v)) for v in (case.query or {}).values()):
        said = [m for messages in response.json()["error"]["fields"].values() for m in messages]
        if said and all(m == "Must be a whole number, written in digits (e.g. 50)." for m in said):
            return None  # the same in a query string: ?limit=30.0 is refused, the description says so
    if response.status_code == 422 and known:
        fields = set(response.json()["error"]["fields"])
        for name in known:  # "choices.*": a key of the body's `choices`, as the refusal names it
            if name.endswith(".*") and isinstance(case.body, dict) and isinstance(case.body.get(name[:-2]), dict):
                fields -= {f"{name[:-2]}.{key}" for key in case.body[name[:-2]]} | set(case.body[name[:-2]])
        if fields <= set(known) and response.json()["error"]["fields"]:
            return None
    return checks.positive_data_acceptance(ctx, response, case)


# Requests the document does not allow that the API takes all the same, on purpose. By operation, why.
ACCEPTED_THOUGH_INVALID = {
    "POST /api/submissions": "web forms and builders' webhooks send what they have: intake reads each field it can "
                             "(a number where text was promised too) and journals the rest, so nothing is lost",
}


def schema_invalid_request_is_refused(ctx, response, case):  # type: ignore[no-untyped-def]
    """Schemathesis's negative_data_rejection, but for the operations listed above."""
    if case.operation.label in ACCEPTED_THOUGH_INVALID:
        return None
    declared = {parameter.name for parameter in case.operation.query}
    if set(case.query or {}) - declared:  # a query parameter no operation reads is ignored, as by any web page
        return None
    return checks.negative_data_rejection(ctx, response, case)


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    schema_valid_request_is_accepted,
    schema_invalid_request_is_refused,
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



# ---------------------------------------------------------------- every field, each value of another JSON type
#
# Schemathesis sends a wrong type now and then; here every field of every JSON body the document states is sent each
# value of a JSON type the document does not give it, and every integer, boolean and date of a query string each
# spelling the document's type does not allow. The values are read from the document, so a new field or operation is
# swept without a list. A whole-number string ("5") or 5.0 is not an integer, 5 is not a string, "true" or 1 is not
# a boolean, a list or an object is not a scalar, nor the other way round: each is refused with 422 naming the field
# and saying the type it takes, never taken as something else (nor a server error).

DOCUMENT = api.get_openapi_schema(path_prefix="/api/")
# How a refusal of a value's type says what the field takes: pydantic's words ("Input should be a valid integer"),
# or Leadflow's for its own types (a whole number, a JSON object, an ISO 8601 date).
SAYS_THE_TYPE = re.compile(r"valid (integer|string|boolean|number|dictionary|list)|whole number|JSON object|"
                           r"ISO 8601|true or false|date")


def resolved(node: dict) -> dict:
    while "$ref" in node:
        node = DOCUMENT["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def branches(node: dict) -> list[dict]:
    """The alternatives a value may be (anyOf, oneOf), each resolved."""
    node = resolved(node)
    alternatives = node.get("anyOf") or node.get("oneOf")
    if alternatives:
        return [branch for alternative in alternatives for branch in branches(alternative)]
    return [node]


def json_types(node: dict) -> set[str] | None:
    """The JSON types the document allows a value (None: any)."""
    found: set[str] = set()
    for branch in branches(node):
        if "enum" in branch or "const" in branch:
            values = branch.get("enum", [branch.get("const")])
            found |= {type_of(value) for value in values}
        elif "type" in branch:
            found |= set(branch["type"]) if isinstance(branch["type"], list) else {branch["type"]}
        else:
            return None
    return found


def type_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


# One value of each JSON type, and the slips a sender makes: a number as a string, 5.0 for 5, a boolean as a string
# or a number. 5.0 is an integer to JSON Schema, but not to Leadflow's document (it says integer: 5).
WRONG = ["5", "true", "2026-11-20", 5, 5.0, 5.5, 1, True, False, [], ["5"], {}, {"x": "5"}]


def allowed(value: object, types: set[str]) -> bool:
    kind = type_of(value)
    if isinstance(value, float):
        return "number" in types
    return kind in types or (kind == "integer" and "number" in types)


def body_fields(node: dict, prefix: str = "") -> list[tuple[str, dict]]:
    """(dotted name as a refusal names it, schema) of every field of a body, those of nested objects, lists' items
    ("other_ids.0") and maps' values ("choices.x") included."""
    found = []
    for branch in branches(node):
        for name, field in branch.get("properties", {}).items():
            found.append((f"{prefix}{name}", field))
            found += body_fields(field, f"{prefix}{name}.")
        if isinstance(branch.get("items"), dict):
            found.append((f"{prefix}0", branch["items"]))
            found += body_fields(branch["items"], f"{prefix}0.")
        if isinstance(branch.get("additionalProperties"), dict) and "type" in branch.get("additionalProperties", {}):
            found.append((f"{prefix}x", branch["additionalProperties"]))
    return found


def placed(name: str, value: object) -> Any:
    """{"company": {"name": value}} for "company.name", {"other_ids": [value]} for "other_ids.0"."""

    def inner(parts: list[str]) -> Any:
        if not parts:
            return value
        return [inner(parts[1:])] if parts[0] == "0" else {parts[0]: inner(parts[1:])}

    return inner(name.split("."))


def operations() -> list[tuple[str, str, dict]]:
    found = []
    for path, methods in DOCUMENT["paths"].items():
        for method, operation in methods.items():
            found.append((method.upper(), path, operation))
    return found


def url_of(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "1", path)  # validation comes before any lookup: no record is needed


def typed_body_fields() -> list[tuple[str, str, str, dict]]:
    found = []
    for method, path, operation in operations():
        if f"{method} {path}" in ACCEPTED_THOUGH_INVALID:
            continue
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            found += [(method, path, name, field) for name, field in body_fields(body["schema"])
                      if json_types(field) is not None]
    return found


BODY_FIELDS = typed_body_fields()


def test_every_json_body_field_of_the_document_is_swept():
    swept = {(method, path) for method, path, _name, _field in BODY_FIELDS}
    assert len(swept) >= 20 and len(BODY_FIELDS) >= 100, (len(swept), len(BODY_FIELDS))
    assert ("POST", "/api/merges", "other_ids.0") in {(m, p, n) for m, p, n, _ in BODY_FIELDS}
    assert ("POST", "/api/leads/{lead_id}/convert", "company.name") in {(m, p, n) for m, p, n, _ in BODY_FIELDS}


@pytest.mark.parametrize(("method", "path"), sorted({(m, p) for m, p, _n, _f in BODY_FIELDS}))
def test_a_body_field_of_another_json_type_is_refused_naming_it(credentials, method, path):  # type: ignore[no-untyped-def]
    client = HttpClient(headers=credentials)
    wrong = {}
    for _method, _path, name, field in (row for row in BODY_FIELDS if row[:2] == (method, path)):
        for value in WRONG:
            if allowed(value, json_types(field) or set()):
                continue
            response = client.generic(method, url_of(path), json.dumps(placed(name, value)),
                                      content_type="application/json")
            said = response.json()["error"]["fields"].get(name, []) if response.status_code == 422 else []
            if not any(SAYS_THE_TYPE.search(message) for message in said):
                wrong[f"{name}={json.dumps(value)}"] = (response.status_code, response.content[:300])
    assert wrong == {}


# What a query string's integer, boolean or date may not be: only digits (with a minus) are an integer, only true and
# false a boolean, only YYYY-MM-DD a date.
WRONG_IN_QUERY = {
    "integer": ["5.0", "abc", " 5", "+5", "5_0", "1e3", "", "true"],
    "boolean": ["yes", "1", "0", "True", "on", "", "5"],
    "date": ["20261120", "abc", "1", "2026-13-01", " 2026-11-20"],
    "date-time": ["1", "abc", "2026-11-20T25:00"],
}


def typed_query_parameters() -> list[tuple[str, str, dict]]:
    found = []
    for method, path, operation in operations():
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            kinds = {branch.get("format") or branch.get("type") for branch in branches(parameter["schema"])} - {
                "null"}
            if len(kinds) == 1 and next(iter(kinds)) in WRONG_IN_QUERY:
                found.append((method, path, parameter))
    return found


QUERY_PARAMETERS = typed_query_parameters()


@pytest.mark.parametrize(("method", "path"), sorted({(m, p) for m, p, _parameter in QUERY_PARAMETERS}))
def test_a_query_parameter_not_written_as_its_type_is_refused_naming_it(credentials, method, path):  # type: ignore[no-untyped-def]
    client = HttpClient(headers=credentials)
    wrong = {}
    for _method, _path, parameter in (row for row in QUERY_PARAMETERS if row[:2] == (method, path)):
        schema = next(b for b in branches(parameter["schema"]) if b.get("type") != "null")
        values = list(WRONG_IN_QUERY[schema.get("format") or schema["type"]])
        if "minimum" in schema and schema["minimum"] > -2**63:
            values.append(str(schema["minimum"] - 1))
        for value in values:
            response = client.generic(method, url_of(path) + "?" + urlencode({parameter["name"]: value}))
            said = response.json()["error"]["fields"].get(parameter["name"]) if response.status_code == 422 else None
            if not said:
                wrong[f"{parameter['name']}={value!r}"] = (response.status_code, response.content[:300])
    assert wrong == {}


def test_every_typed_query_parameter_of_the_document_is_swept():
    names = {(path, parameter["name"]) for _method, path, parameter in QUERY_PARAMETERS}
    assert {("/api/leads", "limit"), ("/api/leads", "pool"), ("/api/leads", "created_from"),
            ("/api/clients", "offset"), ("/api/partner/submissions", "since"),
            ("/api/privacy/consents", "lead")} <= names
