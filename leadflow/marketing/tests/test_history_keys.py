"""A source, campaign, team or person that leads, requests, tasks or clients point to is not deleted, by the admin,
by code, or by SQL: the links are PROTECT, and the database's own foreign keys refuse the DELETE. Reports of past
periods count by them (DOMAIN.md 19, 21)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from leadflow.leads.models import Lead, Request, Task
from leadflow.marketing.models import Campaign, CampaignSpend, Source


@pytest.fixture
def yandex(make_lead):
    """Yandex Direct brought a lead (its request and first task too) through the Winter campaign, which cost 24,000."""
    source = Source.objects.create(name="Yandex Direct", utm_source="yandex")
    campaign = Campaign.objects.create(name="Winter", utm_campaign="winter", source=source)
    CampaignSpend.objects.create(campaign=campaign, day=date(2026, 10, 1), clicks=200, cost=Decimal("24000"))
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(source=source, campaign=campaign)
    Request.objects.filter(lead=lead).update(source=source, campaign=campaign)
    return source, campaign, lead


@pytest.mark.django_db
def test_deleting_a_source_with_leads_is_refused_in_the_admin_with_what_to_do(yandex, client, admin_user):
    source, _campaign, lead = yandex
    client.force_login(admin_user)
    page = client.post(f"/admin/marketing/source/{source.pk}/delete/", {"post": "yes"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "A source that brought leads or has campaigns is not deleted: untick &#x27;active&#x27; instead" in text
    assert "Leads: 1 (Yandex Direct)" in text and "Campaigns: 1 (Yandex Direct)" in text
    assert Source.objects.filter(pk=source.pk).exists()
    assert Lead.objects.get(pk=lead.pk).source_id == source.pk


@pytest.mark.django_db
def test_deleting_a_source_with_leads_in_code_raises_and_changes_nothing(yandex, make_lead):
    source, campaign, lead = yandex
    Campaign.objects.filter(pk=campaign.pk).update(source=None)  # only the lead and its request hold it now
    with pytest.raises(ProtectedError) as refused:
        source.delete()
    assert {type(row) for row in refused.value.protected_objects} == {Lead, Request}
    assert Source.objects.filter(pk=source.pk).exists()
    assert Lead.objects.get(pk=lead.pk).source_id == source.pk
    assert Request.objects.get(lead=lead).source_id == source.pk  # the touch that created it
    with pytest.raises(ProtectedError):
        campaign.delete()  # its leads and its days of spend
    assert CampaignSpend.objects.filter(campaign=campaign).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_delete_of_a_source_with_leads(yandex):
    """A script's raw DELETE (or another program on the database) is refused by the foreign key at commit."""
    source, _campaign, lead = yandex
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM marketing_source WHERE id = %s", [source.pk])
    assert Source.objects.filter(pk=source.pk).exists()
    assert Lead.objects.get(pk=lead.pk).source_id == source.pk


@pytest.mark.django_db
def test_a_person_with_tasks_or_a_team_with_clients_is_not_deleted_in_code(make_lead, alice, head, other_team):
    lead = make_lead(owner=alice)
    Task.objects.filter(lead=lead).update(assignee=head)
    Lead.objects.filter(pk=lead.pk).update(owner=None)  # not owned any more: the task still keeps the head
    with pytest.raises(ProtectedError):
        head.delete()
    from leadflow.clients.models import Client

    Client.objects.create(name="ООО Ромашка", team=other_team)
    with pytest.raises(ProtectedError):
        Client.objects.get().team.delete()


@pytest.mark.django_db
def test_unused_source_and_campaign_made_by_mistake_are_deleted(client, admin_user):
    source = Source.objects.create(name="Typo", utm_source="typo")
    campaign = Campaign.objects.create(name="Typo", utm_campaign="typo")
    client.force_login(admin_user)
    assert client.post(f"/admin/marketing/campaign/{campaign.pk}/delete/", {"post": "yes"}).status_code == 302
    assert client.post(f"/admin/marketing/source/{source.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Source.objects.exists() and not Campaign.objects.exists()


@pytest.mark.django_db
def test_an_erased_persons_lead_with_a_source_owner_and_team_is_still_erased(yandex, alice, admin_user):
    """Erasure anonymises the card and keeps the row: its source, campaign, team and owner are what counts hold by."""
    from leadflow.leads import services as leads
    from leadflow.privacy import services

    source, campaign, lead = yandex
    leads.claim_lead(lead=lead, by=alice)
    services.erase_person(person=services.find_person(lead=lead), by=admin_user)
    erased = Lead.objects.get(pk=lead.pk)
    assert erased.erased_at is not None and lead.phone not in (erased.phone, erased.full_name)
    assert (erased.source_id, erased.campaign_id, erased.owner_id, erased.team_id) == (
        source.pk, campaign.pk, alice.pk, lead.team_id)
    with pytest.raises(ProtectedError):
        source.delete()
