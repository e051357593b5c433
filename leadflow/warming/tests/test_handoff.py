"""Marketing leads and the hand-off to sales when they turn hot (DOMAIN.md 16)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from leadflow.accounts.models import RoutingScheme
from leadflow.events.models import OutboxEvent
from leadflow.leads import services as leads
from leadflow.leads.models import Activity, Lead, LeadState, RoutingRule, RoutingStrategy, Task, TaskKind, Temperature
from leadflow.warming.models import EventKind, LeadScore
from leadflow.warming.services import cool_down, record_behaviour, set_temperature

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules_team(sales, alice, bob):
    sales.routing_scheme = RoutingScheme.RULES
    sales.sla_minutes = 15
    sales.save()
    RoutingRule.objects.create(team=sales, name="tractors to bob", position=1, product_interest="tractors",
                               strategy=RoutingStrategy.PERSON, assignee=bob)
    RoutingRule.objects.create(team=sales, name="rest to alice", position=2, strategy=RoutingStrategy.PERSON,
                               assignee=alice)
    return sales


def test_a_lead_with_marketing_is_not_in_sales_work(make_nurtured, alice, head):
    lead = make_nurtured()
    assert (lead.state, lead.owner) == (LeadState.NURTURING, None)
    assert not Task.objects.filter(lead=lead).exists()  # no first task, so no SLA clock
    assert not Lead.objects.in_pool().filter(pk=lead.pk).exists()
    assert not Lead.objects.visible_to(alice).filter(pk=lead.pk).exists()
    assert Lead.objects.visible_to(head).filter(pk=lead.pk).exists()
    later = timezone.now() + timedelta(days=3)
    assert leads.escalate_unclaimed(now=later) == 0
    assert leads.warn_sla_breaches(now=later) == 0
    assert set(OutboxEvent.objects.filter(payload__lead_id=lead.pk).values_list("name", flat=True)) == {
        "lead.created", "lead.nurturing"}


def test_sales_pages_leave_marketing_leads_out(make_nurtured, make_lead, client, alice, head):
    nurtured = make_nurtured(first_name="Nurtured")
    pooled = make_lead(first_name="Pooled")
    client.force_login(alice)
    pool = client.get("/pool/").content.decode()
    assert pooled.full_name in pool and nurtured.full_name not in pool
    client.force_login(head)
    team = client.get("/team/").content.decode()
    assert pooled.full_name in team and nurtured.full_name not in team  # neither waiting nor an SLA breach
    board = client.get("/board/").content.decode()
    assert nurtured.full_name not in board


def test_turning_hot_routes_by_the_teams_rules_with_a_first_task_within_the_sla(
        rules_team, make_nurtured, make_rule, policy, bob):
    lead = make_nurtured(product_interest="Tractors")
    make_rule(EventKind.WEBINAR_ATTENDED, 20)
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead)
    lead.refresh_from_db()
    assert (lead.temperature, lead.state, lead.owner) == (Temperature.WARM, LeadState.NURTURING, None)
    before = timezone.now()
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead)
    lead.refresh_from_db()
    assert (lead.temperature, lead.state, lead.owner) == (Temperature.HOT, LeadState.OPEN, bob)
    task = Task.objects.get(lead=lead)
    assert (task.kind, task.assignee) == (TaskKind.CALL, bob)
    assert before + timedelta(minutes=14) <= task.due_at <= timezone.now() + timedelta(minutes=15)
    changes = [e.payload for e in OutboxEvent.objects.filter(name="lead.temperature_changed").order_by("id")]
    assert [(c["old"], c["new"], c["reason"]) for c in changes] == [
        ("cold", "warm", "points"), ("warm", "hot", "points")]
    qualified = OutboxEvent.objects.get(name="lead.marketing_qualified")
    assert qualified.payload["owner_id"] == bob.pk
    assert Activity.objects.filter(lead=lead, text_key="Hot: handed from marketing to sales").count() == 1
    assert LeadScore.objects.get(lead=lead).marketing_qualified_at is not None
    # More points, another crossing after cooling and warming up again: handed over only once.
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead)
    set_temperature(lead, Temperature.WARM, by=None, reason="test")
    set_temperature(lead, Temperature.HOT, by=None, reason="test")
    assert Task.objects.filter(lead=lead).count() == 1
    assert OutboxEvent.objects.filter(name="lead.marketing_qualified").count() == 1


def test_a_pool_team_puts_the_hot_lead_in_the_pool(make_nurtured, policy, make_rule, sales):
    lead = make_nurtured()
    make_rule(EventKind.TRIAL_STARTED, 40)
    record_behaviour(EventKind.TRIAL_STARTED, lead=lead)
    lead.refresh_from_db()
    assert Lead.objects.in_pool().filter(pk=lead.pk).exists()
    assert Task.objects.get(lead=lead).assignee is None


def test_a_manager_making_a_lead_hot_hands_it_over_too(rules_team, make_nurtured, head, alice):
    lead = make_nurtured()
    leads.update_lead(lead=lead, changes={"temperature": "hot", "city": "Тверь"}, by=head)
    lead.refresh_from_db()
    assert (lead.temperature, lead.state, lead.owner, lead.city) == ("hot", "open", alice, "Тверь")
    assert lead.field_changes.filter(field="temperature", changed_by=head).count() == 1


def test_a_manager_who_may_not_edit_changes_nothing(make_nurtured, carol):
    from leadflow.core.errors import Forbidden

    lead = make_nurtured()
    with pytest.raises(Forbidden):
        leads.update_lead(lead=lead, changes={"temperature": "hot"}, by=carol)
    lead.refresh_from_db()
    assert (lead.temperature, lead.state) == ("cold", "nurturing")
    assert not OutboxEvent.objects.filter(name="lead.temperature_changed").exists()


def test_a_deferred_lead_that_turns_hot_comes_back_to_its_owner(make_lead, alice, policy, make_rule, sales):
    lead = make_lead(owner=alice)
    leads.defer_lead(lead=lead, until=timezone.localdate() + timedelta(days=60), by=alice)
    make_rule(EventKind.ADD_TO_CART, 40)
    record_behaviour(EventKind.ADD_TO_CART, lead=lead)
    lead.refresh_from_db()
    assert (lead.state, lead.owner, lead.deferred_until) == (LeadState.OPEN, alice, None)
    open_tasks = list(Task.objects.open().filter(lead=lead))
    assert [(t.kind, t.assignee) for t in open_tasks] == [(TaskKind.CALL, alice)]
    assert open_tasks[0].due_at <= timezone.now() + timedelta(minutes=sales.sla_minutes)
    assert alice.notifications.filter(kind="lead.marketing_qualified").count() == 1


def test_a_refused_lead_stays_refused_when_hot(make_lead, alice, policy, make_rule):
    from leadflow.leads.models import LostReason

    lead = make_lead(owner=alice)
    leads.refuse_lead(lead=lead, reason=LostReason.objects.first(), by=alice)
    make_rule(EventKind.PAGE_VIEW, 50)
    record_behaviour(EventKind.PAGE_VIEW, lead=lead)
    lead.refresh_from_db()
    assert (lead.state, lead.temperature) == (LeadState.REFUSED, Temperature.HOT)
    assert not OutboxEvent.objects.filter(name="lead.marketing_qualified").exists()


def test_cooling_down_never_takes_a_lead_back_from_sales(rules_team, make_nurtured, policy, make_rule, alice):
    lead = make_nurtured()
    make_rule(EventKind.WEBINAR_ATTENDED, 40)
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead)
    assert cool_down(now=timezone.now() + timedelta(days=60)) == 1
    lead.refresh_from_db()
    assert (lead.temperature, lead.state, lead.owner) == (Temperature.COLD, LeadState.OPEN, alice)


def test_web_form_that_hands_over_when_hot_makes_marketing_leads(web_form):
    from leadflow.intake import pipeline

    web_form.hand_to_sales = "when_hot"
    web_form.save()
    outcome = pipeline.receive(pipeline.Inbound(channel="form", form=web_form, payload={
        "name": "Смирнова Ольга", "email": "olga@example.ru", "company_size": "120", "visitor_id": "v-123456"}))
    lead = outcome.lead
    assert (lead.state, lead.owner, lead.company_size) == (LeadState.NURTURING, None, 120)
    assert not Task.objects.filter(lead=lead).exists()
    bad = pipeline.receive(pipeline.Inbound(channel="form", form=web_form, payload={
        "name": "Иван Петров", "email": "ivan@example.ru", "company_size": "many"}))
    assert bad.errors == {"company_size": ["Give the number of employees, e.g. 50."]}


def test_deferred_until_date_still_returns_a_deferred_lead(make_lead, alice):
    # The usual road back is untouched by warming.
    lead = make_lead(owner=alice)
    leads.defer_lead(lead=lead, until=timezone.localdate() + timedelta(days=2), by=alice)
    assert leads.return_deferred(today=date.today() + timedelta(days=3)) == 1


def test_speed_to_lead_counts_no_breach_while_marketing_nurtures(make_nurtured, make_lead, head):
    from leadflow.analytics import reports
    from leadflow.analytics.filters import parse_filter

    nurtured = make_nurtured(first_name="Nurtured")
    pooled = make_lead(first_name="Pooled")  # nobody calls it: a breach a day later
    from zoneinfo import ZoneInfo

    from leadflow.accounts.middleware import zone_name_of

    today = timezone.localdate(timezone=ZoneInfo(zone_name_of(head)))  # the report reads dates in head's zone
    report = reports.build("speed", parse_filter({"start": str(today - timedelta(days=1)), "end": str(today)}, head,
                                                 now=timezone.now() + timedelta(days=1)), head)
    breaches = next(table for table in report.tables if table.key == "breaches")
    assert [row["lead"] for row in breaches.rows] == [pooled.full_name]
    assert nurtured.full_name not in str(report.tables)


def test_speed_to_lead_counts_a_warmed_lead_from_its_hand_off(rules_team, make_nurtured, make_lead, alice, admin_user):
    from leadflow.analytics import reports
    from leadflow.analytics.filters import parse_filter
    from leadflow.warming.services import hand_to_sales

    created = timezone.now() - timedelta(days=6)
    warmed = make_nurtured()
    waiting = make_nurtured()  # still with marketing: not in the speed report at all
    Lead.objects.filter(pk__in=[warmed.pk, waiting.pk]).update(created_at=created)
    assert Lead.objects.get(pk=warmed.pk).sales_since is None
    handed_at = timezone.now() - timedelta(days=2)
    hand_to_sales(lead=Lead.objects.get(pk=warmed.pk), by=None, reason="test", now=handed_at)
    warmed.refresh_from_db()
    assert (warmed.owner, warmed.sales_since) == (alice, handed_at)
    leads.log_activity(lead=warmed, kind="call", by=alice, occurred_at=handed_at + timedelta(minutes=6))
    direct = make_lead()  # straight to sales: from its creation
    assert direct.sales_since == direct.created_at

    report = reports.build("speed", parse_filter({"period": "30d"}, admin_user), admin_user)

    (row,) = [r for r in report.table("manager").rows if r["label"] == "Alice"]
    # Six minutes after the hand-off, not six days after the lead was created (the direct lead, routed to Alice
    # too, is not called yet); the lead still with marketing is not counted.
    assert (row["leads"], row["contacted"], row["within"], row["median"]) == (2, 1, 1, 6)
    team_leads = sum(r["leads"] for r in report.table("team").rows)
    assert team_leads == 2  # the warmed lead and the direct one
