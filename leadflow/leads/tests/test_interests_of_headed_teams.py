"""Interests (attention that is not yet a lead, DOMAIN.md 1) are read and promoted by the head of the team they belong
to, as its leads are (Team.head, leads.querysets.headed_team_ids), and a promoted interest's lead goes where a new
lead would go now."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import Role, Team, User
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db


def interest_in(team: Team | None, phone: str) -> Interest:
    return Interest.objects.create(name="Ресепшн", phone=phone, reason="no person's name", team=team)


def listed(api_as, user: User) -> set[int]:
    response = api_as(user).get("/api/interests")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()}


def test_a_head_of_two_teams_reads_and_promotes_the_interests_of_both(api_as, head, alice, carol, sales,
                                                                      other_team) -> None:
    other_team.head = head
    other_team.save()
    ours, theirs, nobodys = (interest_in(sales, "+74951110001"), interest_in(other_team, "+74951110002"),
                             interest_in(None, "+74951110003"))
    assert listed(api_as, head) == {ours.pk, theirs.pk, nobodys.pk}
    assert listed(api_as, carol) == {theirs.pk, nobodys.pk}  # a manager: their own team's, as before
    assert listed(api_as, alice) == {ours.pk, nobodys.pk}
    response = api_as(head).post(f"/api/interests/{theirs.pk}/promote", {"name": "Орлова Мария"},
                                 content_type="application/json")
    assert response.status_code == 201, response.content
    assert Lead.objects.get(pk=response.json()["id"]).team == other_team


def test_a_head_of_sales_who_is_a_member_but_not_the_head_reads_no_interests_of_the_team(api_as, head, sales,
                                                                                       other_team) -> None:
    deputy = User.objects.create_user(username="dina", password="pw", role=Role.HEAD, team=sales)
    ours, theirs = interest_in(sales, "+74951110001"), interest_in(other_team, "+74951110002")
    assert listed(api_as, deputy) == set()
    assert api_as(deputy).post(f"/api/interests/{ours.pk}/promote", {"name": "Орлова Мария"},
                               content_type="application/json").status_code == 404
    assert not Interest.objects.get(pk=ours.pk).promoted_to_id
    # Heading a team one is not a member of is heading it.
    other_team.head = deputy
    other_team.save()
    assert listed(api_as, deputy) == {theirs.pk}
    assert HttpClient().get("/api/interests").status_code == 401


def _partner_submits(key: str, **fields: str) -> dict:
    response = HttpClient().post("/api/submissions", fields, content_type="application/json",
                                 headers={"X-Api-Key": key})
    assert response.status_code in (200, 201, 202), response.content
    return response.json()


def test_an_interest_whose_team_was_switched_off_becomes_a_lead_where_a_new_lead_would_go(api_as, head, alice,
                                                                                         sales, other_team,
                                                                                         partner) -> None:
    """A switched-off team gets no new leads (DOMAIN.md 10): the promoted lead goes where the intake sends the same
    partner's new lead now (the next team in its order: here the default one, not merely any active team), is
    routed there with its first task, and the interest is its history."""
    from leadflow.leads.models import Task

    _, key = partner
    interest = _interest_of(_partner_submits(key, phone="+7 495 123-45-67"))  # no person's name: an interest
    assert interest.team == sales
    reserve = Team.objects.create(name="Reserve", is_default=True)
    Team.objects.filter(pk=sales.pk).update(is_active=False)

    response = api_as(head).post(f"/api/interests/{interest.pk}/promote",
                                 {"name": "Петрова Мария", "email": "m.petrova@romashka.ru"},
                                 content_type="application/json")
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["id"])
    assert lead.team == reserve != other_team
    assert Task.objects.filter(lead=lead, completed_at__isnull=True).exists()
    assert Interest.objects.get(pk=interest.pk).promoted_to == lead
    new_lead = Lead.objects.get(pk=_partner_submits(key, name="Орлова Мария", phone="+7 913 111-22-33")["lead_id"])
    assert new_lead.team == lead.team


def _interest_of(sent: dict) -> Interest:
    from leadflow.intake.models import Submission

    interest = Submission.objects.get(pk=sent["submission_id"]).interest
    assert interest is not None, sent
    return interest
