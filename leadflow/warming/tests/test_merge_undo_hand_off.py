"""Undoing a merge that handed a nurtured lead to sales: back to marketing while nobody worked it, else it stays."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from leadflow.accounts.models import RoutingScheme
from leadflow.leads import services as leads
from leadflow.leads.merging import merge_leads, undo_merge
from leadflow.leads.models import (
    Activity,
    Lead,
    LeadState,
    OwnerChange,
    RoutingRule,
    RoutingStrategy,
    StageChange,
    Task,
)
from leadflow.warming.lead_merge import BACK_TO_MARKETING, KEPT_WITH_SALES
from leadflow.warming.models import LeadScore
from leadflow.warming.services import record_behaviour

pytestmark = pytest.mark.django_db

HANDED = "Hot: handed from marketing to sales"


@pytest.fixture
def to_alice(sales, alice):
    sales.routing_scheme = RoutingScheme.RULES
    sales.save()
    RoutingRule.objects.create(team=sales, name="tractors to alice", position=1, product_interest="tractors",
                               strategy=RoutingStrategy.PERSON, assignee=alice)
    return sales


@pytest.fixture
def handed_by_merge(request, make_nurtured, make_lead, bob, head, policy, make_rule):
    """A nurtured survivor and bob's hot duplicate, merged: the merge handed the survivor to sales. By default the
    merge takes bob's name as the owner (the survivor has none) and the routing then decides; with the parameter
    "keep no owner" (indirect) the survivor's empty owner is chosen."""
    make_rule("add_to_cart", 40)
    survivor = make_nurtured(product_interest="tractors")
    other = make_lead(owner=bob, phone="+79120000301")
    record_behaviour("add_to_cart", lead=other)
    others_tasks = list(Task.objects.filter(lead=other).values_list("pk", flat=True))
    choices = {"owner_id": survivor.pk} if getattr(request, "param", "") == "keep no owner" else None
    merge = merge_leads(survivor=survivor, others=[other], by=head, choices=choices)
    survivor.refresh_from_db()
    assert survivor.state == LeadState.OPEN and Activity.objects.filter(lead=survivor, text_key=HANDED).exists()
    first_tasks = list(Task.objects.open().filter(lead=survivor).exclude(pk__in=others_tasks))
    return survivor, other, merge, first_tasks


def undo_on_the_card(client, head, lead, merge) -> list[str]:
    client.force_login(head)
    response = client.post(reverse("lead_action", args=[lead.pk, "undo_merge"]), {"merge": merge.pk})
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_an_untouched_hand_off_goes_back_to_marketing(to_alice, alice, head, handed_by_merge, client):
    survivor, other, merge, first_tasks = handed_by_merge
    assert (survivor.owner, survivor.sla_due_at is not None, survivor.sales_since is not None) == (alice, True, True)
    assert [task.assignee for task in first_tasks] == [alice]
    routed = type(alice).objects.get(pk=alice.pk).routed_count

    said = undo_on_the_card(client, head, survivor, merge)

    survivor.refresh_from_db()
    assert (survivor.state, survivor.owner, survivor.assigned_at) == (LeadState.NURTURING, None, None)
    assert (survivor.sla_due_at, survivor.sales_since) == (None, None)
    assert not Lead.objects.in_pool().filter(pk=survivor.pk).exists()
    task = Task.objects.get(pk=first_tasks[0].pk)
    assert task.completed_at is not None
    assert task.result == "Cancelled: the merge that handed the lead to sales was undone."
    assert not Task.objects.open().filter(lead=survivor).exists()
    # The card's history says it: who owned it, the state, and why.
    change = OwnerChange.objects.filter(lead=survivor).last()
    assert (change.from_owner, change.to_owner, change.reason, change.changed_by) == (alice, None, "marketing", head)
    assert change.reason_label() == "back to marketing"
    stage = StageChange.objects.filter(lead=survivor).last()
    assert (stage.from_state, stage.to_state, stage.changed_by) == (LeadState.OPEN, LeadState.NURTURING, head)
    assert Activity.objects.filter(lead=survivor, text_key=BACK_TO_MARKETING).count() == 1
    assert LeadScore.objects.get(lead=survivor).marketing_qualified_at is None
    assert type(alice).objects.get(pk=alice.pk).routed_count == routed - 1
    assert alice.notifications.filter(kind="lead.back_to_marketing", lead=survivor).count() == 1
    assert said == ["Merge undone. The lead is back with marketing: the merge had handed it to sales and nobody "
                    "worked it since."]
    other.refresh_from_db()
    assert (other.state, other.temperature) == (LeadState.OPEN, "hot")


