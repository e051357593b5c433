"""The API takes what its OpenAPI document states, and refuses what it does not, naming the field.

A path id starts at 1: the document says so (`minimum: 1`), and 0, a negative id or one past 64 bits is refused with
422 naming the path's field, not looked up (404) or left to the database (an overflow, a 500). A choice is taken as
the document's enum spells it: the lead edit's `" hot "` is refused, listing the choices; the public submission
keeps reading what forms send. A date and time without a UTC offset is local time: the user's zone, or the site's
(LEADFLOW_TIME_ZONE) for a partner's key, and the document says so. The lead's edit and the client contact's edit
read an e-mail and a Telegram account the same way.
"""

from __future__ import annotations

import json
import re
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.accounts.models import UserToken
from leadflow.api import api
from leadflow.intake.models import Submission
from leadflow.leads import services
from leadflow.leads.models import Lead
from leadflow.partners.tests.conftest import submit
from leadflow.warming.models import BehaviourEvent

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema()
NOT_AN_ID = "Must be an id: a whole number from 1 to 9223372036854775807."


def path_ids() -> list[tuple[str, str, str, list[str]]]:
    """(method, path, the id's name, every path parameter's name) of each operation with an id in its path."""
    found = []
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                    found.append((method.upper(), path, parameter["name"], names))
    return found


PATH_IDS = path_ids()


def test_every_id_in_a_path_is_stated_from_one():
    assert len(PATH_IDS) >= 30  # every lead, client, task, ... operation: a new one is swept without a list
    for method, path, name, _names in PATH_IDS:
        parameter = next(p for p in SCHEMA["paths"][path][method.lower()]["parameters"] if p["name"] == name)
        assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, 2**63 - 1), (method, path)


@pytest.fixture
def everyone(admin_user, partner):  # type: ignore[no-untyped-def]
    """An admin's token (every operation open to it) and a partner's key (the partner's and intake's own)."""
    _, token = UserToken.issue(user=admin_user)
    return HttpClient(headers={"Authorization": f"Bearer {token}", "X-Api-Key": partner[1]})


@pytest.mark.parametrize("value", ["0", "-1", "-9223372036854775808", str(2**63), str(2**70)])
def test_an_id_that_no_record_can_have_is_refused_naming_it(everyone, make_lead, value):
    """On SQLite and PostgreSQL alike: refused before any query, so no database overflows."""
    lead = make_lead()
    answers = {}
    for method, path, name, names in PATH_IDS:
        url = path
        for other in names:
            url = url.replace(f"{{{other}}}", value if other == name else str(lead.pk))
        response = everyone.generic(method, url, json.dumps({}), content_type="application/json")
        body = response.json()
        answers[f"{method} {url}"] = (response.status_code, body["error"]["code"],
                                      body["error"]["fields"].get(name))
    expected = (422, "validation_error", [NOT_AN_ID])
    assert {where: got for where, got in answers.items() if got != expected} == {}


def test_an_id_from_one_is_looked_up(everyone, make_lead):
    lead = make_lead(first_name="Иван")
    assert everyone.get(f"/api/leads/{lead.pk}").json()["lead"]["first_name"] == "Иван"
    assert everyone.get(f"/api/leads/{lead.pk + 1000}").json()["error"]["code"] == "not_found"


# ---------------------------------------------------------------- choices, as the document spells them


