"""The admin speaks the reader's language for what Leadflow wrote and seeded: system tasks, their statuses,
timeline entries, default stages and reasons, the internal records (outbox, tokens, calls, mail log) and the
background jobs' statuses; a name the admin typed stays as typed."""

from datetime import timedelta

import pytest
from django.test import Client as WebClient
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leadflow.events.services import record_event
from leadflow.leads import services
from leadflow.leads.models import LostReason, Stage, Task

pytestmark = pytest.mark.django_db


def _admin_page(user, path: str, language: str) -> str:  # type: ignore[no-untyped-def]
    user.language = language
    user.save()
    web = WebClient()
    web.force_login(user)
    response = web.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_the_task_list_shows_system_titles_and_statuses_in_the_admins_language(admin_user, alice, make_lead):
    lead = make_lead(owner=alice, last_name="Петров", first_name="Иван")
    Task.objects.filter(lead=lead).update(due_at=timezone.now() - timedelta(hours=1))
    services.refuse_lead(lead=make_lead(owner=alice, last_name="Сидоров", first_name="Олег"),
                         reason=LostReason.objects.get(name="Too expensive"), note="", by=alice)

    russian = _admin_page(admin_user, "/admin/leads/task/", "ru")
    assert "Позвонить лиду: Петров Иван" in russian and "Call the lead" not in russian
    assert "Просрочена" in russian and "Отменена" in russian and "Отказ по лиду" in russian
    english = _admin_page(admin_user, "/admin/leads/task/", "en")
    assert "Call the lead: Петров Иван" in english and "Overdue" in english and "Cancelled" in english

    timeline = _admin_page(admin_user, "/admin/leads/activity/", "ru")
    assert "Отказ: Слишком дорого" in timeline and "Too expensive" not in timeline


def test_seeded_stages_and_reasons_read_in_russian_typed_ones_as_typed(admin_user):
    Stage.objects.create(code="demo", name="Demo done", position=35)
    page = _admin_page(admin_user, "/admin/leads/stage/", "ru")
    assert "Отправлено КП" in page and "Proposal sent" not in page and "Demo done" in page
    reasons = _admin_page(admin_user, "/admin/leads/lostreason/", "ru")
    assert "Выбрал конкурента" in reasons and "Chose a competitor" not in reasons


def test_internal_records_and_background_jobs_are_named_in_russian(admin_user):
    record_event("lead.created", lead_id=1)
    DBTaskResult.objects.create(task_path="leadflow.worker.tick", args_kwargs={"args": [], "kwargs": {}},
                                backend_name="default", run_after=timezone.now(), exception_class_path="",
                                traceback="")

    outbox = _admin_page(admin_user, "/admin/events/outboxevent/add/", "ru")
    assert "Доставлено" in outbox and "Delivered at" not in outbox and "Attempts" not in outbox
    jobs = _admin_page(admin_user, "/admin/django_tasks_database/dbtaskresult/", "ru")
    assert "Ожидает запуска" in jobs and ">Ready<" not in jobs and "Queue name" not in jobs
    assert "Task name" not in jobs
    mail = _admin_page(admin_user, "/admin/nurture/mailmessage/add/", "ru")
    assert "Html body" not in mail and "Not before" not in mail and "Не раньше" in mail
