"""The demo looks like a company that has worked for eight weeks: its worked leads arrived over those weeks and were
called, moved on, refused and converted at believable moments, while the pool and today's tasks are today's."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from leadflow import demo
from leadflow.accounts.models import User
from leadflow.analytics import reports
from leadflow.analytics.filters import ReportFilter
from leadflow.clients.models import Client
from leadflow.events.services import deliver_pending
from leadflow.intake.models import Submission
from leadflow.leads.models import Activity, FieldChange, Lead, LeadState, Notification, OwnerChange, StageChange, Task
from leadflow.leads.services import escalate_unclaimed, remind_due_tasks, return_deferred, warn_sla_breaches
from leadflow.marketing.models import CampaignSpend
from leadflow.nurture import services as nurture
from leadflow.privacy.models import Consent
from leadflow.warming.services import cool_down

ZONE = ZoneInfo(demo.DEMO_ZONE)
pytestmark = pytest.mark.django_db


@pytest.fixture
def built() -> None:
    demo.build_demo()  # a few seconds: the checks of one build share a test


def test_the_demo_has_eight_weeks_of_consistent_history(built):
    _worked_leads_arrived_over_several_weeks_the_pool_today()
    _each_manager_has_their_own_speed_to_lead_some_late()
    _no_lead_story_is_out_of_order()
    _campaign_leads_fall_on_days_with_spend()


def _today():  # type: ignore[no-untyped-def]
    return timezone.localtime(timezone.now(), ZONE).date()


def _worked_leads_arrived_over_several_weeks_the_pool_today() -> None:
    now = timezone.now()
    worked = Lead.objects.exclude(first_contacted_at=None)
    weeks = {timezone.localtime(lead.created_at, ZONE).isocalendar()[:2] for lead in worked}
    assert len(weeks) >= 6, weeks
    assert all(now - timedelta(days=demo.STORY_DAYS + 1) < lead.created_at < now for lead in worked)
    assert Lead.objects.filter(state=LeadState.CONVERTED, converted_at__lt=now - timedelta(days=2)).exists()
    # The shared pool is fresh: arrived today, still inside its claim time, so the tour's Pool page shows it waiting.
    pool = list(Lead.objects.filter(owner=None, state=LeadState.OPEN))
    assert pool
    for lead in pool:
        assert now - lead.created_at < timedelta(minutes=10), lead
        assert lead.sla_due_at is None or lead.sla_due_at > now


def _each_manager_has_their_own_speed_to_lead_some_late() -> None:
    today = _today()
    report = reports.speed(ReportFilter(start=today - timedelta(days=70), end=today, zone=ZONE),
                           User.objects.get(username="head"))
    medians = {row["label"]: row["median"] for row in report.table("manager").rows if row["median"] is not None}
    assert len(medians) == 4, medians  # alice, bob, carol, dave
    assert all(median > 1 for median in medians.values()), medians
    assert len(set(medians.values())) == 4, medians
    assert max(medians.values()) > 3 * min(medians.values()), medians
    assert report.table("breaches").rows  # some calls came after the SLA
    within = [row["within"] for row in report.table("manager").rows if row["median"] is not None]
    assert sum(within) > len(report.table("breaches").rows)  # ...most did not


def _no_lead_story_is_out_of_order() -> None:
    now = timezone.now()
    for lead in Lead.objects.all():
        created = lead.created_at
        received = Submission.objects.filter(lead=lead, status="created").get().received_at
        assert received <= created
        for moment in (lead.assigned_at, lead.first_contacted_at, lead.sales_since, lead.refused_at,
                       lead.converted_at):
            assert moment is None or created <= moment <= now, (lead, moment)
        # consent is taken as the submission arrives, a moment before the card is made
        assert lead.consent_at is None or created - timedelta(seconds=1) <= lead.consent_at <= now, lead
        if lead.sla_due_at is not None:
            assert lead.sla_due_at > lead.sales_since
        if lead.first_contacted_at and lead.assigned_at:
            assert lead.assigned_at <= lead.first_contacted_at
        for done in (lead.converted_at, lead.refused_at):
            if done and lead.first_contacted_at:
                assert lead.first_contacted_at < done
        stage_times = list(StageChange.objects.filter(lead=lead).order_by("pk").values_list("changed_at", flat=True))
        assert stage_times == sorted(stage_times) and all(created <= t <= now for t in stage_times), lead
        for model, name in ((OwnerChange, "changed_at"), (FieldChange, "changed_at"), (Activity, "occurred_at")):
            times = list(model.objects.filter(lead=lead).order_by("pk").values_list(name, flat=True))
            assert times == sorted(times) and all(created <= t <= now for t in times), (lead, model)
        for task in Task.objects.filter(lead=lead):
            assert created <= task.created_at <= now
            assert task.completed_at is None or task.created_at <= task.completed_at <= now
        consent = Consent.objects.filter(lead=lead).order_by("at").first()  # the card's Consents box
        if consent is not None:  # given with the first request
            assert abs(consent.at - created) < timedelta(minutes=1), (lead, consent.at)
        calls = Activity.objects.filter(lead=lead, kind="call").order_by("occurred_at")
        if calls:
            assert lead.first_contacted_at == calls[0].occurred_at
    for client in Client.objects.select_related("lead"):
        assert client.lead.converted_at <= client.created_at + timedelta(seconds=1)
        assert client.created_at <= now
        for task in Task.objects.filter(client=client):
            assert client.created_at <= task.created_at


def _campaign_leads_fall_on_days_with_spend() -> None:
    campaign_leads = Lead.objects.exclude(campaign=None).exclude(first_contacted_at=None)
    assert campaign_leads.count() >= 5
    days = {(lead.campaign_id, timezone.localtime(lead.created_at, ZONE).date()) for lead in campaign_leads}
    assert len({day for _, day in days}) >= 5  # not all on one day: cost per lead per day means something
    for campaign_id, day in days:
        assert CampaignSpend.objects.filter(campaign_id=campaign_id, day=day).exists(), (campaign_id, day)


def test_the_workers_first_run_raises_no_flood_for_the_past(built):
    """The worker runs its periodic jobs at once: nothing backdated may escalate, warn or remind."""
    now = timezone.now()
    before = set(Notification.objects.values_list("pk", flat=True))
    deliver_pending()
    assert escalate_unclaimed(now=now) == 0
    assert warn_sla_breaches(now=now) == 0
    assert return_deferred(now=now) == 0
    reminded = remind_due_tasks(now=now)
    assert reminded <= Task.objects.filter(created_at__gte=now - timedelta(minutes=10)).count()
    nurture.enroll_entering(now=now)
    cool_down(now=now)
    # Only today's tasks remind (set this morning, after the weeks of work): no SLA warning, no escalation.
    new = list(Notification.objects.exclude(pk__in=before).values_list("kind", flat=True))
    assert set(new) <= {"task.due"}, new
    assert len(new) == reminded
    # Weeks-old news is read already; the unread bell holds today's.
    assert not Notification.objects.filter(read_at=None, created_at__lt=now - timedelta(days=1)).exists()
    # No task of the weeks behind is left overdue: what was due then was done then.
    overdue = Task.objects.open().filter(due_at__lt=now - timedelta(hours=12))
    assert list(overdue) == []
