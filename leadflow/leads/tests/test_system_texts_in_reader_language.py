"""Texts Leadflow writes itself (task titles, notifications, timeline entries, seeded stages and reasons) read in
the reader's language on the API, pages and e-mails, whoever's language was active when they were written; what a
person typed stays as typed."""

from datetime import date, timedelta

from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone, translation

from leadflow.events.services import deliver_pending
from leadflow.leads import services
from leadflow.leads.models import Activity, LostReason, Notification, Stage, Task, TaskKind, system_text


def _web(user) -> HttpClient:  # type: ignore[no-untyped-def]
    web = HttpClient()
    web.force_login(user)
    return web


def _tasks(api_as, user, language: str) -> dict[int, dict]:  # type: ignore[no-untyped-def]
    response = api_as(user).get("/api/tasks", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    return {row["id"]: row for row in response.json()}


def test_a_system_tasks_title_follows_the_api_callers_language(alice, make_lead, api_as):
    lead = make_lead(owner=alice, last_name="Петров", first_name="Иван")
    first = Task.objects.get(lead=lead)
    typed = services.create_task(lead=lead, assignee=alice, title="Send the price list",
                                 due_at=timezone.now() + timedelta(days=1), by=alice)

    russian = _tasks(api_as, alice, "ru")
    english = _tasks(api_as, alice, "en")

    assert russian[first.pk]["title"] == "Позвонить лиду: Петров Иван"
    assert english[first.pk]["title"] == "Call the lead: Петров Иван"
    assert russian[first.pk]["title_key"] == english[first.pk]["title_key"] == "Call the lead: %(name)s"
    assert russian[typed.pk]["title"] == english[typed.pk]["title"] == "Send the price list"
    assert russian[typed.pk]["title_key"] == ""


def test_the_lead_card_api_words_system_tasks_and_timeline_for_the_caller(alice, make_lead, api_as):
    lead = make_lead(owner=alice)
    services.refuse_lead(lead=lead, reason=LostReason.objects.get(name="Too expensive"), note="", by=alice)

    card = api_as(alice).get(f"/api/leads/{lead.pk}", HTTP_ACCEPT_LANGUAGE="ru").json()

    assert card["lead"]["stage_name"] == "Отказ"
    assert [task["title"] for task in card["tasks"]] == [f"Позвонить лиду: {lead.full_name}"]
    assert [task["result"] for task in card["tasks"]] == ["Отказ по лиду"]
    assert "Отказ: Слишком дорого" in [activity["subject"] for activity in card["activities"]]


def test_a_notification_written_in_english_reads_in_russian_once_the_manager_switched(alice, make_lead, api_as):
    """The task's title inside the notification was frozen in the language of the day it was written."""
    lead = make_lead(owner=alice)
    Task.objects.filter(lead=lead).update(due_at=timezone.now() + timedelta(minutes=10))
    with translation.override("en"):
        services.remind_due_tasks()
    alice.language = "ru"
    alice.save()

    expected = f"Подошёл срок задачи: Позвонить лиду: {lead.full_name}"
    api = api_as(alice).get("/api/leads/meta/notifications", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert [row["text"] for row in api] == [expected]
    page = _web(alice).get("/notifications/").content.decode()
    assert expected in page and "Call the lead" not in page and "Task due" not in page

    mail.outbox.clear()
    deliver_pending()
    assert [message.body.splitlines()[0] for message in mail.outbox] == [expected]


def test_a_notification_written_in_russian_reads_in_english_for_an_english_reader(alice, head, make_lead, api_as):
    alice.language = "ru"
    alice.save()
    lead = make_lead(owner=alice)
    with translation.override("ru"):
        task = services.create_task(lead=lead, assignee=alice, title="Перезвонить после обеда",
                                    due_at=timezone.now() + timedelta(hours=3), by=head)
        services.refuse_lead(lead=make_lead(owner=alice), reason=LostReason.objects.get(name="No need"), note="",
                             by=alice)
    alice.language = "en"
    alice.save()

    note = Notification.objects.get(user=alice, kind="task.assigned")
    assert note.text == "Новая задача: Перезвонить после обеда"  # stored as written, for the record
    api = api_as(alice).get("/api/leads/meta/notifications", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [row["text"] for row in api] == [f"New task: {task.title}"]  # a typed title stays as typed
    refusal = Activity.objects.get(subject__startswith="Отказ")
    with translation.override("en"):
        assert refusal.shown_subject == "Refused: No need"


def test_a_new_request_names_its_channel_in_the_language_of_whoever_reads_it(alice, make_lead, api_as):
    alice.language = "en"
    alice.save()
    lead = make_lead(owner=alice)
    person = services.PersonFacts(first_name=lead.first_name, last_name=lead.last_name, phone=lead.phone)
    services.attach_request(lead=lead, person=person, touch=services.Touch(channel="form"))
    alice.language = "ru"
    alice.save()

    api = api_as(alice).get("/api/leads/meta/notifications", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert [row["text"] for row in api] == [f"Новое обращение от {lead.full_name} (Веб-форма)"]


def test_seeded_stages_and_reasons_read_in_russian_and_typed_names_stay_as_typed(alice, api_as):
    Stage.objects.filter(code="contacted").update(name="Open")  # an admin's own word, which the catalogue knows
    LostReason.objects.create(name="Бюджет заморожен")

    stages = {row["code"]: row["name"] for row in
              api_as(alice).get("/api/leads/meta/stages", HTTP_ACCEPT_LANGUAGE="ru").json()}
    reasons = [row["name"] for row in
               api_as(alice).get("/api/leads/meta/lost-reasons", HTTP_ACCEPT_LANGUAGE="ru").json()]
    english = {row["code"]: row["name"] for row in
               api_as(alice).get("/api/leads/meta/stages", HTTP_ACCEPT_LANGUAGE="en").json()}

    assert stages["new"] == "Новый" and stages["proposal"] == "Отправлено КП"
    assert stages["contacted"] == english["contacted"] == "Open"
    assert english["new"] == "New"
    assert "Слишком дорого" in reasons and "Бюджет заморожен" in reasons and "Too expensive" not in reasons
    assert reasons == sorted(reasons, key=str.casefold)  # in the reader's alphabet, not the English one


def test_an_assignment_tasks_result_reads_in_each_readers_language(head, alice, make_lead, api_as):
    """A Russian head's assignment closed the head's task with "Назначен ответственный: ..." for everyone."""
    lead = make_lead()
    assign = Task.objects.create(lead=lead, assignee=head, kind=TaskKind.ASSIGN, due_at=timezone.now(),
                                 **system_text("title", "Assign a responsible person: %(name)s", name=lead.full_name))
    with translation.override("ru"):
        services.assign_lead(lead=lead, to=alice, by=head)

    card = api_as(alice).get(f"/api/leads/{lead.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    results = {task["id"]: task["result"] for task in card["tasks"]}
    assert results[assign.pk] == f"Assigned to {alice.display_name()}"
    with translation.override("ru"):
        assert Task.objects.get(pk=assign.pk).shown_result == f"Назначен ответственный: {alice.display_name()}"


def test_a_deferrals_day_reads_in_the_readers_format(alice, make_lead, api_as):
    """"Отложен до 2027-01-08": the day stood in ISO whatever the reader's format."""
    lead = make_lead(owner=alice)
    with translation.override("ru"):
        services.defer_lead(lead=lead, until=date(2027, 1, 8), by=alice)

    russian = api_as(alice).get(f"/api/leads/{lead.pk}", HTTP_ACCEPT_LANGUAGE="ru").json()["activities"]
    english = api_as(alice).get(f"/api/leads/{lead.pk}", HTTP_ACCEPT_LANGUAGE="en").json()["activities"]
    assert "Отложен до 08.01.2027" in [row["subject"] for row in russian]
    assert "Deferred until 01/08/2027" in [row["subject"] for row in english]
