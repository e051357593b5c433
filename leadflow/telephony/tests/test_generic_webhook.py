"""Leadflow's own JSON call events, as an Asterisk/FreePBX script posts them, over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from leadflow.leads.models import Activity, Interest, Task
from leadflow.telephony.models import Call, CallEvent
from leadflow.telephony.tests.conftest import GENERIC_SECRET, http

pytestmark = pytest.mark.usefixtures("stages")


def post(url: str, body: object, *, token: str | None = GENERIC_SECRET, signed_with: str | None = None):
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signed_with is not None:
        headers["X-Leadflow-Signature"] = "sha256=" + hmac.new(signed_with.encode(), raw, hashlib.sha256).hexdigest()
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return http(url, data=raw, headers=headers)


def test_finished_call_with_recording_url_is_logged_on_the_lead(generic_pbx, events_url, make_lead, alice):
    lead = make_lead(owner=alice, phone="+79161230000")
    url = events_url(generic_pbx)
    post(url, {"event": "incoming", "call_id": "1700000000.42", "caller": "+7 916 123-00-00",
               "called_line": "+74951112233"})
    answer = post(url, {"event": "finished", "call_id": "1700000000.42", "caller": "+7 916 123-00-00",
                        "extension": "201", "duration": 61, "recording_url": "https://pbx.example.ru/rec/42.mp3"},
                  signed_with=GENERIC_SECRET)

    assert answer.status == 200 and answer.body["state"] == "finished"
    activity = Activity.objects.get(lead=lead, kind="call")
    assert (activity.duration_seconds, activity.author) == (61, alice)
    assert "https://pbx.example.ru/rec/42.mp3" in activity.body
    assert Call.objects.get().recording_url == "https://pbx.example.ru/rec/42.mp3"


def test_recording_sent_after_the_call_is_added_to_its_activity(generic_pbx, events_url, make_lead, alice):
    lead = make_lead(owner=alice, phone="+79161230000")
    url = events_url(generic_pbx)
    post(url, {"event": "finished", "call_id": "c-7", "caller": "+79161230000", "extension": "201", "duration": 12})

    answer = post(url, {"event": "recording", "call_id": "c-7", "recording_url": "https://pbx.example.ru/rec/7.mp3"})

    assert answer.status == 200
    assert "https://pbx.example.ru/rec/7.mp3" in Activity.objects.get(lead=lead, kind="call").body


def test_missed_event_gives_the_owner_a_callback(generic_pbx, events_url, make_lead, bob):
    lead = make_lead(owner=bob, phone="+79161230000")

    answer = post(events_url(generic_pbx), {"event": "missed", "call_id": "c-9", "caller": "89161230000"})

    assert answer.status == 200 and answer.body["state"] == "missed"
    assert Task.objects.get(lead=lead, kind="callback").assignee == bob


def test_unknown_caller_is_an_interest_for_the_integrations_team(generic_pbx, events_url, sales, head):
    answer = post(events_url(generic_pbx), {"event": "finished", "call_id": "c-10", "caller": "+79035550011",
                                            "duration": 0})

    assert answer.status == 200
    assert Interest.objects.get().team == sales
    assert Task.objects.get(kind="callback").assignee == head


@pytest.mark.parametrize("auth", [{"token": None}, {"token": "wrong"}, {"signed_with": "wrong"}])
def test_without_the_integrations_secret_nothing_is_accepted(generic_pbx, events_url, auth):
    answer = post(events_url(generic_pbx), {"event": "missed", "call_id": "c-1", "caller": "+79161230000"}, **auth)

    assert answer.status == 401
    assert CallEvent.objects.count() == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"event": "missed", "caller": "+79161230000"}, "call_id"),
    ({"event": "hung up", "call_id": "c"}, "event"),
    ({"event": "finished", "call_id": "c", "duration": -5}, "duration"),
    ({"event": "finished", "call_id": "c", "answered": "yes"}, "answered"),
    ({"event": "finished", "call_id": "c", "recording_url": "ftp://x/1.mp3"}, "recording_url"),
    ({"event": "finished", "call_id": "c", "occurred_at": "noon"}, "occurred_at"),
    ({"event": "finished", "call_id": {"id": 1}}, "call_id"),
    (["not", "an", "object"], "__all__"),
])
def test_malformed_body_is_422_naming_the_field(generic_pbx, events_url, body, field):
    answer = post(events_url(generic_pbx), body)

    assert answer.status == 422 and list(answer.body["error"]["fields"]) == [field]
    assert Call.objects.count() == 0


def test_unknown_or_inactive_integration_is_404(generic_pbx, events_url):
    generic_pbx.is_active = False
    generic_pbx.save()

    answer = post(events_url(generic_pbx), {"event": "missed", "call_id": "c-1"})

    assert answer.status == 404


def test_a_calls_line_manager_and_recording_read_in_each_readers_language(generic_pbx, events_url, make_lead, alice,
                                                                          api_as):
    """The worker wrote "Line: ... Manager: ..." in its own language into the timeline for everyone."""
    from django.test import Client as WebClient

    lead = make_lead(owner=alice, phone="+79161230000")
    url = events_url(generic_pbx)
    post(url, {"event": "incoming", "call_id": "c-9", "caller": "+79161230000", "called_line": "+74951112233"})
    post(url, {"event": "finished", "call_id": "c-9", "caller": "+79161230000", "extension": "201", "duration": 30})
    post(url, {"event": "recording", "call_id": "c-9", "recording_url": "https://pbx.example.ru/rec/9.mp3"})

    alice.language = "ru"
    alice.save()
    web = WebClient()
    web.force_login(alice)
    card = web.get(f"/leads/{lead.pk}/").content.decode()
    assert f"Менеджер: {alice.display_name()}" in card and "Линия: +74951112233" in card
    assert "Manager:" not in card and "Line:" not in card and "pbx.example.ru/rec/9.mp3" in card
    (call,) = [row for row in api_as(alice).get(f"/api/leads/{lead.pk}", HTTP_ACCEPT_LANGUAGE="en").json()[
        "activities"] if row["kind"] == "call"]
    assert call["body"] == (f"Line: +74951112233\nManager: {alice.display_name()}\n"
                            "Recording: https://pbx.example.ru/rec/9.mp3")


def test_a_long_caller_name_from_the_pbx_is_kept_but_an_overlong_call_id_is_refused_naming_it(generic_pbx, events_url):
    # the caller's name as the PBX's phone book has it is not read (nothing refuses it); an id cut would be another call
    name = "Иванов Иван Иванович, ООО «Ромашка», отдел закупок " * 8
    answer = post(events_url(generic_pbx), {"event": "missed", "call_id": "c-11", "caller": "+79161230000",
                                            "caller_name": name})

    assert answer.status == 200 and CallEvent.objects.get().payload["caller_name"] == name

    answer = post(events_url(generic_pbx), {"event": "missed", "call_id": "c" * 129, "caller": "+79161230000"})

    assert answer.status == 422 and answer.body["error"]["fields"] == {"call_id": ["At most 128 characters."]}
    assert Call.objects.count() == 1
