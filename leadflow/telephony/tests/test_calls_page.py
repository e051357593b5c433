"""The calls page: each person sees the calls that are theirs to see, missed calls waiting for a call back stand out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow.leads import services as leads
from leadflow.leads.models import Task, TaskKind
from leadflow.telephony.models import Call, CallState, Direction, Integration, Provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(sales, other_team, alice, bob, carol, make_lead):
    """Alice answered one call and owns a lead that called and was missed (call back open); bob's lead
    called an hour ago; carol (wholesale) answered one; one call is ten days old."""
    pbx = Integration.objects.create(name="PBX", provider=Provider.GENERIC, secret="s" * 32, team=sales)
    now = timezone.now()
    alices_lead = make_lead(owner=alice, first_name="Анна", last_name="Смирнова")
    bobs_lead = make_lead(owner=bob, first_name="Олег", last_name="Сидоров")
    callback = Task.objects.create(lead=alices_lead, assignee=alice, kind=TaskKind.CALLBACK, title="Call back",
                                   due_at=now - timedelta(minutes=5))

    def call(n: int, **fields) -> Call:  # type: ignore[no-untyped-def]
        fields.setdefault("caller", f"+7912000000{n}")
        return Call.objects.create(integration=pbx, provider_call_id=f"c{n}", direction=Direction.INCOMING, **fields)

    return {
        "answered": call(1, answered_by=alice, team=sales, state=CallState.FINISHED, duration_seconds=95,
                         started_at=now - timedelta(hours=2), recording_url="https://pbx.example/rec/1.mp3"),
        "missed": call(2, lead=alices_lead, team=sales, state=CallState.MISSED, callback_task=callback,
                       started_at=now - timedelta(minutes=30)),
        "bobs": call(3, lead=bobs_lead, team=sales, state=CallState.FINISHED, answered_by=bob,
                     started_at=now - timedelta(hours=1)),
        "wholesale": call(4, team=other_team, answered_by=carol, state=CallState.FINISHED,
                          started_at=now - timedelta(hours=3)),
        "old": call(5, answered_by=alice, team=sales, state=CallState.FINISHED, started_at=now - timedelta(days=10)),
        "escaped": call(6, team=sales, state=CallState.MISSED, caller="", caller_raw="<script>alert(1)</script>",
                        started_at=now - timedelta(hours=4)),
    }


def listed(client, user, **params) -> list[int]:  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get("/calls/", params)
    assert response.status_code == 200
    return [call.pk for call in response.context["page"]]


def test_each_sees_the_calls_that_are_theirs(client, calls, alice, bob, carol, head, admin_user):
    c = calls
    assert listed(client, alice) == [c["missed"].pk, c["answered"].pk]  # newest first; not bob's, not ten days old
    assert listed(client, bob) == [c["bobs"].pk]
    assert listed(client, carol) == [c["wholesale"].pk]
    assert listed(client, head) == [c["missed"].pk, c["bobs"].pk, c["answered"].pk, c["escaped"].pk]
    assert len(listed(client, admin_user, period="30")) == 6
    assert listed(client, alice, period="30") == [c["missed"].pk, c["answered"].pk, c["old"].pk]


def test_missed_calls_waiting_for_a_call_back(client, calls, alice, head):
    assert listed(client, head, waiting="1") == [calls["missed"].pk]  # the other missed one has no call back task
    page = client.get("/calls/", {"waiting": "1"}).content.decode()
    assert "overdue" in page and "Смирнова Анна" in page
    leads.complete_task(task=calls["missed"].callback_task, result="Called back", by=alice)
    assert listed(client, head, waiting="1") == []
    assert listed(client, head, state="missed") == [calls["missed"].pk, calls["escaped"].pk]


def test_what_a_phone_system_sent_is_shown_escaped(client, calls, head):
    client.force_login(head)
    page = client.get("/calls/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="https://pbx.example/rec/1.mp3"' in page


def test_marketers_and_strangers_get_nothing(client, calls, db):
    from leadflow.accounts.models import User

    assert client.get("/calls/").status_code == 302  # to the login page
    marketer = User.objects.create_user("mia", password="pw", role="marketer")
    client.force_login(marketer)
    assert client.get("/calls/").status_code == 404
