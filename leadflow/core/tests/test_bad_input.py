"""Bad input on every API operation: a clear 4xx naming the field, never a 500, nothing half-written.

The operations, their parameters and their body fields are read from the generated OpenAPI document, so an
endpoint added later is swept without anyone remembering to. Each field gets the hostile values of its
type (wrong types, NUL, lone surrogates, 100 KB strings, 2**70, impossible dates); each path id gets
garbage. Every request runs in a savepoint that is rolled back, so one case cannot feed the next.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.accounts.models import Role, User
from leadflow.api import api
from leadflow.intake.models import Submission
from leadflow.leads import services
from leadflow.leads.models import Lead, LostReason, Task

pytestmark = pytest.mark.django_db

HUGE = 2**70
LONG = "x" * 100_000
NUL = "bad\x00value"
SURROGATE = "bad\ud800value"  # a lone surrogate: no UTF-8 encodes it
TELEPHONY_SECRET = "fuzz-pbx-secret-2b7d"
SCHEMA = api.get_openapi_schema()


# ------------------------------------------------------------------ the schema, walked


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in SCHEMA["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def kinds(schema: dict[str, Any]) -> tuple[set[str], bool]:
    """The JSON types (with formats: "string:date") a schema accepts, and whether null is one of them."""
    schema = resolve(schema)
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    found: set[str] = set()
    nullable = False
    for option in options:
        option = resolve(option)
        kind = option.get("type")
        if kind == "null":
            nullable = True
        elif kind:
            found.add(f"{kind}:{option['format']}" if option.get("format") else kind)
        elif "properties" in option:
            found.add("object")
    return found, nullable


def body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return resolve(content["application/json"]["schema"])


@dataclass
class Case:
    """One hostile value for one field, and what an answer must then be."""

    name: str  # the field as the caller knows it (dotted when nested)
    value: Any
    must_reject: bool  # the value is wrong whatever the endpoint: a 4xx naming the field
    why: str
    expect_field: bool = field(default=True)


def hostile(name: str, schema: dict[str, Any]) -> list[Case]:
    """The values a field of this type must survive; sampled, not combined."""
    types, nullable = kinds(schema)
    cases: list[Case] = []
    if not types:
        return cases
    if "string" in types or any(t.startswith("string:") for t in types):
        formats = {t for t in types if t.startswith("string:")}
        if "string" in types:
            cases += [Case(name, NUL, True, "NUL"), Case(name, SURROGATE, True, "lone surrogate"),
                      Case(name, LONG, False, "100 KB"), Case(name, "²³", False, "digits int() refuses"),
                      Case(name, str(HUGE), False, "2**70 as text")]
            if not types & {"object", "array"}:
                cases += [Case(name, {"a": 1}, True, "object for a string"), Case(name, [1, 2], True, "list for text")]
            if not types & {"integer", "number"}:
                cases.append(Case(name, 12345, True, "number for a string"))
            if "boolean" not in types:
                cases.append(Case(name, True, True, "bool for a string"))
        for fmt in formats:
            cases += [Case(name, "2026-02-30", True, f"impossible {fmt}"), Case(name, "yesterday", True, f"word {fmt}"),
                      Case(name, NUL, True, f"NUL {fmt}")]
    if "integer" in types or "number" in types:
        cases += [Case(name, HUGE, True, "2**70"), Case(name, "abc", True, "text for a number"),
                  Case(name, -1, False, "negative"), Case(name, 2**40, False, "past 32 bits"),
                  Case(name, {"a": 1}, True, "object for a number")]
        if "integer" in types and "number" not in types:
            cases.append(Case(name, 1.5, True, "fraction for an integer"))
    if "boolean" in types:
        cases += [Case(name, "maybe", True, "word for a bool"), Case(name, [True], True, "list for a bool")]
    if "object" in types:
        cases += [Case(name, "text", True, "string for an object"), Case(name, [1], True, "list for an object"),
                  Case(name, {"k": NUL}, False, "NUL inside an object")]
    if "array" in types:
        item = resolve(schema).get("items") or next(
            (o.get("items") for o in resolve(schema).get("anyOf", []) if o.get("type") == "array"), {})
        item_types, _ = kinds(item or {})
        cases += [Case(name, "text", True, "string for a list"), Case(name, {"a": 1}, True, "object for a list")]
        if "integer" in item_types:
            cases += [Case(name, [HUGE], True, "2**70 in a list"), Case(name, ["abc"], True, "text in a list of ids")]
        if "string" in item_types:
            cases.append(Case(name, [NUL], True, "NUL in a list"))
    if not nullable:
        cases.append(Case(name, None, True, "null"))
    return cases


def body_cases(schema: dict[str, Any]) -> Iterator[Case]:
    for name, prop in schema.get("properties", {}).items():
        yield from hostile(name, prop)
        inner = resolve(prop)
        nested = inner if "properties" in inner else next(
            (resolve(o) for o in prop.get("anyOf", []) if "properties" in resolve(o)), None)
        if nested is not None:
            for case in body_cases(nested):
                case.name = f"{name}.{case.name}"
                yield case


# ------------------------------------------------------------------ a world to aim at


@dataclass
class World:
    admin: HttpClient
    partner: HttpClient
    form_key: str
    ids: dict[str, int]
    bodies: dict[tuple[str, str], dict[str, Any]]
    lead: Lead


@pytest.fixture
def world(admin_user: User, alice: User, bob: User, partner: Any, web_form: Any, sales: Any, make_lead: Any,
          api_as: Any) -> World:
    from leadflow.nurture.models import Segment
    from leadflow.telephony.models import Integration, Provider

    lead = make_lead(owner=alice)
    other = make_lead(owner=alice, email="other@example.ru", phone="+79120009999")
    converted = make_lead(owner=alice, email="client@example.ru", phone="+79120008888")
    client = services.convert_lead(lead=converted, by=alice, company=services.CompanyFacts(name="Ромашка"))
    interest = services.create_interest(
        name="Someone", person=services.PersonFacts(company_name="Ромашка"), touch=services.Touch(channel="manual"),
        reason="no contact", team=sales)
    segment = Segment.objects.create(name="Fuzz", conditions={})
    integration = Integration.objects.create(name="PBX", provider=Provider.GENERIC, secret=TELEPHONY_SECRET,
                                             team=sales)
    task = Task.objects.filter(lead=lead).first()
    submission = Submission.objects.create(channel="partner", payload={"name": "x"}, partner=partner[0])
    reason = LostReason.objects.filter(is_active=True).first()
    soon = (timezone.now() + timedelta(days=2)).isoformat()
    ids = {
        "lead_id": lead.pk, "task_id": task.pk, "client_id": client.pk, "company_id": client.company_id,
        "interest_id": interest.pk, "segment_id": segment.pk, "integration_id": integration.pk,
        "submission_id": submission.pk,
    }
    bodies = {  # a valid body per operation, so a hostile field is the only thing wrong with it
        ("PATCH", "/api/leads/{lead_id}"): {"first_name": "Ivan", "city": "Moscow"},
        ("POST", "/api/leads/{lead_id}/assign"): {"owner_id": bob.pk},
        ("POST", "/api/leads/{lead_id}/stage"): {"stage": "contacted"},
        ("POST", "/api/leads/{lead_id}/refuse"): {"reason_id": reason.pk, "note": "no budget"},
        ("POST", "/api/leads/{lead_id}/defer"): {"until": (timezone.localdate() + timedelta(days=5)).isoformat(),
                                                 "note": "later"},
        ("POST", "/api/leads/{lead_id}/convert"): {"owner_id": alice.pk, "company": {"name": "Ромашка"}},
        ("POST", "/api/leads/{lead_id}/activities"): {"kind": "call", "subject": "hi", "body": "talked",
                                                      "duration_seconds": 60},
        ("POST", "/api/tasks"): {"lead_id": lead.pk, "title": "Call back", "due_at": soon, "kind": "call"},
        ("POST", "/api/tasks/{task_id}/complete"): {"result": "done", "next_title": "again", "next_due_at": soon},
        ("POST", "/api/interests/{interest_id}/promote"): {"name": "Petrov Ivan", "phone": "+79120007777"},
        ("POST", "/api/merges"): {"survivor_id": lead.pk, "other_ids": [other.pk], "choices": {}},
        ("POST", "/api/contacts/merges"): {"survivor_id": client.contact_id, "other_ids": [client.contact_id]},
        ("POST", "/api/privacy/erase"): {"lead": lead.pk, "confirm": True, "reference": "ticket 1"},
        ("POST", "/api/privacy/consents/withdraw"): {"purpose": "marketing", "lead": lead.pk},
        ("POST", "/api/segments"): {"name": "New segment", "audience": "leads", "conditions": {}},
        ("POST", "/api/events"): {"kind": "purchase", "lead_id": lead.pk, "url": "https://example.com/buy"},
        ("POST", "/api/clients/{client_id}/assign"): {"owner_id": alice.pk},
        ("POST", "/api/clients/{client_id}/activities"): {"kind": "call", "subject": "hi", "body": "talked",
                                                          "duration_seconds": 60},
        ("POST", "/api/clients/{client_id}/tasks"): {"title": "Call back", "due_at": soon, "kind": "call",
                                                     "assignee_id": alice.pk},
        ("POST", "/api/clients/{client_id}/tasks/{task_id}/complete"): {"result": "done", "next_title": "again",
                                                                        "next_due_at": soon},
    }
    partner_client = HttpClient(headers={"X-Api-Key": partner[1]})
    return World(admin=api_as(admin_user), partner=partner_client, form_key=web_form.public_key, ids=ids,
                 bodies=bodies, lead=lead)


def caller(world: World, path: str, operation: dict[str, Any]) -> tuple[HttpClient, dict[str, str]]:
    """Someone who may use the operation: the partner on partner routes, the PBX on its webhook, else admin."""
    schemes = {name for item in operation.get("security") or [] for name in item}
    if schemes == {"PartnerKeyAuth"}:
        return world.partner, {}
    if "/telephony/" in path:
        return HttpClient(), {"Authorization": f"Bearer {TELEPHONY_SECRET}"}
    return world.admin, {}


def url_of(world: World, path: str, override: dict[str, str] | None = None) -> str:
    from leadflow.analytics.reports import REPORTS

    values = {"key": next(iter(REPORTS))}
    values.update({name: str(pk) for name, pk in world.ids.items()})
    values.update(override or {})
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path.replace("{merge_id}", "1").replace("{enrollment_id}", "1")


# ------------------------------------------------------------------ what must stay true


def counts() -> tuple[int, ...]:
    """Rows of every Leadflow table, in one query: what a refused request must leave as it was."""
    tables = sorted(model._meta.db_table for model in apps.get_models()
                    if model.__module__.startswith("leadflow.") and model._meta.managed)
    # table names from the models, never from input
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def lead_row(lead: Lead) -> dict[str, Any]:
    return Lead.objects.filter(pk=lead.pk).values().first() or {}


def send(client: HttpClient, method: str, url: str, *, body: bytes | None = None, query: dict | None = None,
         headers: dict[str, str] | None = None) -> Any:
    if method == "GET":
        return client.get(url, query or {}, headers=headers or {})
    if query:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(query)}"
    return client.generic(method, url, body or b"", content_type="application/json", headers=headers or {})


def names(error: dict[str, Any], name: str) -> bool:
    """The error points at the field: by its key (or a part of it: "other_ids.0"), or its message names it
    ("Give exactly one of lead_id and client_id")."""
    top = name.split(".")[0]
    for key, messages in error["fields"].items():
        if key in (name, top) or key.startswith((f"{name}.", f"{top}.")):
            return True
        if any(name.rsplit(".", 1)[-1] in str(message) for message in messages):
            return True
    return False


def check(response: Any, label: str, case: Case | None, *, world: World, before: tuple, lead_before: dict) -> None:
    status = response.status_code
    assert status < 500, f"{label}: {status} {response.content[:300]!r}"
    if 200 <= status < 300:
        assert case is None or not case.must_reject, f"{label}: accepted ({status})"
        return
    assert 400 <= status < 500, f"{label}: {status}"
    assert status not in (401, 403), f"{label}: the caller may use this endpoint, yet {status}"
    assert response["Content-Type"].startswith("application/json"), f"{label}: {response['Content-Type']}"
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"] and error["message"], label
    if status == 422 and case is not None and case.expect_field:
        assert names(error, case.name), f"{label}: the field is not named: {error}"
    # A refused request changes nothing: no row added or removed anywhere, the lead as it was.
    assert counts() == before, f"{label}: a refused request wrote something"
    assert lead_row(world.lead) == lead_before, f"{label}: a refused request changed the lead"


def attempt(world: World, method: str, path: str, operation: dict[str, Any], label: str, *, case: Case | None = None,
            body: bytes | None = None, query: dict | None = None, override: dict[str, str] | None = None) -> str:
    """One request in a rolled-back savepoint; the broken promise, if any, as one line."""
    client, headers = caller(world, path, operation)
    with transaction.atomic():
        before, lead_before = counts(), lead_row(world.lead)
        response = send(client, method, url_of(world, path, override), body=body, query=query, headers=headers)
        try:
            check(response, label, case, world=world, before=before, lead_before=lead_before)
        except AssertionError as error:
            return str(error).split("\n")[0]
        finally:
            transaction.set_rollback(True)
    return ""


def json_body(value: Any) -> bytes:
    # ensure_ascii keeps a lone surrogate as the escape "\ud800": valid JSON text, an invalid string inside
    return json.dumps(value).encode()


SKIP_BODY = {("POST", "/api/submissions")}  # the journaled intake: swept by its own test below


def test_every_operation_refuses_bad_json_bodies(world: World) -> None:
    swept, failures = 0, []
    for method, path, operation in operations():
        schema = body_schema(operation)
        if schema is None or (method, path) in SKIP_BODY:
            continue
        swept += 1
        base = dict(world.bodies.get((method, path), {}))
        raw = [(b"{not json", "not JSON"), (b'{"a": "\xff\xfe"}', "invalid UTF-8"), (b"[1, 2]", "a list"),
               (b'"text"', "a string"), (b"42", "a number"), (b"null", "null")]
        if "properties" in schema:
            for content, why in raw:
                failures.append(attempt(world, method, path, operation, f"{method} {path} body {why}", body=content,
                        case=Case("__all__", None, True, why, expect_field=False)))
        for case in body_cases(schema):
            top, *rest = case.name.split(".")
            data = dict(base)
            if rest:
                data[top] = {**(base.get(top) or {}), rest[0]: case.value}
            else:
                data[top] = case.value
            failures.append(attempt(world, method, path, operation, f"{method} {path} {case.name}={case.why}",
                                    body=json_body(data), case=case))
    assert swept >= 15
    failures = [f for f in failures if f]
    assert not failures, '\n'.join(failures)


QUERIES = {"/api/calls/lookup": {"number": "+79120001234"}, "/api/merges/compare": {"ids": "1,2"}}


def test_every_operation_refuses_bad_query_and_path_parameters(world: World) -> None:
    swept, failures = 0, []
    for method, path, operation in operations():
        base_body = json_body(world.bodies.get((method, path), {})) if body_schema(operation) else None
        base_query = QUERIES.get(path, {})
        for parameter in operation.get("parameters", []):
            name, where = parameter["name"], parameter["in"]
            if where == "query":
                swept += 1
                for case in hostile(name, parameter.get("schema", {})):
                    if case.value is None or isinstance(case.value, dict | list):
                        continue  # a query string has no null, objects or lists
                    value = str(case.value).lower() if isinstance(case.value, bool) else str(case.value)
                    if case.value == SURROGATE:
                        continue  # percent-decoding replaces what UTF-8 cannot say: no surrogate survives
                    must = case.must_reject and not (isinstance(case.value, int) and case.value == 12345)
                    failures.append(attempt(
                        world, method, path, operation, f"{method} {path}?{name}={case.why}",
                        query={**base_query, name: value}, body=base_body,
                        case=Case(name, value, must and case.why != "bool for a string", case.why)))
            elif where == "path":
                swept += 1
                for value in ("abc", str(HUGE), "-1", "999999999", "1.5", "%00"):
                    failures.append(attempt(world, method, path, operation, f"{method} {path} {name}={value!r}",
                                            override={name: value}, body=base_body, query=base_query,
                                            case=Case(name, value, True, "bad id")))
    assert swept >= 30
    failures = [f for f in failures if f]
    assert not failures, '\n'.join(failures)


def test_report_filters_refuse_garbage(world: World) -> None:
    """The report endpoints read their filter by hand (not declared): the same garbage, named."""
    from leadflow.analytics.reports import REPORTS

    key = next(iter(REPORTS))
    for name, value in [("start", "2026-02-30"), ("end", "yesterday"), ("start", NUL), ("interval", NUL),
                        ("team", "abc"), ("team", str(HUGE)), ("manager", "-1"), ("source", NUL),
                        ("medium", NUL), ("partner", "1.5")]:
        for suffix in ("", "/export"):
            with transaction.atomic():
                response = world.admin.get(f"/api/analytics/{key}{suffix}", {name: value})
                transaction.set_rollback(True)
            assert response.status_code in (200, 422), (name, value, response.status_code)
            if response.status_code == 422:
                assert name in response.json()["error"]["fields"], (name, value, response.json())
            elif "NUL" not in value:
                assert name == "medium", f"{name}={value!r} accepted"


# ------------------------------------------------------------------ the journaled intake


def submission_cases() -> Iterator[Case]:
    schema = body_schema(next(op for m, p, op in operations() if (m, p) == ("POST", "/api/submissions")))
    yield from body_cases(schema)


def test_submissions_journal_every_bad_payload_and_make_no_lead_of_it(world: World) -> None:
    """Every submission past the sender check is journaled, whatever it holds; garbage makes no lead."""
    base = {"name": "Petrov Ivan", "phone": "+79120005555", "email": "fuzz@example.ru", "consent": True}
    senders = [("form", {"X-Form-Key": world.form_key}), ("partner", {})]
    limited = 0
    for sender, headers in senders:
        client = HttpClient(headers=headers) if sender == "form" else world.partner
        for raw, why in [(b"{not json", "not JSON"), (b'{"name": "\xff"}', "invalid UTF-8"), (b"[1]", "a list"),
                         (b'"text"', "a string"), (b"7", "a number")]:
            response = client.post("/api/submissions", raw, content_type="application/json")
            assert response.status_code in (400, 422), (sender, why, response.status_code)
            assert response.json()["error"]["code"] in ("bad_json", "validation_error"), (sender, why)
        for case in submission_cases():
            if case.name in ("form_key",):
                continue
            data = {**base, case.name: case.value}
            with transaction.atomic():
                journaled, leads = Submission.objects.count(), Lead.objects.count()
                response = client.post("/api/submissions", json_body(data), content_type="application/json",
                                       REMOTE_ADDR=f"10.0.{len(case.why)}.{len(case.name)}")
                label = f"{sender} {case.name}={case.why}"
                assert response.status_code < 500, f"{label}: {response.status_code} {response.content[:300]!r}"
                if response.status_code in (413, 429):  # refused before the journal: too large, too many
                    limited += response.status_code == 429
                    assert response.json()["error"]["code"] in ("too_large", "rate_limited"), label
                    assert Submission.objects.count() == journaled, label
                    transaction.set_rollback(True)
                    continue
                assert Submission.objects.count() == journaled + 1, f"{label}: not journaled"
                row = Submission.objects.order_by("-pk").first()
                if response.status_code == 422:
                    assert Lead.objects.count() == leads, f"{label}: a refused submission made a lead"
                    assert row.status == "invalid", label
                    if sender == "partner":
                        assert case.name in response.json()["error"]["fields"], (label, response.json())
                for lead in Lead.objects.filter(pk__gt=world.lead.pk).values():
                    texts = [v for v in lead.values() if isinstance(v, str)]
                    assert not any("\x00" in t for t in texts), f"{label}: NUL stored on a lead"
                transaction.set_rollback(True)
    assert limited == 0  # each case rolls its rate counters back: every one reached the pipeline


def test_a_marketer_gets_the_same_answers(world: World, sales: Any) -> None:
    """Roles with narrower rights go through the same validation: a hostile body is 422, not 500."""
    from leadflow.accounts.models import UserToken

    mary = User.objects.create_user(username="mary", role=Role.MARKETER, team=sales)
    _, raw = UserToken.issue(user=mary)
    client = HttpClient(headers={"Authorization": f"Bearer {raw}"})
    for body in ({"name": NUL, "conditions": {}}, {"name": "x", "conditions": {"city": NUL}}):
        response = client.post("/api/segments", json_body(body), content_type="application/json")
        assert response.status_code == 422, (body, response.status_code, response.content[:300])
