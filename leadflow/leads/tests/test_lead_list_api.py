"""Listing, filtering and searching leads; the API document."""

import pytest
from django.test import Client as HttpClient

from leadflow.leads import services
from leadflow.leads.models import LostReason

pytestmark = pytest.mark.django_db


def test_search_finds_a_phone_written_in_any_format(api_as, alice, make_lead):
    lead = make_lead(owner=alice, phone="+79123456789")
    make_lead(owner=alice, phone="+79990001122")
    for query in ("8 (912) 345-67-89", "+7 912 345 67 89", "9123456789"):
        items = api_as(alice).get("/api/leads", {"q": query}).json()["items"]
        assert [item["id"] for item in items] == [lead.pk], query


def test_search_by_name_email_and_company(api_as, alice, make_lead):
    lead = make_lead(owner=alice, last_name="Сидорова", first_name="Анна", company_name="Ромашка",
                     email="anna@romashka.ru")
    lead.full_name = "Сидорова Анна"
    lead.save()
    make_lead(owner=alice)
    client = api_as(alice)
    for query in ("сидорова", "ROMASHKA.RU", "Ромашка"):
        assert [i["id"] for i in client.get("/api/leads", {"q": query}).json()["items"]] == [lead.pk], query


def test_filters_by_state_stage_and_owner(api_as, head, alice, bob, make_lead):
    a = make_lead(owner=alice)
    b = make_lead(owner=bob)
    services.refuse_lead(lead=b, reason=LostReason.objects.first(), by=bob)
    pooled = make_lead()
    client = api_as(head)
    ids = lambda **q: [i["id"] for i in client.get("/api/leads", q).json()["items"]]  # noqa: E731
    assert ids(state="refused") == [b.pk]
    assert ids(owner=str(alice.pk)) == [a.pk]
    assert ids(owner="none") == [pooled.pk]
    assert ids(stage="lost") == [b.pk]
    assert ids(pool="true") == [pooled.pk]


def test_cursor_pages_through_everything_once(api_as, head, make_lead):
    created = [make_lead().pk for _ in range(7)]
    client = api_as(head)
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/leads", params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(created, reverse=True)


def test_bad_list_parameters_name_the_field(api_as, head):
    client = api_as(head)
    assert list(client.get("/api/leads", {"limit": 0}).json()["error"]["fields"]) == ["limit"]
    assert list(client.get("/api/leads", {"cursor": "garbage"}).json()["error"]["fields"]) == ["cursor"]
    assert list(client.get("/api/leads", {"owner": "x"}).json()["error"]["fields"]) == ["owner"]
    assert "created_from" in client.get("/api/leads", {"created_from": "yesterday"}).json()["error"]["fields"]


def test_list_query_count_does_not_grow_with_the_page(api_as, head, make_lead, django_assert_num_queries):
    for _ in range(20):
        make_lead()
    client = api_as(head)
    client.get("/api/leads")  # warm: token lookup is the same on each call
    # token lookup, headed teams, the two checks for leads outside the team, the page itself
    with django_assert_num_queries(5):
        response = client.get("/api/leads", {"limit": 20})
    assert len(response.json()["items"]) == 20


def test_lead_card_query_count_is_bounded(api_as, alice, make_lead, django_assert_num_queries):
    lead = make_lead(owner=alice)
    client = api_as(alice)
    for n in range(5):
        services.log_activity(lead=lead, kind="call", by=alice, subject=f"call {n}")
    with django_assert_num_queries(9):
        response = client.get(f"/api/leads/{lead.pk}")
    assert len(response.json()["activities"]) == 5


def test_my_tasks_overdue_today_upcoming(api_as, alice, make_lead):
    from datetime import timedelta

    from django.utils import timezone

    from leadflow.leads.models import Task

    lead = make_lead(owner=alice)
    Task.objects.filter(lead=lead).update(due_at=timezone.now() - timedelta(hours=1))
    later = services.create_task(lead=lead, assignee=alice, title="Send proposal",
                                 due_at=timezone.now() + timedelta(days=2), by=alice)
    client = api_as(alice)
    overdue = client.get("/api/tasks", {"scope": "overdue"}).json()
    assert [t["is_overdue"] for t in overdue] == [True]
    assert [t["id"] for t in client.get("/api/tasks", {"scope": "upcoming"}).json()] == [later.pk]
    assert len(client.get("/api/tasks", {"scope": "mine"}).json()) == 2
    assert client.get("/api/tasks", {"scope": "team"}).status_code == 403


def test_openapi_document_and_docs_page(db):
    schema = HttpClient().get("/api/openapi.json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    for path in ("/api/submissions", "/api/leads", "/api/leads/{lead_id}", "/api/leads/{lead_id}/claim",
                 "/api/leads/{lead_id}/convert", "/api/tasks", "/api/tasks/{task_id}/complete", "/api/clients",
                 "/api/companies"):
        assert path in body["paths"], path
    assert HttpClient().get("/api/docs").status_code == 200
