"""Who may see and change what: bob cannot read or change alice's lead through any endpoint."""

import json
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.api import api
from leadflow.clients.models import Client
from leadflow.leads import services
from leadflow.leads.models import Activity, FieldChange, Lead, OwnerChange, StageChange, Task

pytestmark = pytest.mark.django_db

BODIES = {
    "assign": {"owner_id": 0},
    "stage": {"stage": "contacted"},
    "refuse": {"reason_id": 1},
    "defer": {"until": "2099-01-01"},
    "convert": {},
    "activities": {"kind": "call"},
    "complete": {"result": "done"},
}


def operations_with(placeholder: str) -> list[tuple[str, str]]:
    """Every (method, path) of the API that takes this id: new endpoints are covered automatically."""
    schema = api.get_openapi_schema()
    found = []
    for path, methods in schema["paths"].items():
        if "{" + placeholder + "}" in path:
            found.extend((method.upper(), path) for method in methods)
    return found


def snapshot(lead: Lead) -> tuple:
    lead.refresh_from_db()
    return (
        lead.owner_id, lead.state, lead.stage_id, lead.updated_at,
        Task.objects.filter(lead=lead).order_by("pk").values_list("pk", "completed_at", "assignee_id").__iter__(),
        Activity.objects.filter(lead=lead).count(), StageChange.objects.filter(lead=lead).count(),
        OwnerChange.objects.filter(lead=lead).count(), FieldChange.objects.filter(lead=lead).count(),
        Client.objects.count(),
    )


def frozen(lead: Lead) -> tuple:
    values = snapshot(lead)
    return (*values[:4], list(values[4]), *values[5:])


def call(client: HttpClient, method: str, path: str, body: dict):
    if method == "GET":
        return client.get(path)
    return client.generic(method, path, json.dumps(body), content_type="application/json")


def test_every_lead_endpoint_hides_alices_lead_from_bob(api_as, alice, bob, head, make_lead):
    lead = make_lead(owner=alice)
    BODIES["assign"] = {"owner_id": bob.pk}
    before = frozen(lead)
    operations = operations_with("lead_id")
    assert len(operations) >= 10  # card, claim, assign, stage, qualify, refuse, defer, reopen, convert, activities
    as_bob = api_as(bob)
    for method, path in operations:
        url = "/api" + path.removeprefix("/api").replace("{lead_id}", str(lead.pk))
        response = call(as_bob, method, url, BODIES.get(path.rsplit("/", 1)[-1], {}))
        # 404 hides the card, a claim's too (a teammate's lead is not his to learn of), and changes nothing
        assert response.status_code == 404, (method, path, response.status_code)
        assert "Petrov" not in response.content.decode(), (method, path)
        assert "Alice" not in response.content.decode(), (method, path)
    assert frozen(lead) == before


def test_bob_does_not_find_alices_lead_in_lists_or_search(api_as, alice, bob, make_lead):
    lead = make_lead(owner=alice, email="only-alice@example.ru")
    as_bob = api_as(bob)
    assert lead.pk not in [item["id"] for item in as_bob.get("/api/leads").json()["items"]]
    assert as_bob.get("/api/leads", {"q": "only-alice"}).json()["items"] == []


def test_bob_cannot_complete_or_see_alices_task(api_as, alice, bob, make_lead):
    lead = make_lead(owner=alice)
    task = Task.objects.get(lead=lead)
    as_bob = api_as(bob)
    response = as_bob.post(f"/api/tasks/{task.pk}/complete", {"result": "x"}, content_type="application/json")
    assert response.status_code == 404
    assert Task.objects.get(pk=task.pk).completed_at is None
    assert as_bob.get("/api/tasks", {"scope": "mine"}).json() == []
    response = as_bob.post("/api/tasks", {"lead_id": lead.pk, "title": "spy", "due_at": timezone.now().isoformat()},
                           content_type="application/json")
    assert response.status_code == 404
    assert Task.objects.filter(lead=lead).count() == 1


