"""A lead's task goes to someone who may open the lead: otherwise it sat in their My tasks with a 404 behind it."""

from __future__ import annotations

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from leadflow.core.errors import InvalidInput
from leadflow.leads import services
from leadflow.leads.models import Task

pytestmark = pytest.mark.django_db


def _web(user) -> WebClient:  # type: ignore[no-untyped-def]
    web = WebClient()
    web.force_login(user)
    return web


def test_a_head_cannot_give_a_task_on_alices_lead_to_bob_who_cannot_open_it(head, alice, bob, make_lead, api_as):
    lead = make_lead(owner=alice)
    before = Task.objects.filter(lead=lead).count()
    due = (timezone.now() + timezone.timedelta(days=1)).isoformat()

    response = api_as(head).post("/api/tasks", {"lead_id": lead.pk, "title": "Call back", "due_at": due,
                                                "assignee_id": bob.pk}, content_type="application/json")
    assert response.status_code == 422
    assert "cannot open this lead" in response.json()["error"]["fields"]["assignee"][0]

    page = _web(head).post(f"/leads/{lead.pk}/task/", {"title": "Call back", "due_at": due[:16], "kind": "call",
                                                       "assignee": bob.pk}, follow=True)
    assert "Bob cannot open this lead" in page.content.decode()
    assert Task.objects.filter(lead=lead).count() == before and not Task.objects.filter(assignee=bob).exists()

    # Alice, who works it, may be given it; and once the lead is Bob's, so may he.
    services.create_task(lead=lead, assignee=alice, title="Call back", due_at=timezone.now(), by=head)
    services.assign_lead(lead=lead, to=bob, by=head)
    task = services.create_task(lead=lead, assignee=bob, title="Send the offer", due_at=timezone.now(), by=head)
    assert _web(bob).get(f"/leads/{lead.pk}/").status_code == 200 and task.assignee == bob


def test_a_pool_lead_can_be_given_to_a_manager_of_the_team(head, bob, make_lead):
    lead = make_lead()  # the pool: every manager of the team may open it
    assert lead.owner is None
    task = services.create_task(lead=lead, assignee=bob, title="Call", due_at=timezone.now(), by=head)
    assert task.assignee == bob


def test_the_refusal_names_the_field(head, alice, bob, make_lead):
    lead = make_lead(owner=alice)
    with pytest.raises(InvalidInput) as refused:
        services.create_task(lead=lead, assignee=bob, title="Call", due_at=timezone.now(), by=head)
    assert set(refused.value.fields) == {"assignee"}


def test_a_head_completes_an_absent_managers_task_from_the_card(head, alice, bob, make_lead):
    lead = make_lead(owner=alice)
    task = Task.objects.filter(lead=lead, completed_at__isnull=True).get()
    assert task.assignee == alice

    def complete_buttons(user) -> int:  # type: ignore[no-untyped-def]
        return _web(user).get(f"/leads/{lead.pk}/").content.decode().count(f'action="/tasks/{task.pk}/complete/"')

    assert complete_buttons(alice) == 1 and complete_buttons(head) == 1  # the card offered it to Alice only
    response = _web(head).post(f"/tasks/{task.pk}/complete/", {"result": "Called for Alice: agreed a meeting",
                                                             "next": f"/leads/{lead.pk}/"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.completed_at is not None and task.result.startswith("Called for Alice")


def test_a_head_completes_a_task_on_a_client_of_the_team(head, alice, make_lead):
    client = services.convert_lead(lead=make_lead(owner=alice), by=alice)
    task = Task.objects.get(client=client, completed_at__isnull=True)
    page = _web(head).get(f"/clients/{client.pk}/").content.decode()
    assert f'action="/tasks/{task.pk}/complete/"' in page


def test_an_erased_persons_card_offers_no_forms_and_takes_no_personal_data_back(alice, admin_user, make_lead,
                                                                                 api_as):
    from leadflow.privacy import services as privacy

    lead = make_lead(owner=alice, first_name="Анна", last_name="Смирнова", phone="+79161112233")
    privacy.erase_person(person=privacy.find_person(lead=lead), by=admin_user)
    page = _web(alice).get(f"/leads/{lead.pk}/").content.decode()
    assert 'data-testid="lead-erased"' in page
    for action in ("edit", "task", "activity", "convert", "stage", "refuse", "defer"):
        assert f'action="/leads/{lead.pk}/{action}/"' not in page, action

    # Typed back in by hand (the edit form of a page opened before the erasure, or the API): refused.
    response = _web(alice).post(f"/leads/{lead.pk}/edit/", {"last_name": "Смирнова", "first_name": "Анна",
                                                            "phone": "+79161112233"}, follow=True)
    assert "data was erased at their request" in response.content.decode()
    response = api_as(alice).patch(f"/api/leads/{lead.pk}", {"phone": "+79161112233"},
                                   content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "card_erased"
    lead.refresh_from_db()
    assert lead.phone == "" and lead.first_name == ""
    with pytest.raises(services.CardErased):
        services.convert_lead(lead=lead, by=alice)


def test_a_head_of_two_teams_cannot_give_a_pool_leads_task_to_the_other_teams_manager(head, other_team, carol,
                                                                                       bob, make_lead):
    """A pool lead is open to its own team's managers only: Carol of Wholesale cannot take Sales' lead's task."""
    other_team.head = head
    other_team.save()
    lead = make_lead()
    with pytest.raises(InvalidInput) as refused:
        services.create_task(lead=lead, assignee=carol, title="Call", due_at=timezone.now(), by=head)
    assert set(refused.value.fields) == {"assignee"}
    assert not Task.objects.filter(assignee=carol).exists()
    assert services.create_task(lead=lead, assignee=bob, title="Call", due_at=timezone.now(), by=head).assignee == bob
