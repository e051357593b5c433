"""Promoting an interest (DOMAIN.md 1): the lead goes where a new lead from the interest's source goes today (its
team, or intake.pipeline.team_now_for when it has none or that team is switched off), and the promoter is told where
it went; a lead out of their view is answered with its team only, nothing of who works it."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import RoutingScheme, Team
from leadflow.leads.models import Interest, Lead, OwnerChange, Task

pytestmark = pytest.mark.django_db


def partner_interest(key: str, phone: str) -> Interest:
    """A partner's submission with no person's name: an interest, as the intake keeps it."""
    from leadflow.intake.models import Submission

    response = HttpClient().post("/api/submissions", {"phone": phone}, content_type="application/json",
                                 headers={"X-Api-Key": key})
    assert response.status_code == 202 and response.json()["status"] == "interest", response.content
    return Submission.objects.get(pk=response.json()["submission_id"]).interest


def promote(client: HttpClient, interest: Interest, **data: str):
    return client.post(f"/api/interests/{interest.pk}/promote",
                       {"name": "Петрова Мария", "email": "m.petrova@romashka.ru", **data},
                       content_type="application/json")


def test_an_interest_of_no_team_becomes_a_lead_of_the_team_its_source_sends_to_today(api_as, alice, sales, other_team,
                                                                                   partner, carol) -> None:
    """No team took the partner's interest when it came; its team has one now: the lead goes there, and Alice, who
    does not work that team, is told so instead of being handed a card that will not open."""
    row, key = partner
    interest = partner_interest(key, "+7 495 123-45-67")
    Interest.objects.filter(pk=interest.pk).update(team=None)  # as when no team took leads
    row.team = other_team
    row.save()
    Team.objects.filter(pk=other_team.pk).update(routing_scheme=RoutingScheme.LEAST_LOADED)

    response = promote(api_as(alice), interest)

    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert lead.team == other_team and lead.owner == carol  # routed by its team's scheme
    assert body == {"outcome": "created", "visible": False, "id": lead.pk, "team_id": other_team.pk,
                    "team_name": "Wholesale",
                    "notice": "The lead went to the team Wholesale and was given out by its routing; it is not in "
                              "your view, so its card does not open for you."}
    assert "Carol" not in response.content.decode()
    assert api_as(alice).get(f"/api/leads/{lead.pk}").status_code == 404
    assert Interest.objects.get(pk=interest.pk).promoted_to == lead
    assert Task.objects.filter(lead=lead, assignee=carol, completed_at__isnull=True).count() == 1


def test_an_interest_of_no_team_promoted_into_the_promoters_pool_answers_the_lead_and_where_it_went(
        api_as, alice, sales, other_team) -> None:
    interest = Interest.objects.create(name="Ресепшн", phone="+74951110003", reason="no person's name", team=None)

    response = promote(api_as(alice), interest)

    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert lead.team == sales and lead.owner is None  # the default team's pool, hers
    assert body["visible"] is True and body["full_name"] == "Петрова Мария" and body["team_id"] == sales.pk
    assert body["team_name"] == "Sales"
    assert body["notice"] == "The lead went to the team Sales, where a new lead from this source goes today."
    assert api_as(alice).get(f"/api/leads/{lead.pk}").status_code == 200


def test_an_interest_of_its_own_team_promoted_says_nothing_more(api_as, alice, sales) -> None:
    interest = Interest.objects.create(name="Ресепшн", phone="+74951110003", reason="no person's name", team=sales)
    body = promote(api_as(alice), interest).json()
    assert (body["visible"], body["team_id"], body["notice"]) == (True, sales.pk, "")


def test_a_lead_the_round_robin_gives_a_teammate_is_answered_with_its_team_not_its_owner(api_as, alice, bob,
                                                                                          sales) -> None:
    Team.objects.filter(pk=sales.pk).update(routing_scheme=RoutingScheme.ROUND_ROBIN)
    bob.routing_weight, alice.is_routed = 5, False
    bob.save()
    alice.save()
    interest = Interest.objects.create(name="Ресепшн", phone="+74951110003", reason="no person's name", team=sales)

    response = promote(api_as(alice), interest)

    body = response.json()
    assert response.status_code == 201 and body["visible"] is False and body["team_name"] == "Sales"
    assert Lead.objects.get(pk=body["id"]).owner == bob and "Bob" not in response.content.decode()
    other = Interest.objects.create(name="Ресепшн", phone="+74951110004", reason="no person's name", team=sales)
    russian = api_as(alice).post(f"/api/interests/{other.pk}/promote", {"name": "Орлова Анна", "phone": "+79131112233"},
                                 content_type="application/json", headers={"Accept-Language": "ru"})
    assert russian.json()["notice"] == ("Лид передан в команду Sales и распределён по её правилам; он вам не виден, "
                                        "поэтому его карточка у вас не откроется.")
    assert list(OwnerChange.objects.filter(lead_id=body["id"]).values_list("to_owner__username", flat=True)) == [
        "bob"]


def test_with_no_team_taking_leads_the_lead_is_in_the_pool_of_no_team_as_the_intakes_are(api_as, alice, sales,
                                                                                          other_team) -> None:
    """A company with no team switched on: the intake's new leads are of no team, in every manager's pool, and so is
    a promoted one (the person is not turned away because of how the company is organised)."""
    interest = Interest.objects.create(name="Ресепшн", phone="+74951110003", reason="no person's name", team=sales)
    Team.objects.update(is_active=False)

    response = promote(api_as(alice), interest)

    body = response.json()
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=body["id"])
    assert lead.team is None and lead.owner is None
    assert body["visible"] is True and body["team_id"] is None and body["team_name"] == ""
    assert body["notice"] == "No team takes new leads: the lead is in the pool of no team, which every manager sees."