def test_bob_cannot_read_alices_client_or_its_company(api_as, alice, bob, make_lead):
    lead = make_lead(owner=alice)
    client = services.convert_lead(lead=lead, by=alice, company=services.CompanyFacts(name="Ромашка"))
    as_bob = api_as(bob)
    assert as_bob.get(f"/api/clients/{client.pk}").status_code == 404
    assert as_bob.get(f"/api/companies/{client.company_id}").status_code == 404
    assert as_bob.get("/api/clients").json() == []
    assert as_bob.get("/api/companies").json() == []


def test_manager_sees_the_pool_of_own_team_only(api_as, alice, carol, make_lead, other_team):
    pooled = make_lead()
    theirs = make_lead(team=other_team)
    ids = [item["id"] for item in api_as(alice).get("/api/leads", {"pool": "true"}).json()["items"]]
    assert ids == [pooled.pk]
    assert api_as(alice).post(f"/api/leads/{theirs.pk}/claim").status_code == 404
    assert Lead.objects.get(pk=theirs.pk).owner is None


def test_head_sees_the_whole_team_and_admin_everything(api_as, head, alice, bob, carol, admin_user, make_lead,
                                                       other_team):
    mine = make_lead(owner=alice)
    bobs = make_lead(owner=bob)
    other = make_lead(team=other_team, owner=carol)
    head_ids = {item["id"] for item in api_as(head).get("/api/leads").json()["items"]}
    assert head_ids == {mine.pk, bobs.pk}
    admin_ids = {item["id"] for item in api_as(admin_user).get("/api/leads").json()["items"]}
    assert admin_ids == {mine.pk, bobs.pk, other.pk}


def test_marketer_reads_no_cards(api_as, make_lead, sales):
    from leadflow.accounts.models import User

    mary = User.objects.create_user(username="mary", role="marketer", team=sales)
    lead = make_lead()
    assert api_as(mary).get("/api/leads").json()["items"] == []
    assert api_as(mary).get(f"/api/leads/{lead.pk}").status_code == 404


def test_partner_key_cannot_read_or_change_leads(partner, make_lead):
    _, key = partner
    lead = make_lead()
    anonymous_like = HttpClient(headers={"X-Api-Key": key})
    assert anonymous_like.get("/api/leads").status_code == 401
    assert anonymous_like.get(f"/api/leads/{lead.pk}").status_code == 401
    assert anonymous_like.post(f"/api/leads/{lead.pk}/claim").status_code == 401
    assert Lead.objects.get(pk=lead.pk).owner is None


def test_form_key_only_submits(web_form, make_lead):
    lead = make_lead()
    client = HttpClient(headers={"X-Form-Key": web_form.public_key})
    assert client.get("/api/leads").status_code == 401
    assert client.get(f"/api/leads/{lead.pk}").status_code == 401


def test_no_credentials_is_401_everywhere(make_lead):
    lead = make_lead()
    for method, path in operations_with("lead_id"):
        url = path.replace("{lead_id}", str(lead.pk))
        response = call(HttpClient(), method, url, {})
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "unauthorized"


def test_inactive_users_token_stops_working(api_as, alice):
    client = api_as(alice)
    alice.is_active = False
    alice.save()
    assert client.get("/api/leads").status_code == 401


def test_session_api_calls_need_csrf(alice, make_lead):
    lead = make_lead()
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.get("/api/leads").status_code == 200
    assert browser.post(f"/api/leads/{lead.pk}/claim").status_code == 403
    assert Lead.objects.get(pk=lead.pk).owner is None


def test_deferred_date_validation_does_not_leak_existence(api_as, bob, alice, make_lead):
    lead = make_lead(owner=alice)
    until = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = api_as(bob).post(f"/api/leads/{lead.pk}/defer", {"until": until}, content_type="application/json")
    assert response.status_code == 404
