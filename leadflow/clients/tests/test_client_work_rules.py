"""The rules of working a client, on the web and over the API alike:

- a task given on a colleague's client opens the client to its assignee (card, My tasks, notification, API)
  until it is done, and to nobody else;
- an erased person's client takes no tasks or activities, and the erasure closes its open tasks;
- the client card's history names fields and values in the reader's language, not by their codes;
- the API lists, logs, adds and completes a client's activities and tasks, with the web's rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.accounts.models import Role, User
from leadflow.clients.models import Client
from leadflow.clients.services import change_contact_email
from leadflow.clients.tests.conftest import STRANGERS
from leadflow.core.errors import DomainError, InvalidInput
from leadflow.events.models import OutboxEvent
from leadflow.leads import services
from leadflow.leads.models import Activity, FieldChange, Notification, Task
from leadflow.privacy import services as privacy

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
SOON = "2030-01-10T10:00"


def browser(user: User) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def client_of_alice(make_lead, alice) -> Client:
    return services.convert_lead(lead=make_lead(owner=alice), by=alice)


@pytest.fixture
def dave(sales) -> User:
    """A third manager of the same team as alice and bob."""
    return User.objects.create_user(username="dave", password="pw", role=Role.MANAGER, team=sales, first_name="Dave")


def state(client: Client) -> tuple:
    """Everything a denied call must leave as it was."""
    return (sorted(Task.objects.filter(client=client).values_list("pk", "title", "assignee_id", "completed_at",
                                                                   "result")),
            sorted(Activity.objects.filter(client=client).values_list("pk", "kind", "subject")),
            Notification.objects.count())


def give_bob_a_task(head: User, bob: User, client: Client) -> Task:
    response = browser(head).post(f"/clients/{client.pk}/task/", {
        "title": "Help with the contract", "kind": "call", "due_at": SOON, "assignee": str(bob.pk)})
    assert response.status_code == 302
    task = Task.objects.get(client=client, title="Help with the contract")
    assert task.assignee == bob
    return task


# ---------------------------------------------------------------- 1. a task opens the client to its assignee


def test_the_assignee_of_a_task_on_a_colleagues_client_opens_it_and_works_the_task(client_of_alice, head, bob):
    client = client_of_alice
    task = give_bob_a_task(head, bob, client)
    as_bob = browser(bob)
    card_url = f"/clients/{client.pk}/"

    # My tasks and the notification lead to the card, and the card opens.
    assert f'href="{card_url}"' in text(as_bob.get("/tasks/"))
    assert f'href="{card_url}"' in text(as_bob.get("/notifications/"))
    card = as_bob.get(card_url)
    assert card.status_code == 200
    page = text(card)
    assert "Help with the contract" in page
    assert f'action="/tasks/{task.pk}/complete/"' in page  # their task, to complete here
    assert f'action="/clients/{client.pk}/activity/"' in page  # the call they make is logged here
    assert f'action="/clients/{client.pk}/task/"' not in page  # the client is not theirs to plan
    assert "/marketing/cards/client/" not in page  # nor its marketing (that panel would not open to them)

    # They log the call, and may not add tasks to the client.
    as_bob.post(f"/clients/{client.pk}/activity/", {"kind": "call", "subject": "Went through the contract"})
    assert Activity.objects.filter(client=client, author=bob, subject="Went through the contract").exists()
    response = as_bob.post(f"/clients/{client.pk}/task/", {"title": "Mine now", "kind": "call", "due_at": SOON},
                           follow=True)
    assert not Task.objects.filter(title="Mine now").exists()
    assert "Only the client&#x27;s owner" in text(response) or "Only the client's owner" in text(response)

    # Done: the card was their last reason to open the client, so they land on My tasks, not on a 404.
    response = as_bob.post(f"/tasks/{task.pk}/complete/", {"result": "Contract agreed", "next": card_url})
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    task.refresh_from_db()
    assert task.completed_at is not None and task.result == "Contract agreed"
    assert as_bob.get(card_url).status_code == 404
    notifications = text(as_bob.get("/notifications/"))
    assert "New task: Help with the contract" in notifications and f'href="{card_url}"' not in notifications
    assert client.pk not in [c.pk for c in as_bob.get("/clients/").context["clients"]]  # never in their list


def test_a_next_task_keeps_the_card_open_to_the_assignee(client_of_alice, head, bob):
    client = client_of_alice
    task = give_bob_a_task(head, bob, client)
    card_url = f"/clients/{client.pk}/"
    response = browser(bob).post(f"/tasks/{task.pk}/complete/", {
        "result": "Half done", "next_title": "Finish the contract", "next_due_at": SOON, "next": card_url})
    assert response["Location"] == card_url
    assert Task.objects.get(previous=task).assignee == bob
    assert browser(bob).get(card_url).status_code == 200


def test_a_third_manager_still_cannot_open_or_work_the_client(client_of_alice, head, bob, dave, carol, api_as):
    client = client_of_alice
    task = give_bob_a_task(head, bob, client)
    before = state(client)
    for stranger in (dave, carol):
        web = browser(stranger)
        assert web.get(f"/clients/{client.pk}/").status_code == 404
        assert web.post(f"/clients/{client.pk}/activity/", {"kind": "call", "subject": "x"}).status_code == 404
        assert web.post(f"/clients/{client.pk}/task/", {"title": "x", "kind": "call",
                                                        "due_at": SOON}).status_code == 404
        assert web.post(f"/tasks/{task.pk}/complete/", {"result": "x"}).status_code == 404
        api = api_as(stranger)
        assert api.get(f"/api/clients/{client.pk}").status_code == 404
        assert api.get(f"/api/clients/{client.pk}/tasks").status_code == 404
        assert api.get(f"/api/clients/{client.pk}/activities").status_code == 404
        assert api.post(f"/api/clients/{client.pk}/activities", {"kind": "call"},
                        content_type="application/json").status_code == 404
        assert api.post(f"/api/clients/{client.pk}/tasks/{task.pk}/complete", {"result": "x"},
                        content_type="application/json").status_code == 404
    assert state(client) == before


def test_the_assignee_works_the_task_over_the_api_too(client_of_alice, head, bob, api_as):
    client = client_of_alice
    task = give_bob_a_task(head, bob, client)
    api = api_as(bob)
    card = api.get(f"/api/clients/{client.pk}")
    assert card.status_code == 200 and task.pk in [t["id"] for t in card.json()["tasks"]]
    response = api.post(f"/api/clients/{client.pk}/activities", {"kind": "call", "subject": "Called"},
                        content_type="application/json")
    assert response.status_code == 201, response.content
    before = state(client)
    response = api.post(f"/api/clients/{client.pk}/tasks", {"title": "Mine", "due_at": "2030-01-10T10:00:00Z"},
                        content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    response = api.post("/api/tasks", {"client_id": client.pk, "title": "Mine", "due_at": "2030-01-10T10:00:00Z"},
                        content_type="application/json")
    assert response.status_code == 403
    assert state(client) == before
    response = api.post(f"/api/clients/{client.pk}/tasks/{task.pk}/complete", {"result": "Done"},
                        content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["completed"]["result"] == "Done" and response.json()["next"] is None
    assert api.get(f"/api/clients/{client.pk}").status_code == 404


def test_a_client_task_goes_only_to_someone_who_works_clients(client_of_alice, head, alice, carol, api_as):
    client = client_of_alice
    marketer = User.objects.create_user(username="mary", password="pw", role=Role.MARKETER, team=head.team)
    with pytest.raises(InvalidInput) as refused:
        services.create_task(client=client, assignee=marketer, title="Call", due_at=timezone.now(), by=head)
    assert "assignee" in refused.value.fields
    before = state(client)
    api = api_as(head)
    for person in (marketer, carol):  # carol is of another team than the head's
        for url, extra in ((f"/api/clients/{client.pk}/tasks", {}), ("/api/tasks", {"client_id": client.pk})):
            response = api.post(url, {"title": "Call", "due_at": "2030-01-10T10:00:00Z", "assignee_id": person.pk,
                                      **extra}, content_type="application/json")
            assert response.status_code == 422, response.content
            assert "assignee_id" in response.json()["error"]["fields"]
    response = api_as(alice).post(f"/api/clients/{client.pk}/tasks", {
        "title": "Call", "due_at": "2030-01-10T10:00:00Z", "assignee_id": head.pk}, content_type="application/json")
    assert response.status_code == 403  # a manager plans for themselves
    assert state(client) == before


# ---------------------------------------------------------------- 2. an erased person's client


def erase(client: Client, admin: User) -> None:
    privacy.erase_person(person=privacy.find_person(client=client), by=admin)


def test_the_erasure_closes_the_clients_open_tasks_for_everyone(client_of_alice, head, bob, admin_user):
    client = client_of_alice
    first = Task.objects.get(client=client)
    bobs = give_bob_a_task(head, bob, client)
    erase(client, admin_user)
    for task in (first, bobs):
        task.refresh_from_db()
        assert task.completed_at is not None and task.is_cancelled
        assert "erased" in task.result
    assert not Task.objects.open().filter(client=client).exists()
    assert "Help with the contract" not in text(browser(bob).get("/tasks/"))
    assert OutboxEvent.objects.filter(name="task.completed", payload__task_id=bobs.pk,
                                      payload__client_id=client.pk, payload__reason="erased").exists()


def test_an_erased_client_takes_no_task_or_activity_on_the_web(client_of_alice, alice, head, admin_user):
    client = client_of_alice
    erase(client, admin_user)
    before = state(client)
    for user in (alice, head, admin_user):
        web = browser(user)
        card = text(web.get(f"/clients/{client.pk}/"))
        assert 'data-testid="client-erased"' in card
        assert f'action="/clients/{client.pk}/task/"' not in card
        assert f'action="/clients/{client.pk}/activity/"' not in card
        response = web.post(f"/clients/{client.pk}/activity/", {"kind": "call", "subject": "Called"}, follow=True)
        assert "data was erased at their request" in text(response)
        response = web.post(f"/clients/{client.pk}/task/", {"title": "Call again", "kind": "call", "due_at": SOON},
                            follow=True)
        assert "data was erased at their request" in text(response)
    assert state(client) == before


def test_an_erased_client_takes_no_task_or_activity_over_the_api(client_of_alice, alice, admin_user, api_as):
    client = client_of_alice
    task = Task.objects.get(client=client)
    erase(client, admin_user)
    before = state(client)
    for user in (alice, admin_user):
        api = api_as(user)
        calls = [
            api.post(f"/api/clients/{client.pk}/activities", {"kind": "note", "subject": "x"},
                     content_type="application/json"),
            api.post(f"/api/clients/{client.pk}/tasks", {"title": "Call", "due_at": "2030-01-10T10:00:00Z"},
                     content_type="application/json"),
            api.post("/api/tasks", {"client_id": client.pk, "title": "Call", "due_at": "2030-01-10T10:00:00Z"},
                     content_type="application/json"),
        ]
        for response in calls:
            assert response.status_code == 409, response.content
            assert response.json()["error"]["code"] == "card_erased"
            assert "erased" in response.json()["error"]["message"]
    response = api_as(alice).post(f"/api/clients/{client.pk}/tasks/{task.pk}/complete", {"result": "x"},
                                  content_type="application/json")
    assert response.status_code == 409  # the erasure closed it already
    assert state(client) == before
    with pytest.raises(DomainError):
        services.log_activity(client=client, kind="call", by=alice)


def test_a_stale_client_object_is_still_refused(client_of_alice, alice, admin_user):
    client = client_of_alice  # loaded before the erasure: the service reads the row, not the object
    erase(Client.objects.get(pk=client.pk), admin_user)
    assert client.erased_at is None
    with pytest.raises(services.CardErased):
        services.create_task(client=client, assignee=alice, title="Call", due_at=timezone.now(), by=alice)


# ---------------------------------------------------------------- 3. the history in the reader's language


def history_of(page: str) -> str:
    found = re.search(r'data-testid="client-history">(.*?)</ul>', page, re.S)
    assert found, "no history on the card"
    return found.group(1)


def test_the_client_history_names_fields_and_values_in_the_readers_language(client_of_alice, alice, bob):
    client = client_of_alice
    change_contact_email(client=client, contact=client.contact, email="ivan@gmail.com", by=alice)
    FieldChange.objects.create(client=client, field="owner", old_value=str(alice.pk), new_value="bob",
                               changed_by=alice)
    FieldChange.objects.create(client=client, field="stage", old_value="new", new_value="contacted",
                               changed_by=alice)
    FieldChange.objects.create(client=client, field="is_active", old_value="True", new_value="False",
                               changed_by=alice)

    english = history_of(text(browser(alice).get(f"/clients/{client.pk}/")))
    for code in ("owner:", "stage:", "is_active", "email:", "True", "False", ">new<", "contacted"):
        assert code not in english, code
    assert "Owner: Alice → Bob" in english
    assert "Stage: New → Contacted" in english
    assert "In work: yes → no" in english
    assert "E-mail: " in english and "ivan@gmail.com" in english

    alice.language = "ru"
    alice.save()
    russian = history_of(text(browser(alice).get(f"/clients/{client.pk}/")))
    assert "Ответственный: Alice → Bob" in russian
    assert "Этап: " in russian and "Установлен контакт" in russian
    assert "В работе: да → нет" in russian


# ---------------------------------------------------------------- 4. the API for client work


def test_the_owner_works_the_client_over_the_api(client_of_alice, alice, api_as):
    client = client_of_alice
    api = api_as(alice)
    first = Task.objects.get(client=client)

    response = api.post(f"/api/clients/{client.pk}/activities", {
        "kind": "call", "subject": "Agreed on the delivery", "body": "<b>call</b> back", "duration_seconds": 420},
        content_type="application/json")
    assert response.status_code == 201, response.content
    activity = Activity.objects.get(pk=response.json()["id"])
    assert (activity.client, activity.lead, activity.author, activity.duration_seconds) == (client, None, alice, 420)
    listed = api.get(f"/api/clients/{client.pk}/activities").json()
    assert [a["subject"] for a in listed] == ["Agreed on the delivery"]

    # A time without a zone is the user's (Moscow by default), as on the card's form.
    response = api.post(f"/api/clients/{client.pk}/tasks", {
        "title": "Send the price list", "kind": "proposal", "due_at": "2030-01-10T15:00:00"},
        content_type="application/json")
    assert response.status_code == 201, response.content
    task = Task.objects.get(pk=response.json()["id"])
    assert (task.client, task.assignee, task.kind, task.created_by) == (client, alice, "proposal", alice)
    assert task.due_at == datetime(2030, 1, 10, 15, 0, tzinfo=MOSCOW)

    tasks = api.get(f"/api/clients/{client.pk}/tasks").json()
    assert [t["id"] for t in tasks] == [first.pk, task.pk]  # soonest due first

    response = api.post(f"/api/clients/{client.pk}/tasks/{first.pk}/complete", {
        "result": "Talked", "next_title": "Meeting", "next_due_at": "2030-01-11T07:00:00Z"},
        content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["completed"]["result"] == "Talked" and body["next"]["client_id"] == client.pk
    assert body["next"]["due_at"].startswith("2030-01-11T07:00")
    open_ids = [t["id"] for t in api.get(f"/api/clients/{client.pk}/tasks?include_done=false").json()]
    assert first.pk not in open_ids and body["next"]["id"] in open_ids
    assert [t["id"] for t in api.get(f"/api/clients/{client.pk}/tasks").json()][-1] == first.pk  # done ones last


def test_a_head_gives_a_client_task_to_someone_of_the_team_and_they_are_told(client_of_alice, head, bob, alice,
                                                                              api_as):
    client = client_of_alice
    api = api_as(head)
    response = api.post(f"/api/clients/{client.pk}/tasks", {"title": "Written proposal", "due_at": SOON + ":00Z"},
                        content_type="application/json")
    assert response.status_code == 201 and response.json()["assignee_id"] == alice.pk  # the owner by default
    response = api.post(f"/api/clients/{client.pk}/tasks", {
        "title": "Help with the contract", "due_at": SOON + ":00Z", "assignee_id": bob.pk},
        content_type="application/json")
    assert response.status_code == 201 and response.json()["assignee_id"] == bob.pk
    assert bob.notifications.filter(kind="task.assigned", client=client).exists()
    assert api_as(bob).get(f"/api/clients/{client.pk}").status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "telegram"}, "kind"),
    ({"kind": "system", "subject": "pretending to be Leadflow"}, "kind"),
    ({"subject": "no kind"}, "kind"),
    ({"kind": "call", "duration_seconds": -5}, "duration_seconds"),
    ({"kind": "call", "occurred_at": "yesterday"}, "occurred_at"),
    ({"kind": "call", "subject": "x" * 256}, "subject"),
])
def test_a_bad_activity_names_the_field_and_changes_nothing(client_of_alice, alice, api_as, body, field):
    before = state(client_of_alice)
    response = api_as(alice).post(f"/api/clients/{client_of_alice.pk}/activities", body,
                                  content_type="application/json")
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert state(client_of_alice) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "Call", "due_at": "tomorrow-ish"}, "due_at"),
    ({"title": "Call"}, "due_at"),
    ({"title": "   ", "due_at": "2030-01-10T10:00:00Z"}, "title"),
    ({"title": "Call", "due_at": "2030-01-10T10:00:00Z", "kind": "dance"}, "kind"),
    ({"title": "Call", "due_at": "2030-01-10T10:00:00Z", "assignee_id": "bob"}, "assignee_id"),
    ({"title": "Call", "due_at": "2030-01-10T10:00:00Z", "assignee_id": 2 ** 70}, "assignee_id"),
])
def test_a_bad_task_names_the_field_and_changes_nothing(client_of_alice, head, api_as, body, field):
    before = state(client_of_alice)
    response = api_as(head).post(f"/api/clients/{client_of_alice.pk}/tasks", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert state(client_of_alice) == before


def test_a_bad_completion_names_the_field_and_changes_nothing(client_of_alice, alice, api_as):
    client = client_of_alice
    task = Task.objects.get(client=client)
    before = state(client)
    api = api_as(alice)
    for body, field in (({"result": "  "}, "result"), ({"result": "x", "next_title": "Again"}, "next_due_at"),
                        ({"result": "x", "next_kind": "dance", "next_title": "A", "next_due_at": SOON}, "next_kind")):
        response = api.post(f"/api/clients/{client.pk}/tasks/{task.pk}/complete", body,
                            content_type="application/json")
        assert response.status_code == 422, response.content
        assert field in response.json()["error"]["fields"]
    assert state(client) == before


def test_a_task_is_completed_only_through_its_own_client(make_lead, client_of_alice, alice, api_as):
    other = services.convert_lead(lead=make_lead(owner=alice, email="other@example.ru", phone="+79120005555"),
                                  by=alice)
    task = Task.objects.get(client=other)
    before = state(other)
    response = api_as(alice).post(f"/api/clients/{client_of_alice.pk}/tasks/{task.pk}/complete", {"result": "x"},
                                  content_type="application/json")
    assert response.status_code == 404
    assert state(other) == before


@pytest.mark.parametrize("who", STRANGERS)
def test_a_denied_api_call_changes_nothing(client_of_alice, stranger, api_as, who):
    client = client_of_alice
    task = Task.objects.get(client=client)
    someone = stranger(who)
    api = api_as(someone)
    before = state(client)
    responses = [
        api.get(f"/api/clients/{client.pk}/activities"),
        api.get(f"/api/clients/{client.pk}/tasks"),
        api.post(f"/api/clients/{client.pk}/activities", {"kind": "call", "subject": "x"},
                 content_type="application/json"),
        api.post(f"/api/clients/{client.pk}/tasks", {"title": "x", "due_at": "2030-01-10T10:00:00Z"},
                 content_type="application/json"),
        api.post(f"/api/clients/{client.pk}/tasks/{task.pk}/complete", {"result": "x"},
                 content_type="application/json"),
        api.post("/api/tasks", {"client_id": client.pk, "title": "x", "due_at": "2030-01-10T10:00:00Z"},
                 content_type="application/json"),
    ]
    assert [r.status_code for r in responses] == [404] * len(responses)
    assert state(client) == before


@pytest.mark.parametrize("who", ["head", "admin_user"])
def test_the_head_and_an_admin_work_the_client_over_the_api(client_of_alice, request, api_as, who):
    client = client_of_alice
    user = request.getfixturevalue(who)
    api = api_as(user)
    response = api.post(f"/api/clients/{client.pk}/activities", {"kind": "note", "subject": f"By {who}"},
                        content_type="application/json")
    assert response.status_code == 201
    task = Task.objects.get(client=client)
    response = api.post(f"/api/clients/{client.pk}/tasks/{task.pk}/complete", {"result": f"Done by {who}"},
                        content_type="application/json")
    assert response.status_code == 200, response.content
    assert Task.objects.get(pk=task.pk).result == f"Done by {who}"


def test_the_client_endpoints_are_documented(client_of_alice, alice, api_as):
    schema = api_as(alice).get("/api/openapi.json").json()
    paths = schema["paths"]
    for path, methods in {"/api/clients/{client_id}/activities": ("get", "post"),
                          "/api/clients/{client_id}/tasks": ("get", "post"),
                          "/api/clients/{client_id}/tasks/{task_id}/complete": ("post",)}.items():
        for method in methods:
            operation = paths[path][method]
            assert operation.get("summary") and "owner" in operation.get("description", ""), (path, method)


def test_the_lead_link_on_the_card_shows_only_to_who_may_open_the_lead(make_lead, head, alice, bob):
    # Converted by the head for bob: the lead stays alice's card, which bob cannot open.
    lead = make_lead(owner=alice)
    client = services.convert_lead(lead=lead, by=head, owner=bob)
    assert f'href="/leads/{lead.pk}/"' not in text(browser(bob).get(f"/clients/{client.pk}/"))
    assert browser(bob).get(f"/leads/{lead.pk}/").status_code == 404
    assert f'href="/leads/{lead.pk}/"' in text(browser(head).get(f"/clients/{client.pk}/"))


def test_the_suggested_email_button_is_only_for_who_manages_the_client(make_lead, head, alice, bob):
    client = services.convert_lead(lead=make_lead(owner=alice, email="ivan@gmial.com"), by=alice)
    give_bob_a_task(head, bob, client)
    assert 'data-testid="accept-email"' in text(browser(alice).get(f"/clients/{client.pk}/"))
    assert 'data-testid="accept-email"' not in text(browser(bob).get(f"/clients/{client.pk}/"))


def test_a_due_time_with_its_zone_is_kept_as_that_moment(client_of_alice, alice, api_as):
    response = api_as(alice).post(f"/api/clients/{client_of_alice.pk}/tasks", {
        "title": "Call", "due_at": "2030-01-10T10:00:00+03:00"}, content_type="application/json")
    assert response.status_code == 201
    assert Task.objects.get(pk=response.json()["id"]).due_at == datetime(2030, 1, 10, 7, 0, tzinfo=UTC)


def test_a_client_task_is_not_the_pools_assign_a_responsible_person(client_of_alice, alice, api_as):
    client = client_of_alice
    card = text(browser(alice).get(f"/clients/{client.pk}/"))
    assert 'value="assign"' not in card and 'value="proposal"' in card
    before = state(client)
    for url, extra in ((f"/api/clients/{client.pk}/tasks", {}), ("/api/tasks", {"client_id": client.pk})):
        response = api_as(alice).post(url, {"title": "Assign", "due_at": "2030-01-10T10:00:00Z", "kind": "assign",
                                            **extra}, content_type="application/json")
        assert response.status_code == 422 and "kind" in response.json()["error"]["fields"]
    assert state(client) == before


def test_a_task_of_a_client_whose_owner_left_goes_to_who_adds_it(client_of_alice, alice, head):
    client = client_of_alice
    alice.is_active = False
    alice.save()
    browser(head).post(f"/clients/{client.pk}/task/", {"title": "Take over", "kind": "call", "due_at": SOON,
                                                        "assignee": ""})
    assert Task.objects.get(client=client, title="Take over").assignee == head


def test_an_erased_lead_takes_no_task_or_activity_either(make_lead, alice, admin_user):
    lead = make_lead(owner=alice)
    privacy.erase_person(person=privacy.find_person(lead=lead), by=admin_user)
    before = (Task.objects.filter(lead=lead).count(), Activity.objects.filter(lead=lead).count())
    response = browser(alice).post(f"/leads/{lead.pk}/activity/", {"kind": "call", "subject": "Called"},
                                   follow=True)
    assert "data was erased at their request" in text(response)
    with pytest.raises(services.CardErased):
        services.create_task(lead=lead, assignee=alice, title="Call", due_at=timezone.now(), by=alice)
    assert (Task.objects.filter(lead=lead).count(), Activity.objects.filter(lead=lead).count()) == before
