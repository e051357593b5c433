"""Configuration lives in Django's admin: sources, stages, lost reasons, routing rules, users, forms."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    "accounts/user", "accounts/team", "marketing/source", "marketing/campaign", "leads/stage",
    "leads/lostreason", "leads/routingrule", "leads/lead", "intake/form", "intake/partner", "intake/submission",
    "clients/company", "clients/client",
]


@pytest.mark.parametrize("page", PAGES)
def test_admin_lists_and_add_forms_open(client, admin_user, make_lead, page):
    make_lead()
    client.force_login(admin_user)
    assert client.get(f"/admin/{page}/").status_code == 200
    if page != "intake/submission":
        assert client.get(f"/admin/{page}/add/").status_code == 200


def test_admin_adds_a_stage_and_a_routing_rule(client, admin_user, sales, alice):
    from leadflow.leads.models import RoutingRule, Stage

    client.force_login(admin_user)
    response = client.post("/admin/leads/stage/add/", {"code": "demo", "name": "Demo done", "position": 35,
                                                       "kind": "open", "is_qualified": "on"})
    assert response.status_code == 302
    assert Stage.objects.get(code="demo").is_qualified
    response = client.post("/admin/leads/routingrule/add/", {
        "team": sales.pk, "position": 1, "name": "Moscow", "region": "Москва", "strategy": "person",
        "assignee": alice.pk, "is_active": "on"})
    assert response.status_code == 302
    assert RoutingRule.objects.get(name="Moscow").assignee == alice


def test_managers_cannot_open_the_admin(client, alice):
    client.force_login(alice)
    assert client.get("/admin/leads/stage/").status_code == 302
