"""Converting a lead keeps the steps people agreed: their open tasks continue on the client card.

A manager who set "call on Thursday about the contract" and then converts the lead must still have that call in
My tasks; only the tasks Leadflow wrote for the lead ("Call the lead", "Assign a responsible person") end with
it."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from leadflow.leads import services
from leadflow.leads.models import Task

pytestmark = pytest.mark.django_db


def _open_titles(**card: object) -> list[str]:
    return sorted(Task.objects.open().filter(**card).values_list("title", flat=True))


def test_a_task_a_person_wrote_continues_on_the_client_instead_of_the_generic_first_call(alice, make_lead):
    lead = make_lead(owner=alice)
    thursday = timezone.now() + timedelta(days=3)
    agreed = services.create_task(lead=lead, assignee=alice, title="Call about the contract", due_at=thursday,
                                  by=alice)

    client = services.convert_lead(lead=lead, by=alice)

    moved = Task.objects.open().get(client=client)
    assert (moved.title, moved.assignee, moved.due_at, moved.previous_id) == (
        "Call about the contract", alice, agreed.due_at, agreed.pk)
    assert not Task.objects.open().filter(lead=lead).exists()  # "Call the lead" and the original are closed
    agreed.refresh_from_db()
    assert agreed.is_cancelled and agreed.shown_result == "Moved to the client"
    with translation.override("ru"):
        assert agreed.shown_result == "Перенесена на карточку клиента"
    assert _open_titles(assignee=alice) == ["Call about the contract"]  # one call to the person, not two


def test_the_converters_first_task_is_added_next_to_the_carried_one(alice, make_lead):
    lead = make_lead(owner=alice)
    services.create_task(lead=lead, assignee=alice, title="Send the price list", by=alice,
                         due_at=timezone.now() + timedelta(days=1))

    client = services.convert_lead(lead=lead, by=alice, first_task=services.FirstTask(title="Sign the contract"))

    assert _open_titles(client=client) == ["Send the price list", "Sign the contract"]


def test_without_a_task_a_person_wrote_the_client_gets_the_generic_first_call(alice, make_lead):
    lead = make_lead(owner=alice)
    assert Task.objects.open().filter(lead=lead).exists()  # Leadflow's "Call the lead"

    client = services.convert_lead(lead=lead, by=alice, first_task=services.FirstTask())

    assert [t.shown_title for t in Task.objects.open().filter(client=client)] == [f"Call the new client: {client.name}"]


def test_a_carried_task_goes_to_the_new_owner_when_its_assignee_is_not_in_the_clients_team(head, alice, carol,
                                                                                          make_lead):
    lead = make_lead(owner=alice)
    task = services.create_task(lead=lead, assignee=alice, title="Meet at the office", by=alice,
                                due_at=timezone.now() + timedelta(days=2))
    Task.objects.filter(pk=task.pk).update(assignee=carol)  # given to someone of another team before the rule

    client = services.convert_lead(lead=lead, by=head, owner=alice)

    assert Task.objects.open().get(client=client).assignee == alice
