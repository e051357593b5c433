"""Speed to lead: unclaimed pooled leads escalate to the head; due tasks remind their assignee."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from leadflow.events.services import deliver_pending
from leadflow.leads import services
from leadflow.leads.models import Lead, Task, TaskKind

pytestmark = pytest.mark.django_db


def test_pooled_lead_unclaimed_past_the_limit_goes_to_the_head(sales, head, alice, make_lead):
    sales.pool_claim_minutes = 30
    sales.save()
    lead = make_lead()
    assert services.escalate_unclaimed(now=lead.created_at + timedelta(minutes=29)) == 0
    assert services.escalate_unclaimed(now=lead.created_at + timedelta(minutes=31)) == 1
    task = Task.objects.get(lead=lead, kind=TaskKind.ASSIGN)
    assert task.assignee == head
    assert head.notifications.filter(kind="lead.escalated", lead=lead).count() == 1
    # once only
    assert services.escalate_unclaimed(now=lead.created_at + timedelta(hours=5)) == 0


def test_claimed_leads_never_escalate(sales, alice, make_lead):
    lead = make_lead(owner=alice)
    assert services.escalate_unclaimed(now=lead.created_at + timedelta(days=1)) == 0
    assert Lead.objects.get(pk=lead.pk).escalated_at is None


def test_due_task_reminds_its_assignee_once_by_app_and_mail(alice, make_lead):
    lead = make_lead(owner=alice)
    Task.objects.filter(lead=lead).update(due_at=timezone.now() + timedelta(minutes=10))
    assert services.remind_due_tasks() == 1
    assert services.remind_due_tasks() == 0
    assert alice.notifications.filter(kind="task.due").count() == 1
    deliver_pending()
    assert any("Task due" in m.subject and m.to == ["alice@example.com"] for m in mail.outbox)


def test_tasks_due_later_are_not_reminded_yet(alice, make_lead):
    lead = make_lead(owner=alice)
    Task.objects.filter(lead=lead).update(due_at=timezone.now() + timedelta(days=2))
    assert services.remind_due_tasks() == 0


def test_failing_outbox_handler_keeps_the_event_for_later(alice, make_lead):
    from leadflow.events import services as events
    from leadflow.events.models import OutboxEvent

    calls = []

    def flaky(event):
        calls.append(event.pk)
        if len(calls) == 1:
            raise RuntimeError("smtp down")

    events._handlers.setdefault("test.flaky", []).append(flaky)
    try:
        event = events.record_event("test.flaky", n=1)
        deliver_pending()
        event.refresh_from_db()
        assert event.delivered_at is None and "smtp down" in event.last_error
        deliver_pending()
        event.refresh_from_db()
        assert event.delivered_at is not None and event.attempts == 2
        assert OutboxEvent.objects.filter(delivered_at__isnull=True).count() == 0
    finally:
        events._handlers["test.flaky"].remove(flaky)


def test_sla_about_to_breach_warns_the_owner_once(alice, make_lead):
    lead = make_lead(owner=alice)
    due = Task.objects.get(lead=lead).due_at
    assert services.warn_sla_breaches(now=due - timedelta(minutes=10)) == 0
    assert services.warn_sla_breaches(now=due - timedelta(minutes=4)) == 1
    assert services.warn_sla_breaches(now=due) == 0
    assert alice.notifications.filter(kind="lead.sla_at_risk", lead=lead).count() == 1


def test_sla_warning_for_a_pooled_lead_goes_to_the_head(head, make_lead):
    lead = make_lead()
    due = Task.objects.get(lead=lead).due_at
    assert services.warn_sla_breaches(now=due) == 1
    assert head.notifications.filter(kind="lead.sla_at_risk").count() == 1


def test_no_sla_warning_once_the_lead_was_called(alice, make_lead):
    lead = make_lead(owner=alice)
    services.log_activity(lead=lead, kind="call", by=alice)
    assert services.warn_sla_breaches(now=Task.objects.filter(lead=lead).first().due_at) == 0


def test_sla_warning_follows_the_first_contacts_deadline_not_the_next_task(alice, make_lead):
    """'No answer' closes the first task with a call set for tomorrow: nobody has talked to the person, and the
    deadline the first task had still stands (the warning came tomorrow, a day after the breach)."""
    lead = make_lead(owner=alice)
    task = Task.objects.get(lead=lead)
    services.complete_task(task=task, result="No answer", by=alice, next_title="Call again",
                           next_due_at=task.due_at + timedelta(days=1))
    assert services.warn_sla_breaches(now=task.due_at - timedelta(minutes=4)) == 1
    assert alice.notifications.filter(kind="lead.sla_at_risk", lead=lead).count() == 1


def test_no_sla_warning_an_hour_after_the_deadline(alice, make_lead):
    """The worker was down: a deadline long gone is a breach on the team page, not "about to breach" news."""
    lead = make_lead(owner=alice)
    assert services.warn_sla_breaches(now=lead.sla_due_at + timedelta(hours=2)) == 0
    assert services.warn_sla_breaches(now=lead.sla_due_at + timedelta(minutes=30)) == 1
