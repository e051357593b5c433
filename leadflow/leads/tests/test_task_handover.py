"""Tasks handed over: a reassigned lead's tasks remind their new assignee on the day, and the next task of a
person who has left goes to whoever closed theirs, not back to the leaver."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow.leads import services
from leadflow.leads.models import Notification, Task

pytestmark = pytest.mark.django_db


def _reminders(user) -> int:  # type: ignore[no-untyped-def]
    return Notification.objects.filter(user=user, kind="task.due").count()


def test_a_reassigned_leads_task_reminds_its_new_owner(head, alice, bob, make_lead):
    lead = make_lead(owner=alice)
    task = Task.objects.get(lead=lead, completed_at__isnull=True)
    Task.objects.filter(pk=task.pk).update(due_at=timezone.now() + timedelta(minutes=30))
    services.remind_due_tasks()
    assert (_reminders(alice), _reminders(bob)) == (1, 0)

    services.assign_lead(lead=lead, to=bob, by=head)  # Alice is off sick: Bob makes the call
    services.remind_due_tasks()
    assert Task.objects.get(pk=task.pk).assignee == bob
    assert (_reminders(alice), _reminders(bob)) == (1, 1)
    services.remind_due_tasks()
    assert _reminders(bob) == 1  # once


def test_a_claimed_pool_leads_task_is_reminded_to_who_claimed_it(bob, make_lead):
    lead = make_lead()
    task = Task.objects.get(lead=lead, completed_at__isnull=True)
    Task.objects.filter(pk=task.pk).update(due_at=timezone.now() + timedelta(minutes=30))
    services.claim_lead(lead=lead, by=bob)
    services.remind_due_tasks()
    assert _reminders(bob) == 1


def test_the_next_task_of_someone_who_left_goes_to_the_head_who_closed_theirs(head, alice, make_lead):
    lead = make_lead(owner=alice)
    task = Task.objects.get(lead=lead, completed_at__isnull=True)
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    following = services.complete_task(task=task, result="Called for Alice: send the offer", by=head,
                                       next_title="Send the offer", next_due_at=timezone.now() + timedelta(days=1))
    assert following is not None and following.assignee == head


def test_the_next_task_stays_with_the_manager_when_the_head_closes_theirs(head, alice, make_lead):
    lead = make_lead(owner=alice)
    task = Task.objects.get(lead=lead, completed_at__isnull=True)
    following = services.complete_task(task=task, result="Talked", by=head, next_title="Call again",
                                       next_due_at=timezone.now() + timedelta(days=1))
    assert following is not None and following.assignee == alice
    assert Notification.objects.filter(user=alice, kind="task.assigned").count() == 1
