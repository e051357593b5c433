"""Who sees the score: on the cards one may see; the model's page for the head of sales and the admin."""

from __future__ import annotations

import pytest
from django.template.defaultfilters import floatformat
from django.test import Client as HttpClient

from leadflow.accounts.models import Role, User
from leadflow.scoring import services
from leadflow.scoring.models import ModelStatus, ScoringModel

pytestmark = pytest.mark.usefixtures("small_minimum")


def login(user: User) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


@pytest.fixture
def marketer(db: None) -> User:
    return User.objects.create_user(username="mary", password="pw", role=Role.MARKETER)


def test_a_manager_sees_the_score_only_on_leads_they_may_see(make_history, make_lead, alice, bob, carol):
    make_history(50, seed=31)
    services.train_model()
    lead = make_lead(owner=alice)
    services.score_lead(lead_id=lead.pk)

    page = login(alice).get(f"/leads/{lead.pk}/")
    assert page.status_code == 200 and 'data-testid="score-percent"' in page.content.decode()
    for other in (bob, carol):
        response = login(other).get(f"/leads/{lead.pk}/")
        assert response.status_code == 404
        assert b"score-percent" not in response.content


def test_model_page_is_for_the_head_and_the_admin(make_history, head, admin_user, alice, marketer, client):
    make_history(50, seed=32)
    run = services.train_model()
    for user in (head, admin_user):
        page = login(user).get("/scoring/")
        assert page.status_code == 200
        body = page.content.decode()
        # As the page rounds it (floatformat rounds half up; Python's format rounds half to even).
        assert 'data-testid="calibration"' in body and floatformat(run.metrics["auc"], 3) in body
    assert 'data-testid="retrain"' in login(admin_user).get("/scoring/").content.decode()
    assert 'data-testid="retrain"' not in login(head).get("/scoring/").content.decode()
    for user in (alice, marketer):
        assert login(user).get("/scoring/").status_code == 404
    assert client.get("/scoring/").status_code == 302  # to the login page


def test_only_the_admin_may_retrain(head, alice, client):
    assert login(head).post("/scoring/retrain/").status_code == 403
    assert login(alice).post("/scoring/retrain/").status_code == 404
    assert client.post("/scoring/retrain/").status_code == 302
    assert not ScoringModel.objects.filter(status=ModelStatus.QUEUED).exists()


def test_api_gives_the_score_of_visible_leads_only(make_history, make_lead, alice, bob, head, admin_user, api_as):
    assert api_as(head).get("/api/scoring/model").json()["status"] == "none"
    make_history(50, seed=33)
    run = services.train_model()
    lead = make_lead(owner=alice)
    services.score_lead(lead_id=lead.pk)

    body = api_as(alice).get(f"/api/leads/{lead.pk}/score").json()
    assert body["status"] == "scored" and body["model_id"] == run.pk and 0 < body["probability"] < 1
    assert all(reason["text"].startswith(("+ ", "− ")) for reason in body["reasons"])
    assert api_as(bob).get(f"/api/leads/{lead.pk}/score").status_code == 404

    assert api_as(alice).get("/api/scoring/model").status_code == 403
    figures = api_as(head).get("/api/scoring/model").json()
    assert figures["id"] == run.pk and figures["metrics"]["auc"] == pytest.approx(run.metrics["auc"])
    assert api_as(head).post("/api/scoring/retrain").status_code == 403
    assert api_as(admin_user).post("/api/scoring/retrain").status_code == 202
    assert ScoringModel.objects.filter(status=ModelStatus.QUEUED).count() == 1
