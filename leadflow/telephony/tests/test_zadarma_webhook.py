"""Zadarma's PBX notifications posted over real HTTP to the live server, in Zadarma's documented shape:
form-encoded fields and a `Signature` header = base64(hex(HMAC-SHA1(signed fields, API secret)))."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient

from leadflow.clients.models import Client
from leadflow.intake.models import Submission
from leadflow.leads import services as leads
from leadflow.leads.models import Activity, Interest, Lead, Notification, Task
from leadflow.telephony.models import Call, CallEvent
from leadflow.telephony.tests.conftest import ZADARMA_SECRET, form_body, http

pytestmark = pytest.mark.usefixtures("stages")

# The fields each notification's signature covers, as Zadarma documents them.
SIGNED = {
    "NOTIFY_START": ("caller_id", "called_did", "call_start"),
    "NOTIFY_INTERNAL": ("caller_id", "called_did", "call_start"),
    "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_OUT_START": ("internal", "destination", "call_start"),
    "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}
SALES_LINE = "74951112233"
WHOLESALE_LINE = "74993334455"


def sign(fields: dict[str, str], secret: str = ZADARMA_SECRET) -> str:
    text = "".join(fields.get(name, "") for name in SIGNED[fields["event"]])
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha1).hexdigest().encode()).decode()


def moscow_now() -> str:
    return datetime.now(ZoneInfo("Europe/Moscow")).strftime("%Y-%m-%d %H:%M:%S")


def notify(url: str, fields: dict[str, str], *, signature: str | None = None):
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Signature": sign(fields) if signature is None else signature}
    return http(url, data=form_body(fields), headers=headers)


def incoming_call(url: str, *, caller: str, line: str = SALES_LINE, call_id: str = "in_7f3c01",
                  answered_on: str = "", duration: int = 0, recording: str = "") -> object:
    """The events of one incoming call: start, (answer,) end."""
    start = moscow_now()
    notify(url, {"event": "NOTIFY_START", "call_start": start, "pbx_call_id": call_id, "caller_id": caller,
                 "called_did": line})
    if answered_on:
        notify(url, {"event": "NOTIFY_ANSWER", "caller_id": caller, "destination": answered_on,
                     "call_start": start, "pbx_call_id": call_id, "internal": answered_on})
    end = {"event": "NOTIFY_END", "call_start": start, "pbx_call_id": call_id, "caller_id": caller,
           "called_did": line, "internal": answered_on, "duration": str(duration),
           "disposition": "answered" if answered_on else "no answer", "status_code": "16",
           "is_recorded": "1" if recording else "0", "call_id_with_rec": recording}
    return end, notify(url, end)


def test_answered_call_from_a_known_lead_is_logged_on_the_card(zadarma, events_url, make_lead, alice):
    lead = make_lead(owner=alice, phone="+79161234567")
    url = events_url(zadarma)

    _end, answer = incoming_call(url, caller="79161234567", answered_on="101", duration=95,
                                recording="1732350000.123456")

    assert answer.status == 200 and answer.body["status"] == "accepted"
    activity = Activity.objects.get(lead=lead, kind="call")
    assert activity.subject == "Incoming call"
    assert activity.duration_seconds == 95
    assert activity.author == alice  # extension 101 is alice
    assert "1732350000.123456" in activity.body and "74951112233" in activity.body
    lead.refresh_from_db()
    assert lead.first_contacted_at == activity.occurred_at
    call = Call.objects.get()
    assert (call.caller, call.state, call.duration_seconds, call.answered_by, call.lead) == (
        "+79161234567", "finished", 95, alice, lead)
    assert [step["state"] for step in call.timeline] == ["ringing", "answered", "finished"]
    # call_start is Moscow wall time (the integration's zone), stored as the right instant
    assert abs(call.started_at - datetime.now(ZoneInfo("UTC"))) < timedelta(minutes=1)
    assert Task.objects.filter(lead=lead, kind="callback").count() == 0
    submission = Submission.objects.get(channel="phone")
    assert (submission.status, submission.lead) == ("attached", lead)
    assert CallEvent.objects.count() == 3  # every body journaled


def test_the_same_notification_retried_makes_nothing_twice(zadarma, events_url, make_lead, bob):
    lead = make_lead(owner=bob, phone="+79161234567")
    url = events_url(zadarma)
    end, first = incoming_call(url, caller="79161234567")

    again = notify(url, end)

    assert first.body["status"] == "accepted" and again.status == 200 and again.body["status"] == "duplicate"
    assert Activity.objects.filter(lead=lead, kind="call").count() == 1
    assert Task.objects.filter(lead=lead, kind="callback").count() == 1
    assert Submission.objects.filter(channel="phone").count() == 1
    assert CallEvent.objects.filter(kind="finished").count() == 1


def test_missed_call_from_a_known_lead_gives_its_owner_a_callback_within_the_sla(zadarma, events_url, make_lead,
                                                                                  bob):
    lead = make_lead(owner=bob, phone="+79161234567")
    before = datetime.now(ZoneInfo("UTC"))

    _end, answer = incoming_call(events_url(zadarma), caller="79161234567")

    assert answer.status == 200
    task = Task.objects.get(lead=lead, kind="callback")
    assert task.assignee == bob and task.completed_at is None
    assert timedelta(0) < task.due_at - before <= timedelta(minutes=lead.team.sla_minutes, seconds=5)
    assert Notification.objects.filter(user=bob, kind="call.missed", lead=lead).count() == 1
    activity = Activity.objects.get(lead=lead, kind="call")
    assert activity.subject == "Missed call" and activity.duration_seconds is None
    lead.refresh_from_db()
    assert lead.first_contacted_at is None  # a missed ring is not a contact
    assert Call.objects.get().state == "missed"


def test_second_missed_call_reuses_the_open_callback(zadarma, events_url, make_lead, bob):
    lead = make_lead(owner=bob, phone="+79161234567")
    incoming_call(events_url(zadarma), caller="79161234567", call_id="in_a")
    incoming_call(events_url(zadarma), caller="89161234567", call_id="in_b")

    assert Task.objects.filter(lead=lead, kind="callback").count() == 1
    assert Activity.objects.filter(lead=lead, kind="call").count() == 2


def test_unknown_caller_becomes_an_interest_of_the_called_lines_team_with_a_callback(zadarma, events_url,
                                                                                     other_team):
    url = events_url(zadarma)
    end, answer = incoming_call(url, caller="79035550011", line=WHOLESALE_LINE)
    notify(url, end)  # the provider retries

    assert answer.status == 200
    assert Lead.objects.count() == 0  # a number alone is not a lead
    interest = Interest.objects.get()
    assert (interest.phone, interest.channel, interest.team) == ("+79035550011", "phone", other_team)
    submission = Submission.objects.get(channel="phone")
    assert (submission.status, submission.interest) == ("interest", interest)
    assert submission.payload["phone"] == "+79035550011"
    task = Task.objects.get(kind="callback")
    assert task.assignee == other_team.head and task.lead is None
    assert "8 (903) 555-00-11" in task.title and task.text_params["number"] == "+79035550011"
    call = Call.objects.get()
    assert (call.interest, call.team, call.callback_task) == (interest, other_team, task)
    browser = HttpClient()
    browser.force_login(other_team.head)
    assert "8 (903) 555-00-11" in browser.get("/tasks/").content.decode()  # on the head's task list


def test_hidden_number_is_an_interest_without_a_callback(zadarma, events_url):
    incoming_call(events_url(zadarma), caller="anonymous")

    interest = Interest.objects.get()
    assert interest.phone == "" and "hidden" in interest.message
    assert Task.objects.filter(kind="callback").count() == 0


def test_outgoing_call_to_a_client_is_logged_on_the_client_card(zadarma, events_url, make_lead, alice):
    lead = make_lead(owner=alice, phone="+79167770000")
    client = leads.convert_lead(lead=lead, by=alice)
    start = moscow_now()
    url = events_url(zadarma)
    notify(url, {"event": "NOTIFY_OUT_START", "call_start": start, "pbx_call_id": "out_19", "internal": "101",
                 "destination": "79167770000"})
    answer = notify(url, {"event": "NOTIFY_OUT_END", "call_start": start, "pbx_call_id": "out_19",
                          "caller_id": SALES_LINE, "destination": "79167770000", "internal": "101",
                          "duration": "42", "disposition": "answered", "status_code": "16", "is_recorded": "0",
                          "call_id_with_rec": ""})

    assert answer.status == 200
    activity = Activity.objects.get(client=client, kind="call")
    assert (activity.subject, activity.duration_seconds, activity.author) == ("Outgoing call", 42, alice)
    assert Client.objects.get().calls.get().direction == "out"
    assert Submission.objects.filter(channel="phone").count() == 0  # we called them: not an incoming touch


def test_recording_notification_adds_the_recording_to_the_logged_call(zadarma, events_url, make_lead, alice):
    lead = make_lead(owner=alice, phone="+79161234567")
    url = events_url(zadarma)
    incoming_call(url, caller="79161234567", answered_on="101", duration=30, call_id="in_rec")

    answer = notify(url, {"event": "NOTIFY_RECORD", "pbx_call_id": "in_rec", "call_id_with_rec": "1732.77"})

    assert answer.status == 200
    assert Call.objects.get().recording_id == "1732.77"
    assert "1732.77" in Activity.objects.get(lead=lead, kind="call").body


def test_bad_or_missing_signature_is_refused_and_nothing_is_stored(zadarma, events_url):
    fields = {"event": "NOTIFY_START", "call_start": moscow_now(), "pbx_call_id": "in_x", "caller_id": "79161234567",
              "called_did": SALES_LINE}

    forged = notify(events_url(zadarma), fields, signature=sign(fields, secret="not-the-secret"))
    missing = notify(events_url(zadarma), fields, signature="")

    assert forged.status == 401 and forged.body["error"]["code"] == "bad_signature"
    assert missing.status == 401
    assert CallEvent.objects.count() == 0 and Call.objects.count() == 0


def test_signed_body_missing_a_documented_field_is_422_naming_it(zadarma, events_url):
    fields = {"event": "NOTIFY_END", "call_start": moscow_now(), "caller_id": "79161234567",
              "called_did": SALES_LINE, "duration": "3", "disposition": "answered"}
    bad_time = {"event": "NOTIFY_START", "call_start": "yesterday", "pbx_call_id": "in_t", "caller_id": "7916",
                "called_did": SALES_LINE}
    bad_duration = {**fields, "pbx_call_id": "in_d", "duration": "long"}

    missing = notify(events_url(zadarma), fields)
    wrong_time = notify(events_url(zadarma), bad_time)
    wrong_duration = notify(events_url(zadarma), bad_duration)

    assert missing.status == 422 and list(missing.body["error"]["fields"]) == ["pbx_call_id"]
    assert wrong_time.status == 422 and list(wrong_time.body["error"]["fields"]) == ["call_start"]
    assert wrong_duration.status == 422 and list(wrong_duration.body["error"]["fields"]) == ["duration"]
    assert Call.objects.count() == 0


def test_events_leadflow_does_not_use_are_acknowledged_and_ignored(zadarma, events_url):
    answer = http(events_url(zadarma), data=form_body({"event": "NOTIFY_IVR", "pbx_call_id": "in_i"}),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert answer.status == 200 and answer.body == {"status": "ignored"}
    assert CallEvent.objects.count() == 0


def test_url_check_echoes_zd_echo(zadarma, events_url):
    answer = http(events_url(zadarma) + "?zd_echo=abc123", method="GET")

    assert (answer.status, answer.body) == (200, "abc123")


def test_a_failure_after_the_journal_loses_nothing_and_the_retry_finishes_it(zadarma, events_url, make_lead, bob,
                                                                             monkeypatch):
    from leadflow.telephony import services

    lead = make_lead(owner=bob, phone="+79161234567")
    real = services._record_known_outcome
    failures = iter([RuntimeError("database went away")])

    def flaky(*args, **kwargs):
        error = next(failures, None)
        if error is not None:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_record_known_outcome", flaky)
    end, failed = incoming_call(events_url(zadarma), caller="79161234567")

    assert failed.status == 503
    assert CallEvent.objects.get(kind="finished").processed_at is None  # journaled, not processed
    assert Activity.objects.filter(lead=lead).count() == 0

    retried = notify(events_url(zadarma), end)

    assert retried.status == 200 and retried.body["status"] == "accepted"
    assert Activity.objects.filter(lead=lead, kind="call").count() == 1
    assert Task.objects.filter(lead=lead, kind="callback").count() == 1
