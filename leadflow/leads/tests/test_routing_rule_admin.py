"""The admin's routing rules: a rule with no deal type applies to every lead, and the admin reads it so; people
routing passes over are marked as on the head's page."""

from __future__ import annotations

import pytest

from leadflow.accounts.models import Team
from leadflow.leads.models import RoutingRule

pytestmark = pytest.mark.django_db


def test_a_rule_without_a_deal_type_reads_any_not_unknown(admin_client, sales: Team) -> None:
    # Empty matches every lead (routing._fits); "Unknown" read as "only leads whose deal type is unknown".
    rule = RoutingRule.objects.create(team=sales, name="Everything else", position=20, strategy="least_loaded")

    listed = admin_client.get("/admin/leads/routingrule/").content.decode()
    form = admin_client.get(f"/admin/leads/routingrule/{rule.pk}/change/").content.decode()

    assert "Unknown" not in listed
    assert "Any deal type" in listed
    assert '<option value="" selected>Any deal type</option>' in form
    assert "Unknown" not in form
    assert '<label for="id_deal_type">Deal type is:</label>' in form


def test_a_rule_keeps_its_deal_type_through_the_admin_form(admin_client, sales: Team) -> None:
    rule = RoutingRule.objects.create(team=sales, name="Wholesale", position=10, strategy="least_loaded")
    response = admin_client.post(f"/admin/leads/routingrule/{rule.pk}/change/", {
        "team": sales.pk, "position": 10, "name": "Wholesale", "product_interest": "", "deal_type": "wholesale",
        "region": "", "strategy": "least_loaded", "is_active": "on"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.deal_type == "wholesale"



def test_the_rule_form_marks_people_who_take_no_new_leads(admin_client, alice, bob, carol, sales) -> None:
    """As the head's page marks them: one taken out of routing gets no lead from a rule, and a deactivated person a
    rule still names is shown as chosen, marked, not offered to a new rule."""
    from leadflow.accounts.models import User

    User.objects.filter(pk=alice.pk).update(is_routed=False)
    rule = RoutingRule.objects.create(team=carol.team, name="Carol's", position=1, strategy="person", assignee=carol)
    User.objects.filter(pk=carol.pk).update(is_active=False)

    for language, mark in (("en", "takes no new leads"), ("ru", "не получает новые лиды")):
        headers = {"Accept-Language": language}
        form = admin_client.get("/admin/leads/routingrule/add/", headers=headers)
        fields = form.context["adminform"].form.fields
        for name in ("assignee", "candidates"):
            labels = {pk.value: label for pk, label in fields[name].choices if pk}
            assert labels == {alice.pk: f"Sales: Alice ({mark})", bob.pk: "Sales: Bob"}, (name, labels)
        page = form.content.decode()
        assert f'<option value="{alice.pk}">Sales: Alice ({mark})</option>' in page
        kept = admin_client.get(f"/admin/leads/routingrule/{rule.pk}/change/", headers=headers)
        labels = {pk.value: label for pk, label in kept.context["adminform"].form.fields["assignee"].choices if pk}
        assert labels == {carol.pk: f"Carol ({mark})"}


def test_the_rule_form_offers_the_teams_managers_not_every_user(admin_client, admin_user, head, alice, bob, carol,
                                                                sales, other_team) -> None:
    """A rule gives leads to its team's managers only (leads.routing): the form offers them, not admins, marketers,
    heads of sales or another team's people, and a person the rule names who has left the team stays shown, marked."""
    from leadflow.accounts.models import Role, User

    User.objects.create_user(username="mira", password="pw", first_name="Mira", role=Role.MARKETER, team=sales)
    retired = Team.objects.create(name="Retired", is_active=False)
    User.objects.create_user(username="olga", password="pw", first_name="Olga", role=Role.MANAGER, team=retired)
    rule = RoutingRule.objects.create(team=sales, name="Bob's", position=1, strategy="person", assignee=bob)
    rule.candidates.set([alice, bob])
    User.objects.filter(pk=bob.pk).update(team=other_team)

    def offered(url: str) -> dict[str, dict[int, str]]:
        response = admin_client.get(url)
        assert response.status_code == 200
        fields = response.context["adminform"].form.fields
        return {name: {pk.value: label for pk, label in fields[name].choices if pk}
                for name in ("assignee", "candidates")}

    new = offered("/admin/leads/routingrule/add/")  # before a team is chosen: every working team's managers
    assert new["assignee"] == new["candidates"] == {alice.pk: "Sales: Alice", bob.pk: "Wholesale: Bob",
                                                    carol.pk: "Wholesale: Carol"}
    assert list(new["assignee"]) == [alice.pk, bob.pk, carol.pk]  # by team, then by name
    chosen = offered(f"/admin/leads/routingrule/add/?team={other_team.pk}")
    assert chosen["assignee"] == {bob.pk: "Bob", carol.pk: "Carol"}
    existing = offered(f"/admin/leads/routingrule/{rule.pk}/change/")
    assert existing["assignee"] == existing["candidates"] == {alice.pk: "Alice", bob.pk: "Bob (takes no new leads)"}

    # Moved to the other team in the admin: the save is refused for the old team's person, and the form now offers
    # the new team's people.
    data = {"team": other_team.pk, "position": 1, "name": "Bob's", "product_interest": "", "deal_type": "",
            "region": "", "strategy": "person", "assignee": alice.pk, "is_active": "on"}
    refused = admin_client.post(f"/admin/leads/routingrule/{rule.pk}/change/", data)
    form = refused.context["adminform"].form
    assert list(form.errors) == ["assignee"]
    assert {pk.value for pk, _label in form.fields["assignee"].choices if pk} >= {carol.pk}
    assert RoutingRule.objects.get(pk=rule.pk).team == sales
    saved = admin_client.post(f"/admin/leads/routingrule/{rule.pk}/change/", {**data, "assignee": carol.pk})
    assert saved.status_code == 302
    assert (RoutingRule.objects.get(pk=rule.pk).team, RoutingRule.objects.get(pk=rule.pk).assignee) == (other_team,
                                                                                                         carol)
    assert admin_user and head  # the admin and the head of sales exist and are not offered