def edit(api_as, user, lead: Lead, body: dict):  # type: ignore[no-untyped-def]
    return api_as(user).patch(f"/api/leads/{lead.pk}", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(("field", "value", "said"), [
    ("temperature", " hot ", "Must be cold, warm or hot."),
    ("temperature", "Hot", "Must be cold, warm or hot."),
    ("temperature", None, "Must be cold, warm or hot."),
    ("deal_type", " retail", "Must be retail, wholesale or empty."),
    ("deal_type", "WHOLESALE", "Must be retail, wholesale or empty."),
])
def test_a_choice_not_spelled_as_the_document_lists_it_is_refused(api_as, alice, make_lead, field, value, said):
    lead = make_lead(owner=alice)
    Lead.objects.filter(pk=lead.pk).update(temperature="cold", deal_type="", city="Москва")
    allowed = SCHEMA["components"]["schemas"]["LeadUpdateIn"]["properties"][field]["enum"]
    assert value not in allowed

    response = edit(api_as, alice, lead, {field: value, "city": "Тверь"})

    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == {field: [said]}
    lead.refresh_from_db()
    assert (lead.temperature, lead.deal_type, lead.city) == ("cold", "", "Москва")  # nothing of the edit is saved


def test_a_choice_the_document_lists_is_taken(api_as, alice, make_lead):
    lead = make_lead(owner=alice, deal_type="retail")
    Lead.objects.filter(pk=lead.pk).update(temperature="cold")
    assert edit(api_as, alice, lead, {"temperature": "hot", "deal_type": "wholesale"}).status_code == 200
    lead.refresh_from_db()
    assert (lead.temperature, lead.deal_type) == ("hot", "wholesale")
    assert edit(api_as, alice, lead, {"deal_type": None}).status_code == 200  # the document's null: cleared
    lead.refresh_from_db()
    assert lead.deal_type == ""


def test_a_public_submission_still_reads_what_a_form_sends(partner):
    response = submit(partner[1], {"name": "Иван Петров", "phone": "+79123450001", "deal_type": " Wholesale "})
    assert response.status_code in (200, 201, 202), response.content
    assert Lead.objects.get(phone="+79123450001").deal_type == "wholesale"


# ---------------------------------------------------------------- times without a zone


def test_since_without_a_zone_is_the_sites_local_time(partner, settings):
    """`since=2026-11-20T10:00` is 10:00 in LEADFLOW_TIME_ZONE (Moscow, UTC+3): 07:00 UTC, not 10:00 UTC."""
    settings.LEADFLOW_TIME_ZONE = "Europe/Moscow"
    _row, key = partner
    for phone, moment in (("+79123450002", datetime(2026, 11, 20, 6, 59, tzinfo=UTC)),
                          ("+79123450003", datetime(2026, 11, 20, 7, 1, tzinfo=UTC)),
                          ("+79123450004", datetime(2026, 11, 20, 9, 59, tzinfo=UTC))):
        submit(key, {"name": "Иван Петров", "phone": phone})
        Submission.objects.filter(payload__phone=phone).update(received_at=moment)

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "received a naive datetime": read in no zone at all
        response = HttpClient().get("/api/partner/submissions", {"since": "2026-11-20T10:00"},
                                    headers={"X-Api-Key": key})

    assert response.status_code == 200, response.content
    received = sorted(item["received_at"] for item in response.json())
    assert received == ["2026-11-20T07:01:00Z", "2026-11-20T09:59:00Z"]
    with_offset = HttpClient().get("/api/partner/submissions", {"since": "2026-11-20T10:00+03:00"},
                                   headers={"X-Api-Key": key})
    assert len(with_offset.json()) == 2
    parameter = next(p for p in SCHEMA["paths"]["/api/partner/submissions"]["get"]["parameters"]
                     if p["name"] == "since")
    assert "Without a UTC offset, the site's local time" in parameter["description"]


def test_the_document_says_how_a_time_without_a_zone_is_read():
    said = SCHEMA["info"]["description"]
    assert re.search(r"without a UTC offset \(`2026-11-20T10:00`\) is local time: the user's time zone", said)


def test_an_events_time_without_a_zone_is_the_senders(admin_user, make_lead, api_as, partner):
    """A back end's event at "10:00" from a user in Yekaterinburg (UTC+5) happened at 05:00 UTC; with a partner's
    key, at 10:00 on the site's clock (Moscow, UTC+3): 07:00 UTC."""
    admin_user.time_zone = "Asia/Yekaterinburg"
    admin_user.save(update_fields=["time_zone"])
    lead = make_lead(email="ivan.petrov@example.ru")
    local = timezone.now().astimezone(UTC).replace(microsecond=0) - timedelta(days=2)
    naive = local.replace(tzinfo=None).isoformat()

    by_user = api_as(admin_user).post("/api/events", {"kind": "purchase", "lead_id": lead.pk, "occurred_at": naive},
                                      content_type="application/json")
    by_partner = HttpClient().post("/api/events", {"kind": "purchase", "email": "ivan.petrov@example.ru",
                                                   "occurred_at": naive},
                                   content_type="application/json", headers={"X-Api-Key": partner[1]})

    assert (by_user.status_code, by_partner.status_code) == (201, 201), (by_user.content, by_partner.content)
    assert BehaviourEvent.objects.get(pk=by_user.json()["event_id"]).occurred_at == local - timedelta(hours=5)
    assert BehaviourEvent.objects.get(pk=by_partner.json()["event_id"]).occurred_at == local - timedelta(hours=3)


# ---------------------------------------------------------------- e-mail and Telegram, read once


@pytest.mark.parametrize(("field", "typed", "kept"), [
    ("telegram", " @Ivan_Petrov ", "t.me/ivan_petrov"), ("telegram", "https://t.me/ivan_petrov/", "t.me/ivan_petrov"),
    ("telegram", "", ""), ("email", " Ivan.Petrov@Example.RU ", "ivan.petrov@example.ru"), ("email", "", ""),
    ("telegram", "@iv", None), ("telegram", "not an account", None), ("email", "ivan@@example.ru", None),
])
def test_the_lead_and_the_client_contact_read_an_email_and_a_telegram_alike(api_as, alice, make_lead, field, typed,
                                                                         kept):
    lead = make_lead(owner=alice, email="old@example.ru")
    client = services.convert_lead(lead=make_lead(owner=alice, email="old2@example.ru"), by=alice)
    Lead.objects.filter(pk=lead.pk).update(telegram="t.me/old_name")
    type(client.contact).objects.filter(pk=client.contact_id).update(telegram="t.me/old_name2")

    on_lead = edit(api_as, alice, lead, {field: typed})
    on_client = api_as(alice).patch(f"/api/clients/{client.pk}", json.dumps({"contact": {field: typed}}),
                                    content_type="application/json")

    lead.refresh_from_db()
    client.contact.refresh_from_db()
    if kept is None:
        assert (on_lead.status_code, on_client.status_code) == (422, 422)
        refusal = on_lead.json()["error"]["fields"][field]
        assert on_client.json()["error"]["fields"] == {f"contact.{field}": refusal}
        assert getattr(lead, field) in ("old@example.ru", "t.me/old_name")
        assert getattr(client.contact, field) in ("old2@example.ru", "t.me/old_name2")
    else:
        assert (on_lead.status_code, on_client.status_code) == (200, 200), (on_lead.content, on_client.content)
        assert getattr(lead, field) == getattr(client.contact, field) == kept


# ---------------------------------------------------------------- integers are not true or false


@pytest.mark.parametrize(("url", "body", "field"), [
    ("/api/leads/{lead}/activities", {"kind": "call", "duration_seconds": False}, "duration_seconds"),
    ("/api/leads/{lead}/assign", {"owner_id": True}, "owner_id"),
    ("/api/tasks", {"lead_id": True, "title": "Call back", "due_at": "2030-01-10T10:00:00Z"}, "lead_id"),
    ("/api/merges", {"survivor_id": "{lead}", "other_ids": [True]}, "other_ids.0"),
])
def test_true_or_false_is_not_an_integer(api_as, head, make_lead, url, body, field):
    """pydantic would read true as 1 (user 1, lead 1) and false as 0; the document says integer."""
    lead = make_lead()
    body = {key: int(lead.pk) if value == "{lead}" else value for key, value in body.items()}
    response = api_as(head).post(url.format(lead=lead.pk), body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == {field: ["Must be a whole number, not true or false."]}


# ---------------------------------------------------------------- each field its JSON type, and nothing else


@pytest.mark.parametrize(("url", "body", "field", "said"), [
    ("/api/leads/{lead}/assign", {"owner_id": "{owner}"}, "owner_id", "Input should be a valid integer"),
    ("/api/leads/{lead}/assign", {"owner_id": 5.0}, "owner_id", "Input should be a valid integer"),
    ("/api/leads/{lead}/refuse", {"reason_id": 1, "note": 5}, "note", "Input should be a valid string"),
    ("/api/leads/{lead}/stage", {"stage": ["contacted"]}, "stage", "Input should be a valid string"),
    ("/api/privacy/erase", {"lead": 1, "confirm": "true"}, "confirm", "Input should be a valid boolean"),
    ("/api/privacy/erase", {"lead": 1, "confirm": 1}, "confirm", "Input should be a valid boolean"),
    ("/api/leads/{lead}/defer", {"until": 20301231}, "until", "Must be a date (and time) in ISO 8601, not a number."),
    ("/api/segments", {"name": "Hot", "conditions": ["x"]}, "conditions", "Input should be a valid dictionary"),
])
def test_a_value_of_another_json_type_is_refused_not_read_as_one(api_as, admin_user, alice, make_lead, url, body,
                                                                 field, said):
    """"5" is not user 5, 5.0 is not 5, "true" does not confirm an erasure: each is refused naming the field and the
    type it takes, and nothing changes."""
    lead = make_lead(owner=alice)
    body = {key: str(alice.pk) if value == "{owner}" else value for key, value in body.items()}
    response = api_as(admin_user).post(url.format(lead=lead.pk), json.dumps(body), content_type="application/json")
    assert response.status_code == 422, response.content
    assert response.json()["error"] == {"code": "validation_error", "message": "Some fields are invalid.",
                                        "fields": {field: [said]}}
    lead.refresh_from_db()
    assert (lead.owner_id, lead.state) == (alice.pk, "open")


def test_json_still_gives_dates_and_times_as_iso_strings(api_as, alice, make_lead):
    """Strict types read JSON's strings for dates and times all the same (JSON has no date type)."""
    lead = make_lead(owner=alice)
    until = (timezone.localdate() + timedelta(days=10)).isoformat()
    assert api_as(alice).post(f"/api/leads/{lead.pk}/defer", {"until": until},
                              content_type="application/json").status_code == 200
    task = api_as(alice).post("/api/tasks", {"lead_id": lead.pk, "title": "Call back", "due_at": "2030-01-10T10:00"},
                              content_type="application/json")
    assert task.status_code == 201, task.content


@pytest.mark.parametrize(("query", "field", "said"), [
    ({"limit": "5.0"}, "limit", "Must be a whole number, written in digits (e.g. 50)."),
    ({"limit": "abc"}, "limit", "Must be a whole number, written in digits (e.g. 50)."),
    ({"limit": "+5"}, "limit", "Must be a whole number, written in digits (e.g. 50)."),
    ({"limit": "0"}, "limit", "Between 1 and 200."),
    ({"team_id": "-1"}, "team_id", "Input should be greater than or equal to 1"),
    ({"pool": "yes"}, "pool", "Must be true or false."),
    ({"pool": "1"}, "pool", "Must be true or false."),
    ({"created_from": "2026-13-01"}, "created_from", None),
])
def test_a_query_parameter_is_read_strictly_as_its_type(api_as, alice, query, field, said):
    response = api_as(alice).get("/api/leads", query)
    assert response.status_code == 422, response.content
    assert list(response.json()["error"]["fields"]) == [field]
    if said:
        assert response.json()["error"]["fields"][field] == [said]


def test_a_query_parameter_written_as_its_type_is_taken(api_as, alice, make_lead):
    pooled = make_lead()
    make_lead(owner=alice)
    response = api_as(alice).get("/api/leads", {"limit": "5", "pool": "true", "created_from": "2020-01-01"})
    assert response.status_code == 200, response.content
    assert [item["id"] for item in response.json()["items"]] == [pooled.pk]
    assert api_as(alice).get("/api/tasks", {"include_done": "false", "limit": "200"}).status_code == 200


def test_the_public_submission_documents_the_numbers_and_words_it_reads(partner):
    """POST /api/submissions keeps reading what forms send; its document says so rather than promise only strings."""
    body = SCHEMA["paths"]["/api/submissions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    document = body["properties"]
    assert {"type": "number"} in document["phone"]["anyOf"] and {"type": "string"} in document["phone"]["anyOf"]
    assert {branch.get("type") for branch in document["consent"]["anyOf"]} == {"boolean", "integer", "string", "null"}
    response = submit(partner[1], {"name": "Иван Петров", "phone": 79123450005, "consent": "on"})
    assert response.status_code == 201, response.content
    assert Lead.objects.get(phone="+79123450005").consents.filter(given=True).exists()


@pytest.mark.parametrize("value", ["5.0", "+5", "5_0", "%205"])
def test_an_id_in_a_path_is_written_in_digits(everyone, make_lead, value):
    """pydantic would read /api/leads/5.0 and /api/leads/+5 as lead 5."""
    lead = make_lead()
    shown = value.replace("5", str(lead.pk))
    response = everyone.get(f"/api/leads/{shown}")
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == {"lead_id": ["Must be a whole number, written in digits (e.g. 50)."]}
    assert everyone.get(f"/api/leads/{lead.pk}").status_code == 200
