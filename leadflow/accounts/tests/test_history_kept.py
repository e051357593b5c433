"""A team, a person, a partner, a source or a campaign with history is not deleted (reports of past periods count it);
the admin says why and how to retire it instead. A team is retired by unticking "active"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from leadflow.accounts.models import Team, TeamMembership, User
from leadflow.intake.models import Partner, Submission
from leadflow.leads.models import Lead
from leadflow.marketing.models import Campaign, CampaignSpend, Source
from leadflow.partners.tests.conftest import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_team_with_members_is_not_deleted_and_the_admin_says_to_deactivate_it(admin_client, carol, other_team):
    url = f"/admin/accounts/team/{other_team.pk}/delete/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "untick &#x27;active&#x27; instead" in page.content.decode()
    refused = admin_client.post(url, {"post": "yes"})
    assert refused.status_code == 200
    assert Team.objects.filter(pk=other_team.pk).exists()
    assert list(TeamMembership.objects.filter(team=other_team).values_list("user__username", flat=True)) == ["carol"]


def test_a_team_whose_leads_remain_is_not_deleted_by_the_bulk_action_either(admin_client, make_lead, other_team):
    make_lead(team=other_team)
    response = admin_client.post("/admin/accounts/team/", {"action": "delete_selected", "post": "yes",
                                                           "_selected_action": [other_team.pk]})
    assert response.status_code == 200
    assert "Leads: 1 (Wholesale)" in response.content.decode()
    assert Lead.objects.get().team_id == other_team.pk


def test_a_team_made_by_mistake_is_deleted(admin_client):
    mistake = Team.objects.create(name="Typo")
    assert admin_client.post(f"/admin/accounts/team/{mistake.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Team.objects.filter(pk=mistake.pk).exists()


def test_the_database_refuses_deleting_a_team_history_too(carol, other_team):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        other_team.delete()
    with pytest.raises(ProtectedError):
        carol.delete()


def test_a_person_with_history_is_deactivated_not_deleted(admin_client, carol):
    page = admin_client.post(f"/admin/accounts/user/{carol.pk}/delete/", {"post": "yes"})
    assert page.status_code == 200 and "A person whose work is in the history is not deleted" in page.content.decode()
    assert User.objects.filter(pk=carol.pk, is_active=True).exists()


def test_an_inactive_team_gets_no_new_leads_and_is_not_offered(admin_client, partner, other_team, sales, carol):
    row, key = partner
    Partner.objects.filter(pk=row.pk).update(team=other_team)
    Team.objects.filter(pk=other_team.pk).update(is_active=False)
    sent = submit(key, {"name": "Иван Петров", "phone": "+79161110001"}).json()
    assert Lead.objects.get(pk=sent["lead_id"]).team_id == sales.pk  # the default team, not the retired one
    # Not offered for a new person; a person still in it keeps it when edited.
    add_page = admin_client.get("/admin/accounts/user/add/").content.decode()
    assert f'value="{sales.pk}"' in add_page and f'value="{other_team.pk}"' not in add_page
    change_page = admin_client.get(f"/admin/accounts/user/{carol.pk}/change/").content.decode()
    assert f'value="{other_team.pk}" selected' in change_page


def test_a_partner_that_sent_submissions_is_not_deleted(admin_client, partner):
    row, key = partner
    submit(key, {"name": "Иван Петров", "phone": "+79161110001"})
    page = admin_client.post(f"/admin/intake/partner/{row.pk}/delete/", {"post": "yes"})
    assert page.status_code == 200 and "A partner that sent submissions is not deleted" in page.content.decode()
    assert Submission.objects.get().partner_id == row.pk


def test_a_source_with_leads_and_a_campaign_with_spend_are_not_deleted(admin_client, make_lead):
    source = Source.objects.create(name="Yandex Direct", utm_source="yandex")
    campaign = Campaign.objects.create(name="Winter", utm_campaign="winter", source=source)
    CampaignSpend.objects.create(campaign=campaign, day=date(2026, 10, 1), clicks=200, cost=Decimal("24000"))
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(source=source)
    refused = admin_client.post(f"/admin/marketing/source/{source.pk}/delete/", {"post": "yes"})
    assert refused.status_code == 200 and "Leads: 1 (Yandex Direct)" in refused.content.decode()
    refused = admin_client.post(f"/admin/marketing/campaign/{campaign.pk}/delete/", {"post": "yes"})
    assert refused.status_code == 200 and "Days of spend: 1 (Winter)" in refused.content.decode()
    assert CampaignSpend.objects.filter(campaign=campaign).count() == 1
    assert Lead.objects.get(pk=lead.pk).source_id == source.pk
