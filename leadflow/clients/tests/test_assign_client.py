"""The head of sales rebalances the load for clients as for leads (DOMAIN.md 12): the head of the client's team
gives the client to another manager of that team, from the card or the API; the old owner's open tasks on the
client go with it; nobody else may."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.clients.models import Client
from leadflow.leads import services
from leadflow.leads.models import FieldChange, Notification, Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of_alice(alice, bob, make_lead) -> Client:
    client = services.convert_lead(lead=make_lead(owner=alice), by=alice)
    services.create_task(client=client, assignee=alice, title="Send the invoice", by=alice,
                         due_at=timezone.now() + timedelta(days=1))
    Task.objects.filter(client=client).update(reminded_at=timezone.now())
    return client


def _web(user) -> HttpClient:  # type: ignore[no-untyped-def]
    web = HttpClient()
    web.force_login(user)
    return web


def test_the_head_gives_the_client_to_another_manager_with_its_open_tasks(client_of_alice, head, alice, bob):
    page = _web(head).get(f"/clients/{client_of_alice.pk}/").content.decode()
    assert 'data-testid="assign-client"' in page

    response = _web(head).post(f"/clients/{client_of_alice.pk}/assign/", {"owner": bob.pk}, follow=True)

    client_of_alice.refresh_from_db()
    assert client_of_alice.owner == bob and client_of_alice.contact.owner == bob
    tasks = Task.objects.open().filter(client=client_of_alice)
    assert tasks.count() == 2 and {t.assignee for t in tasks} == {bob}
    assert all(t.reminded_at is None for t in tasks)  # reminded afresh, to bob
    assert Notification.objects.filter(user=bob, kind="client.assigned", client=client_of_alice).exists()
    change = FieldChange.objects.get(client=client_of_alice, field="owner")
    assert (change.old_label, change.new_label) == (alice.display_name(), bob.display_name())
    page = response.content.decode()
    assert f"Assigned to {bob.display_name()}." in page
    assert f"{alice.display_name()} → {bob.display_name()}" in page  # the card's history
    assert _web(bob).get(f"/clients/{client_of_alice.pk}/").status_code == 200


def test_a_manager_cannot_give_away_a_client_and_nothing_changes(client_of_alice, alice, bob, api_as):
    assert 'data-testid="assign-client"' not in _web(alice).get(f"/clients/{client_of_alice.pk}/").content.decode()
    _web(alice).post(f"/clients/{client_of_alice.pk}/assign/", {"owner": bob.pk})
    response = api_as(alice).post(f"/api/clients/{client_of_alice.pk}/assign", {"owner_id": bob.pk},
                                  content_type="application/json")
    assert response.status_code == 403
    client_of_alice.refresh_from_db()
    assert client_of_alice.owner == alice
    assert not FieldChange.objects.filter(client=client_of_alice, field="owner").exists()


def test_the_api_refuses_a_manager_of_another_team_naming_the_field(client_of_alice, head, carol, bob, api_as):
    api = api_as(head)
    response = api.post(f"/api/clients/{client_of_alice.pk}/assign", {"owner_id": carol.pk},
                        content_type="application/json", headers={"Accept-Language": "ru"})
    assert response.status_code == 422
    assert "не в команде клиента" in response.json()["error"]["fields"]["owner_id"][0]
    assert api.post(f"/api/clients/{client_of_alice.pk}/assign", {"owner_id": 999999},
                    content_type="application/json").status_code == 422

    done = api.post(f"/api/clients/{client_of_alice.pk}/assign", {"owner_id": bob.pk},
                    content_type="application/json")
    assert done.status_code == 200 and done.json()["owner_id"] == bob.pk
