"""A client's task goes to the client's team: the task opens the card to its assignee, so a head of two teams who
gave it to a manager of the other team showed that manager another team's client (and put its work in their
figures). The head, the client's owner and an admin may still take it; a lead's task goes to whoever may open it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from leadflow.leads import services
from leadflow.leads.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def head_of_both(head, other_team):  # type: ignore[no-untyped-def]
    other_team.head = head
    other_team.save()
    return head


def _web(user) -> WebClient:  # type: ignore[no-untyped-def]
    web = WebClient()
    web.force_login(user)
    return web


def _assignee_choices(page: str) -> set[str]:
    select = re.search(r'<select name="assignee".*?</select>', page, re.S)
    return set(re.findall(r'<option value="(\d+)"', select.group(0))) if select else set()


def test_a_head_of_two_teams_cannot_give_a_clients_task_to_the_other_teams_manager(
        head_of_both, alice, bob, carol, make_lead, api_as):
    client = services.convert_lead(lead=make_lead(owner=alice), by=alice)
    before = set(client.tasks.values_list("pk", flat=True))
    due = (timezone.now() + timedelta(days=1)).isoformat()

    response = api_as(head_of_both).post(f"/api/clients/{client.pk}/tasks", {
        "title": "Call about the invoice", "due_at": due, "assignee_id": carol.pk}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"assignee": [
        "Carol is not in the client's team (Sales): give the task to someone of that team."]}

    web = _web(head_of_both)
    card = web.get(f"/clients/{client.pk}/").content.decode()
    assert _assignee_choices(card) >= {str(alice.pk), str(bob.pk), str(head_of_both.pk)}
    assert str(carol.pk) not in _assignee_choices(card)  # the form offers only those the task is accepted for
    page = web.post(f"/clients/{client.pk}/task/", {"title": "Call about the invoice", "kind": "call",
                                                    "due_at": due[:16], "assignee": carol.pk}, follow=True)
    assert "Select a valid choice" in page.content.decode()

    assert set(client.tasks.values_list("pk", flat=True)) == before
    assert _web(carol).get(f"/clients/{client.pk}/").status_code == 404  # nothing opened the card to her

    # Bob of the client's team may be given it, and the head may take it.
    task = services.create_task(client=client, assignee=bob, title="Call", due_at=timezone.now(), by=head_of_both)
    assert task.assignee == bob and _web(bob).get(f"/clients/{client.pk}/").status_code == 200
    assert services.create_task(client=client, assignee=head_of_both, title="Check", due_at=timezone.now(),
                                by=alice).assignee == head_of_both


def test_a_client_of_the_second_team_goes_to_its_manager(head_of_both, carol, other_team, make_lead):
    client = services.convert_lead(lead=make_lead(team=other_team, owner=carol), by=carol)
    task = services.create_task(client=client, assignee=carol, title="Call", due_at=timezone.now(), by=head_of_both)
    assert Task.objects.get(pk=task.pk).assignee == carol