@pytest.mark.parametrize("handed_by_merge", ["keep no owner"], indirect=True)
def test_a_pooled_hand_off_leaves_the_pool_too(alice, head, handed_by_merge):
    survivor, _other, merge, first_tasks = handed_by_merge  # the sales team pools its leads
    assert survivor.owner is None and Lead.objects.in_pool().filter(pk=survivor.pk).exists()
    assert [task.assignee for task in first_tasks] == [None]
    notes: list[str] = []

    undo_merge(merge=merge, by=head, notes=notes)

    survivor.refresh_from_db()
    assert (survivor.state, survivor.owner, survivor.sla_due_at) == (LeadState.NURTURING, None, None)
    assert not Lead.objects.in_pool().filter(pk=survivor.pk).exists()
    assert Task.objects.get(pk=first_tasks[0].pk).completed_at is not None
    assert not OwnerChange.objects.filter(lead=survivor, reason="marketing").exists()  # nobody owned it
    assert len(notes) == 1 and "back with marketing" in notes[0]


def _logged_a_call(survivor, first_tasks, alice, head):
    leads.log_activity(lead=survivor, kind="call", by=alice, subject="Talked about the price")


def _completed_the_first_task(survivor, first_tasks, alice, head):
    leads.complete_task(task=first_tasks[0], result="Called, interested", by=alice)


def _reassigned_by_hand(survivor, first_tasks, alice, head):
    from leadflow.accounts.models import User

    leads.assign_lead(lead=survivor, to=User.objects.get(username="bob"), by=head)


@pytest.mark.parametrize("work", [_logged_a_call, _completed_the_first_task, _reassigned_by_hand])
def test_a_worked_hand_off_stays_with_sales_and_the_undo_says_so(to_alice, alice, bob, head, handed_by_merge, client,
                                                                 work):
    survivor, other, merge, first_tasks = handed_by_merge
    work(survivor, first_tasks, alice, head)
    survivor.refresh_from_db()
    owner_before = survivor.owner

    said = undo_on_the_card(client, head, survivor, merge)

    survivor.refresh_from_db()
    assert (survivor.state, survivor.owner) == (LeadState.OPEN, owner_before)
    assert survivor.sla_due_at is not None and survivor.sales_since is not None
    assert not OwnerChange.objects.filter(lead=survivor, reason="marketing").exists()
    assert not Activity.objects.filter(lead=survivor, text_key=BACK_TO_MARKETING).exists()
    assert Activity.objects.filter(lead=survivor, text_key=KEPT_WITH_SALES).count() == 1
    assert said == ["Merge undone. The lead stays with sales: someone worked it after the merge handed it over."]
    other.refresh_from_db()
    assert other.state == LeadState.OPEN and other.merged_into is None


def test_a_merge_without_a_hand_off_undoes_as_before(make_lead, alice, bob, head, client):
    survivor, other = make_lead(owner=alice, phone="+79120000401"), make_lead(owner=bob, phone="+79120000402")
    merge = merge_leads(survivor=survivor, others=[other], by=head)
    assert undo_on_the_card(client, head, survivor, merge) == ["Merge undone."]
    survivor.refresh_from_db()
    assert (survivor.state, survivor.owner) == (LeadState.OPEN, alice)


