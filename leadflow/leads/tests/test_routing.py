"""Routing (DOMAIN.md 10): pool, rules, manual; skipping people who are not there."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from leadflow.accounts.models import Absence, RoutingScheme
from leadflow.leads.models import Lead, RoutingRule, RoutingStrategy, Task, TaskKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules_team(sales):
    sales.routing_scheme = RoutingScheme.RULES
    sales.save()
    return sales


def rule(team, **fields):
    return RoutingRule.objects.create(team=team, name=fields.pop("name", "rule"), **fields)


def test_pool_scheme_leaves_the_lead_unowned_with_an_unassigned_first_task(make_lead, alice):
    lead = make_lead()
    assert lead.owner is None
    task = Task.objects.get(lead=lead)
    assert (task.kind, task.assignee) == (TaskKind.CALL, None)


def test_least_loaded_gets_the_lead(rules_team, alice, bob, make_lead):
    make_lead(owner=alice)
    make_lead(owner=alice)
    make_lead(owner=bob)
    rule(rules_team, strategy=RoutingStrategy.LEAST_LOADED)
    lead = make_lead()
    assert lead.owner == bob  # alice holds two open leads, bob one
    assert Task.objects.get(lead=lead).assignee == bob


def test_load_counts_open_clients_too(rules_team, alice, bob, make_lead):
    from leadflow.clients.models import Client

    for n in range(3):
        Client.objects.create(name=f"c{n}", owner=bob, team=rules_team)
    make_lead(owner=alice)
    rule(rules_team, strategy=RoutingStrategy.LEAST_LOADED)
    assert make_lead().owner == alice


def test_rule_conditions_pick_the_specialist(rules_team, alice, bob, make_lead):
    rule(rules_team, name="wholesale to bob", position=1, deal_type="wholesale", strategy=RoutingStrategy.PERSON,
         assignee=bob)
    rule(rules_team, name="rest", position=2, strategy=RoutingStrategy.PERSON, assignee=alice)
    assert make_lead(deal_type="wholesale").owner == bob
    assert make_lead(deal_type="retail").owner == alice


def test_a_rule_skips_its_person_once_they_left_the_team(rules_team, other_team, alice, bob, make_lead):
    """A manager moved to another team keeps no rule of the old one: its leads go to the next rule, not to them."""
    wholesale = rule(rules_team, name="wholesale to bob", position=1, deal_type="wholesale",
                     strategy=RoutingStrategy.ROUND_ROBIN)
    wholesale.candidates.set([bob])
    rule(rules_team, name="to bob", position=2, strategy=RoutingStrategy.PERSON, assignee=bob)
    rule(rules_team, name="rest", position=3, strategy=RoutingStrategy.PERSON, assignee=alice)
    assert make_lead(deal_type="wholesale").owner == bob
    bob.team = other_team
    bob.save()
    assert make_lead(deal_type="wholesale").owner == alice
    assert make_lead(deal_type="retail").owner == alice


def test_region_and_product_conditions_ignore_case(rules_team, alice, bob, make_lead):
    rule(rules_team, position=1, region="москва", product_interest="CRM", strategy=RoutingStrategy.PERSON,
         assignee=bob)
    rule(rules_team, position=2, strategy=RoutingStrategy.PERSON, assignee=alice)
    assert make_lead(city="Москва", product_interest="crm").owner == bob
    assert make_lead(city="Казань", product_interest="crm").owner == alice


def test_weighted_round_robin_follows_the_weights(rules_team, alice, bob, make_lead):
    alice.routing_weight = 2
    alice.save()
    rule(rules_team, strategy=RoutingStrategy.ROUND_ROBIN)
    owners = [make_lead().owner.username for _ in range(6)]
    assert owners.count("alice") == 4 and owners.count("bob") == 2


def test_absent_inactive_and_off_hours_managers_are_skipped(rules_team, alice, bob, make_lead):
    from leadflow.accounts.models import User

    User.objects.create_user(username="carl", role="manager", team=rules_team, is_active=False)
    rule(rules_team, strategy=RoutingStrategy.ROUND_ROBIN)
    local_now = timezone.localtime(timezone=ZoneInfo(rules_team.time_zone))  # the team's day, not UTC's
    today = local_now.date()
    Absence.objects.create(user=alice, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1))
    assert {make_lead().owner.username for _ in range(3)} == {"bob"}

    # bob's own working day is not now (one minute, half a day away: 00:00-00:01 was now just after midnight),
    # alice is away: nobody, so the pool
    start = (local_now + timedelta(hours=12)).replace(second=0, microsecond=0)
    bob.work_start, bob.work_end = start.time(), (start + timedelta(minutes=1)).time()
    bob.save()
    lead = make_lead()
    assert lead.owner is None and Lead.objects.get(pk=lead.pk).owner is None


def test_manual_scheme_gives_the_head_an_assign_task(sales, head, alice, make_lead):
    sales.routing_scheme = RoutingScheme.MANUAL
    sales.save()
    lead = make_lead()
    assert lead.owner is None
    task = Task.objects.get(lead=lead)
    assert (task.kind, task.assignee) == (TaskKind.ASSIGN, head)
    assert head.notifications.filter(kind="lead.awaiting_assignment", lead=lead).count() == 1


def test_assignment_closes_the_heads_assign_task(sales, head, alice, make_lead):
    from leadflow.leads import services

    sales.routing_scheme = RoutingScheme.MANUAL
    sales.save()
    lead = make_lead()
    services.assign_lead(lead=lead, to=alice, by=head)
    task = Task.objects.get(lead=lead, kind=TaskKind.ASSIGN)
    assert task.completed_at is not None and "Alice" in task.result
    assert alice.notifications.filter(kind="lead.assigned", lead=lead).count() == 1


def test_first_task_due_within_sla_in_working_minutes(sales, make_lead):
    from zoneinfo import ZoneInfo

    from leadflow.leads import services

    sales.work_start, sales.work_end, sales.work_days = time(9), time(18), [0, 1, 2, 3, 4]
    sales.time_zone = "Europe/Moscow"
    sales.sla_minutes = 15
    sales.save()
    friday_evening = timezone.make_aware(timezone.datetime(2026, 11, 27, 19, 30), ZoneInfo("Europe/Moscow"))
    lead = services.create_lead(person=services.PersonFacts(first_name="Ivan", full_name="Ivan", phone="+79120000001"),
                                touch=services.Touch(channel="manual"), team=sales, now=friday_evening)
    due = Task.objects.get(lead=lead).due_at.astimezone(ZoneInfo("Europe/Moscow"))
    assert (due.date(), due.time()) == (date(2026, 11, 30), time(9, 15))


@pytest.mark.parametrize("city", ["г. Москва", "Moscow", "мск", "МОСКВА", "77"])
def test_a_rule_for_a_city_takes_the_city_however_it_is_written(rules_team, alice, bob, make_lead, city):
    rule(rules_team, name="Moscow", position=1, region="Москва", strategy=RoutingStrategy.PERSON, assignee=bob)
    rule(rules_team, name="rest", position=2, strategy=RoutingStrategy.PERSON, assignee=alice)
    assert make_lead(city=city).owner == bob
    assert make_lead(city="Московская область").owner == alice  # the region around the city is another place
