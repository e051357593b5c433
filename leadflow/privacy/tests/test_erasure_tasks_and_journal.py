"""Erasure closes the person's open tasks, and finds their journal rows whatever way their phone was typed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.intake.models import Submission
from leadflow.leads import services as leads
from leadflow.leads.models import Task
from leadflow.privacy import services
from leadflow.privacy.rooms import ERASED_TASK_RESULT, submission_ids

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- open tasks are closed


@pytest.fixture
def tasks_of_two_people(make_lead, alice, head):
    erased = make_lead(owner=alice, first_name="Зинаида", last_name="Белоусова", phone="+79161112233",
                       email="zina@example.ru")
    kept = make_lead(owner=alice, first_name="Кирилл", last_name="Орлов", phone="+79035550000",
                     email="kirill@example.com")
    tomorrow = timezone.now() + timedelta(days=1)
    Task.objects.filter(lead__in=[erased, kept]).delete()  # only the tasks this test makes
    call = leads.create_task(lead=erased, assignee=alice, title="Позвонить Зинаиде", due_at=tomorrow, by=alice)
    proposal = leads.create_task(lead=erased, assignee=head, title="Send Zina a proposal", due_at=tomorrow, by=head)
    Task.objects.filter(pk=proposal.pk).update(due_at=tomorrow - timedelta(days=3))  # overdue, another person's
    done = leads.create_task(lead=erased, assignee=alice, title="First call", due_at=tomorrow, by=alice)
    leads.complete_task(task=done, result="Talked, she wants a proposal", by=alice)
    other = leads.create_task(lead=kept, assignee=alice, title="Позвонить Кириллу", due_at=tomorrow, by=alice)
    return {"erased": erased, "call": call, "proposal": proposal, "done": done, "other": other}


def test_erasure_completes_the_persons_open_tasks_with_the_reason(tasks_of_two_people, admin_user):
    person = services.find_person(lead=tasks_of_two_people["erased"])
    done_at = Task.objects.get(pk=tasks_of_two_people["done"].pk).completed_at

    log = services.erase_person(person=person, by=admin_user)

    for name in ("call", "proposal"):
        task = Task.objects.get(pk=tasks_of_two_people[name].pk)
        assert task.completed_at is not None
        assert task.result == ERASED_TASK_RESULT  # the managers read English (no language set)
        assert "Зинаид" not in task.title and "Zina" not in task.title
    done = Task.objects.get(pk=tasks_of_two_people["done"].pk)
    assert done.completed_at == done_at and done.result == ""  # finished before: its date stays, its text goes
    assert Task.objects.get(pk=tasks_of_two_people["other"].pk).completed_at is None
    assert log.counts["activities"] >= 2


def test_the_result_is_written_in_the_assignees_language(tasks_of_two_people, admin_user, head):
    from django.utils import translation

    head.language = "ru"
    head.save(update_fields=["language"])
    services.erase_person(person=services.find_person(lead=tasks_of_two_people["erased"]), by=admin_user)

    with translation.override("ru"):
        expected = translation.gettext(ERASED_TASK_RESULT)
    assert Task.objects.get(pk=tasks_of_two_people["proposal"].pk).result == expected
    assert Task.objects.get(pk=tasks_of_two_people["call"].pk).result == ERASED_TASK_RESULT


def test_task_lists_no_longer_offer_the_erased_person(tasks_of_two_people, admin_user, alice, head, api_as):
    call, proposal, other = (tasks_of_two_people[name] for name in ("call", "proposal", "other"))
    assert {t["id"] for t in api_as(alice).get("/api/tasks?scope=upcoming").json()} == {call.pk, other.pk}

    services.erase_person(person=services.find_person(lead=tasks_of_two_people["erased"]), by=admin_user)

    assert [t["id"] for t in api_as(alice).get("/api/tasks").json()] == [other.pk]
    assert api_as(head).get("/api/tasks?scope=overdue").json() == []
    team = {t["id"] for t in api_as(head).get("/api/tasks?scope=team").json()}
    assert call.pk not in team and proposal.pk not in team and other.pk in team
    page = HttpClient()
    page.force_login(alice)
    html = page.get("/tasks/").content.decode()
    assert f"/tasks/{other.pk}/complete/" in html and f"/tasks/{call.pk}/complete/" not in html


# ---------------------------------------------------------------- the journal, phones typed any way


SPELLINGS = ("8 (912) 345-67-89", "+7 912 345 67 89", "8-912-345-6789", "+7(912)3456789", "89123456789",
             "8\u00a0912\u00a0345\u00a067\u00a089", "тел. 8 912 345 67 89")


def _invalid(payload: dict) -> Submission:
    return Submission.objects.create(channel="form", status="invalid", payload=payload,
                                     errors={"fields": {"name": ["required"]}})


def test_unlinked_submissions_with_the_phone_typed_any_way_are_found_and_erased(make_lead, admin_user):
    lead = make_lead(first_name="Анна", last_name="Смирнова", phone="+79123456789", email="anna@example.ru")
    typed = [_invalid({"phone": spelling, "utm_source": "yandex"}) for spelling in SPELLINGS]
    in_text = _invalid({"message": "Перезвоните мне: 8 (912) 345-67-89, Анна"})
    nested = _invalid({"contacts": [{"type": "phone", "value": "+7 (912) 345 67 89"}]})
    # Other people: a number one digit off, her digits inside a longer number, another number
    others = [
        _invalid({"phone": "8 (912) 345-67-80"}),
        _invalid({"message": "order 1912345678900 shipped"}),
        _invalid({"phone": "8 (495) 123-45-67"}),
    ]
    person = services.find_person(lead=lead)

    found = submission_ids(person)

    assert {s.pk for s in [*typed, in_text, nested]} <= found
    assert not found & {s.pk for s in others}

    services.erase_person(person=person, by=admin_user)
    for row in [*typed, in_text, nested]:
        row.refresh_from_db()
        assert row.payload == {**({"utm_source": "yandex"} if row in typed else {}), "erased": True}
    for row in others:
        before = row.payload
        row.refresh_from_db()
        assert row.payload == before


def test_a_phone_with_an_extension_matches_only_its_own_extension(sales, admin_user):
    own = _invalid({"phone": "8 (495) 123-45-67 доб. 12"})
    colleague = _invalid({"phone": "+7 495 123 45 67 ext. 34"})
    main_line = _invalid({"phone": "+7 (495) 123-45-67"})  # no extension typed: may be the person
    person = services.find_person(phone="+7 495 123-45-67 доб. 12")

    found = submission_ids(person)

    assert own.pk in found and main_line.pk in found and colleague.pk not in found


def test_a_phone_found_by_search_alone_erases_the_journal_row(admin_user):
    row = _invalid({"name": "Пётр", "phone": "8 (999) 111-22-33"})
    stranger = _invalid({"name": "Олег", "phone": "8 (999) 111-22-34"})
    person = services.find_person(phone="+79991112233")
    assert not person.lead_ids  # no card: only the journal knows the person

    services.erase_person(person=person, by=admin_user)

    row.refresh_from_db()
    stranger.refresh_from_db()
    assert row.payload == {"erased": True}
    assert stranger.payload == {"name": "Олег", "phone": "8 (999) 111-22-34"}