@pytest.fixture
def returned_by_merge(make_lead, alice, bob, head, policy, make_rule):
    """alice deferred her lead for a month; bob's hot duplicate is merged into it, which brings it back to work."""
    from datetime import timedelta

    from django.utils import timezone

    make_rule("add_to_cart", 40)
    survivor = make_lead(owner=alice, phone="+79120000501")
    until = timezone.localdate() + timedelta(days=30)
    leads.defer_lead(lead=survivor, until=until, by=alice)
    call_again = Task.objects.open().get(lead=survivor)
    other = make_lead(owner=bob, phone="+79120000502")
    record_behaviour("add_to_cart", lead=other)
    merge = merge_leads(survivor=survivor, others=[other], by=head)
    survivor.refresh_from_db()
    call_again.refresh_from_db()
    assert (survivor.state, survivor.owner, survivor.deferred_until) == (LeadState.OPEN, alice, None)
    assert call_again.completed_at is not None  # the return to work closed it and gave alice a task now
    back_tasks = list(Task.objects.open().filter(lead=survivor, assignee=alice).exclude(pk=call_again.pk))
    assert back_tasks
    return survivor, merge, until, call_again, back_tasks


def test_a_deferred_lead_the_merge_brought_back_is_deferred_again(api_as, alice, head, returned_by_merge):
    from leadflow.warming.lead_merge import DEFERRED_AGAIN

    survivor, merge, until, call_again, back_tasks = returned_by_merge

    undone = api_as(head).post(f"/api/merges/{merge.pk}/undo")

    assert undone.status_code == 200
    assert undone.json()["state"] == "deferred" and undone.json()["deferred_until"] == until.isoformat()
    assert undone.json()["notes"] == [f"The lead is deferred again until {until:%m/%d/%Y}: the merge had brought it "
                                      "back and nobody worked it since."]
    survivor.refresh_from_db()
    assert (survivor.state, survivor.owner, survivor.deferred_until) == (LeadState.DEFERRED, alice, until)
    due = call_again.due_at
    call_again.refresh_from_db()
    assert (call_again.completed_at, call_again.result, call_again.due_at) == (None, "", due)  # as before the merge
    for task in back_tasks:
        task.refresh_from_db()
        assert task.result == "Cancelled: the merge that brought the lead back was undone."
    assert list(Task.objects.open().filter(lead=survivor)) == [call_again]
    stage = StageChange.objects.filter(lead=survivor).last()
    assert (stage.from_state, stage.to_state, stage.changed_by) == (LeadState.OPEN, LeadState.DEFERRED, head)
    assert Activity.objects.filter(lead=survivor, text_key=DEFERRED_AGAIN).count() == 1
    assert alice.notifications.filter(kind="lead.deferred_again", lead=survivor).count() == 1
    assert LeadScore.objects.get(lead=survivor).marketing_qualified_at is None
    assert not Lead.objects.in_pool().filter(pk=survivor.pk).exists()


def test_a_returned_lead_worked_since_stays_in_work(api_as, alice, head, returned_by_merge):
    survivor, merge, _until, call_again, back_tasks = returned_by_merge
    leads.complete_task(task=back_tasks[0], result="Called: wants a quote", by=alice)

    undone = api_as(head).post(f"/api/merges/{merge.pk}/undo")

    assert undone.status_code == 200 and undone.json()["state"] == "open"
    assert undone.json()["notes"] == ["The lead stays in work: someone worked it after the merge brought it back, or "
                                      "its deferral has ended."]
    survivor.refresh_from_db()
    assert (survivor.state, survivor.owner, survivor.deferred_until) == (LeadState.OPEN, alice, None)
    call_again.refresh_from_db()
    assert call_again.completed_at is not None


def test_the_api_undo_of_a_plain_merge_has_no_notes(api_as, make_lead, alice, bob, head):
    survivor, other = make_lead(owner=alice, phone="+79120000601"), make_lead(owner=bob, phone="+79120000602")
    merge = merge_leads(survivor=survivor, others=[other], by=head)
    undone = api_as(head).post(f"/api/merges/{merge.pk}/undo")
    assert undone.status_code == 200 and undone.json()["notes"] == []
