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



def test_the_rule_form_marks_people_who_take_no_new_leads(admin_client, alice, bob, carol) -> None:
    """As the head's page marks them: a deactivated person and one taken out of routing get no lead from a rule."""
    from leadflow.accounts.models import User

    User.objects.filter(pk=alice.pk).update(is_routed=False)
    User.objects.filter(pk=carol.pk).update(is_active=False)

    for language, mark in (("en", "takes no new leads"), ("ru", "не получает новые лиды")):
        form = admin_client.get("/admin/leads/routingrule/add/", headers={"Accept-Language": language})
        fields = form.context["adminform"].form.fields
        for name in ("assignee", "candidates"):
            labels = {pk.value: label for pk, label in fields[name].choices if pk}
            assert labels[alice.pk] == f"Alice ({mark})" and labels[carol.pk] == f"Carol ({mark})", (name, labels)
            assert labels[bob.pk] == "Bob"
        page = form.content.decode()
        assert f'<option value="{alice.pk}">Alice ({mark})</option>' in page
