"""First come, first served: claiming a pooled lead."""


import pytest

from leadflow.core.errors import DomainError, NotFound
from leadflow.events.models import OutboxEvent
from leadflow.leads import services
from leadflow.leads.models import Lead, OwnerChange, Task


@pytest.mark.django_db
def test_claim_makes_the_manager_owner_and_gives_them_the_first_task(alice, make_lead):
    lead = make_lead()
    assert lead.owner is None and Task.objects.get(lead=lead).assignee is None

    services.claim_lead(lead=lead, by=alice)

    lead.refresh_from_db()
    assert lead.owner == alice and lead.assigned_at is not None
    assert Task.objects.get(lead=lead).assignee == alice
    change = OwnerChange.objects.get(lead=lead)
    assert (change.from_owner, change.to_owner, change.reason) == (None, alice, "claim")
    assert OutboxEvent.objects.filter(name="lead.assigned", payload__owner_id=alice.pk).count() == 1


@pytest.mark.django_db
def test_a_second_claim_by_the_teams_head_loses_and_says_who_won(alice, head, make_lead):
    """The team's head sees the team's leads, whoever has them: losing the race, they are told to whom."""
    lead = make_lead()
    services.claim_lead(lead=lead, by=alice)
    with pytest.raises(DomainError) as lost:
        services.claim_lead(lead=lead, by=head)
    assert lost.value.code == "already_claimed"
    assert "Alice" in lost.value.message
    lead.refresh_from_db()
    assert lead.owner == alice
    assert OwnerChange.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db
def test_a_second_claim_by_a_teammate_loses_and_learns_nothing_of_the_winner(alice, bob, make_lead):
    """Bob sees the pool and his own leads: one Alice took is gone from his view, not named as hers."""
    lead = make_lead()
    services.claim_lead(lead=lead, by=alice)
    with pytest.raises(NotFound) as lost:
        services.claim_lead(lead=lead, by=bob)
    assert lost.value.code == "not_found" and "Alice" not in lost.value.message
    lead.refresh_from_db()
    assert lead.owner == alice
    assert OwnerChange.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db
def test_claiming_own_lead_again_is_harmless(alice, make_lead):
    lead = make_lead()
    services.claim_lead(lead=lead, by=alice)
    services.claim_lead(lead=lead, by=alice)
    assert OwnerChange.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db
def test_claim_over_api_of_a_lead_a_teammate_has_is_a_404_naming_nobody(api_as, alice, bob, make_lead):
    lead = make_lead()
    assert api_as(alice).post(f"/api/leads/{lead.pk}/claim").status_code == 200
    response = api_as(bob).post(f"/api/leads/{lead.pk}/claim")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found" and "Alice" not in response.content.decode()
    assert response.content == api_as(bob).post("/api/leads/999999/claim").content  # as a lead that is not there
    assert Lead.objects.get(pk=lead.pk).owner == alice
    assert OwnerChange.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db
def test_claim_over_api_by_the_teams_head_of_a_lead_alice_has_is_a_409_with_the_winner(api_as, alice, head,
                                                                                       make_lead):
    lead = make_lead()
    assert api_as(alice).post(f"/api/leads/{lead.pk}/claim").status_code == 200
    response = api_as(head).post(f"/api/leads/{lead.pk}/claim")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_claimed" and "Alice" in response.json()["error"]["message"]
    assert Lead.objects.get(pk=lead.pk).owner == alice


@pytest.mark.django_db
def test_a_head_of_sales_who_is_only_a_member_of_the_team_gets_a_404_for_its_claimed_lead(api_as, client, alice,
                                                                                         sales, make_lead):
    """A deputy (role head of sales, in the team, not its Team.head) sees what a member sees: not Alice's lead."""
    from leadflow.accounts.models import Role, User

    deputy = User.objects.create_user(username="dina", password="pw", role=Role.HEAD, team=sales)
    lead = make_lead(owner=alice)
    response = api_as(deputy).post(f"/api/leads/{lead.pk}/claim")
    assert response.status_code == 404 and "Alice" not in response.content.decode()
    client.force_login(deputy)
    assert client.post(f"/leads/{lead.pk}/claim/").status_code == 404
    page = client.post(f"/leads/{lead.pk}/claim/", headers={"HX-Request": "true"}).content.decode()
    assert "not in your pool any more" in page and "Alice" not in page
    assert Lead.objects.get(pk=lead.pk).owner == alice
    assert list(OwnerChange.objects.filter(lead=lead).values_list("to_owner__username", flat=True)) == ["alice"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_managers_claiming_at_once_exactly_one_wins(sales, head, make_lead, at_once):
    """Real concurrent connections on PostgreSQL: the conditional UPDATE settles the race."""
    from leadflow.accounts.models import User

    managers = [
        User.objects.create_user(username=f"m{i}", password="pw", role="manager", team=sales) for i in range(8)
    ]
    lead = make_lead()

    def claim(manager: User) -> str:
        try:
            services.claim_lead(lead=Lead.objects.get(pk=lead.pk), by=manager)
        except DomainError as error:
            return error.code
        return "won"

    results = dict(zip([m.username for m in managers], at_once(claim, managers), strict=True))

    assert sorted(results.values()) == ["not_found"] * 7 + ["won"]  # the winner's lead is out of the losers' view
    winner = next(name for name, result in results.items() if result == "won")
    lead.refresh_from_db()
    assert lead.owner.username == winner
    assert OwnerChange.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db
def test_a_head_claims_from_the_pool_of_a_team_they_head_but_are_not_in(api_as, head, carol, other_team, make_lead):
    """The pool of a team its head sees (Team.head) is theirs to take from, as they may assign its leads to themselves;
    a team they neither head nor are in is another team's pool."""
    other_team.head = head
    other_team.save()
    lead = make_lead(team=other_team)
    assert api_as(head).post(f"/api/leads/{lead.pk}/claim").status_code == 200
    assert Lead.objects.get(pk=lead.pk).owner == head
    other_team.head = None
    other_team.save()
    another = make_lead(team=other_team, phone="+79130001122")
    assert api_as(head).post(f"/api/leads/{another.pk}/claim").status_code == 404
    assert Lead.objects.get(pk=another.pk).owner is None
