"""Migration 0026 keys the system texts written before: each reader then sees them in their own language."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from leadflow.leads.models import Activity, Notification, Task

BEFORE, AFTER = ("leads", "0025_verbose_names"), ("leads", "0026_system_text_keys")


@pytest.mark.django_db(transaction=True)
def test_titles_and_notifications_written_before_read_in_the_readers_language(alice, make_lead, migrate_to) -> None:
    lead_id = make_lead(owner=alice).pk
    old = migrate_to(BEFORE)
    task_model, note_model = old.get_model("leads", "Task"), old.get_model("leads", "Notification")
    activity_model = old.get_model("leads", "Activity")
    now = timezone.now()
    russian = task_model.objects.create(lead_id=lead_id, title="Позвонить лиду: Петров Иван", due_at=now)
    english = task_model.objects.create(lead_id=lead_id, title="Nobody claimed ООО Вектор: assign a responsible "
                                        "person", due_at=now)
    typed = task_model.objects.create(lead_id=lead_id, title="Позвонить после обеда", due_at=now)
    due = note_model.objects.create(user_id=alice.pk, kind="task.due", lead_id=lead_id,
                                    text="Task due: Позвонить лиду: Петров Иван", text_key="Task due: %(title)s",
                                    text_params={"title": "Позвонить лиду: Петров Иван"})
    request = note_model.objects.create(
        user_id=alice.pk, kind="request.attached", lead_id=lead_id, text="Новое обращение от Петров Иван (Веб-форма)",
        text_key="New request from %(name)s (%(channel)s)", text_params={"name": "Петров Иван", "channel": "Веб-форма"})
    assigned = task_model.objects.create(lead_id=lead_id, kind="assign", title="Назначить ответственного: Петров",
                                         due_at=now, completed_at=now, result="Назначен ответственный: Алиса Смирнова")
    refusal = activity_model.objects.create(lead_id=lead_id, kind="system", subject="Отказ: Too expensive",
                                            text_key="Refused: %(reason)s", text_params={"reason": "Too expensive"})

    deferral = activity_model.objects.create(lead_id=lead_id, kind="system", subject="Отложен до 2027-01-08",
                                             text_key="Deferred until %(date)s", text_params={"date": "2027-01-08"})

    migrate_to(AFTER)

    with translation.override("en"):
        assert Task.objects.get(pk=russian.pk).shown_title == "Call the lead: Петров Иван"
        assert Task.objects.get(pk=typed.pk).shown_title == "Позвонить после обеда"
        assert Notification.objects.get(pk=due.pk).shown_text == "Task due: Call the lead: Петров Иван"
        assert Notification.objects.get(pk=request.pk).shown_text == "New request from Петров Иван (Web form)"
        assert Activity.objects.get(pk=refusal.pk).shown_subject == "Refused: Too expensive"
        assert Task.objects.get(pk=assigned.pk).shown_title == "Assign a responsible person: Петров"
        assert Task.objects.get(pk=assigned.pk).shown_result == "Assigned to Алиса Смирнова"
        assert Activity.objects.get(pk=deferral.pk).shown_subject == "Deferred until 01/08/2027"
    with translation.override("ru"):
        assert Activity.objects.get(pk=deferral.pk).shown_subject == "Отложен до 08.01.2027"
        assert Task.objects.get(pk=english.pk).shown_title == ("Лид ООО Вектор никто не взял в работу: назначьте "
                                                              "ответственного")
        assert Activity.objects.get(pk=refusal.pk).shown_subject == "Отказ: Слишком дорого"
    assert Task.objects.get(pk=typed.pk).text_key == ""
