"""An API error's message is for a person: in the language the request asks for, as its field messages are.

The code stays the same in every language: that is what a program reads."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

pytestmark = pytest.mark.django_db


def test_a_refused_body_is_explained_in_russian_with_the_same_code(alice, make_lead, api_as):
    lead = make_lead(owner=alice)
    api = api_as(alice)
    for language, message in (("en", "Some fields are invalid."), ("ru", "Некоторые поля заполнены неверно.")):
        response = api.post("/api/tasks", {"lead_id": lead.pk, "title": "", "due_at": "завтра"},
                            content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 422
        error = response.json()["error"]
        assert (error["code"], error["message"]) == ("validation_error", message)
        assert set(error["fields"]) >= {"title", "due_at"}


def test_no_credentials_and_a_broken_body_are_explained_in_russian(partner):
    response = HttpClient().get("/api/leads", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.json()["error"]["message"].startswith("Нужно войти")

    _row, key = partner
    response = HttpClient().post("/api/submissions", "{not json", content_type="application/json",
                                 HTTP_X_API_KEY=key, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_json"
    assert "JSON" in response.json()["error"]["message"] and "тело" in response.json()["error"]["message"].lower()


def test_field_messages_and_refusals_of_the_lead_and_task_endpoints_follow_the_reader(alice, make_lead, api_as):
    lead = make_lead(owner=alice)
    api = api_as(alice)
    odd = api.patch(f"/api/leads/{lead.pk}", {"deal_type": "оптом", "temperature": "тёплый"},
                    content_type="application/json", HTTP_ACCEPT_LANGUAGE="ru")
    assert odd.status_code == 422
    fields = odd.json()["error"]["fields"]
    assert fields["deal_type"] == ["Допустимые значения: retail (розница), wholesale (опт) или пусто."]
    assert fields["temperature"] == ["Допустимые значения: cold, warm или hot."]

    team_tasks = api.get("/api/tasks?scope=team", HTTP_ACCEPT_LANGUAGE="ru")
    assert team_tasks.status_code == 403
    assert team_tasks.json()["error"]["message"] == "Задачи отдела видит только руководитель отдела продаж."
    assert api.get("/api/tasks?scope=all", HTTP_ACCEPT_LANGUAGE="ru").json()["error"]["fields"]["scope"] == [
        "Одно из значений: mine, overdue, today, upcoming, team."]
