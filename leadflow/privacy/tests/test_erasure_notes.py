"""Notes on other people's cards that quote the erased person: a manager's note, a call note, a task's title and
result on a colleague's card ("перезвонить Иванову Петру на 8 912 345-67-89"). The note and the card stay; the
person's phone, e-mail and name become "[erased]", and the erasure log lists which rows changed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow.leads import services as leads
from leadflow.leads.models import Activity, Task
from leadflow.privacy import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def petr(make_lead, alice):
    return make_lead(first_name="Пётр", last_name="Иванов", middle_name="Сергеевич", phone="+79123456789",
                     email="petr.ivanov@mail.ru", owner=alice)


@pytest.fixture
def kirill(make_lead, bob):
    return make_lead(first_name="Кирилл", last_name="Орлов", phone="+79035550000", email="kirill@firm.example",
                     owner=bob)


def test_notes_and_tasks_on_a_colleagues_card_lose_the_persons_phone_email_and_name(petr, kirill, bob, admin_user,
                                                                                      admin_client):
    note = leads.log_activity(lead=kirill, kind="note", by=bob, body="перезвонить Иванову Петру на 8 912 345-67-89")
    call = leads.log_activity(lead=kirill, kind="call", by=bob, subject="Звонок Орлову",
                              body="Орлов просил связаться с коллегой: Petr.Ivanov@Mail.ru, +7 (912) 345 67 89")
    untouched = [
        leads.log_activity(lead=kirill, kind="note", by=bob, body="Выставить счёт Орлову, 10 шт."),
        leads.log_activity(lead=kirill, kind="note", by=bob, body="Номер бухгалтерии 8 912 345-67-80"),  # one off
        leads.log_activity(lead=kirill, kind="note", by=bob, body="Пётр из снабжения просил образцы"),  # name alone
    ]
    task = leads.create_task(lead=kirill, assignee=bob, by=bob, title="Позвонить Иванову П. Сергеевичу",
                             due_at=timezone.now() + timedelta(days=1))
    leads.complete_task(task=task, by=bob, result="Иванов Пётр не отвечает, оставил сообщение на 8-912-345-67-89")
    texts_before = {a.pk: (a.subject, a.body) for a in untouched}

    log = services.erase_person(person=services.find_person(lead=petr), by=admin_user)

    note.refresh_from_db()
    call.refresh_from_db()
    task.refresh_from_db()
    assert note.body == "перезвонить [erased] на [erased]" and note.lead_id == kirill.pk
    assert call.body == "Орлов просил связаться с коллегой: [erased], [erased]" and call.subject == "Звонок Орлову"
    assert task.title == "Позвонить [erased] П. Сергеевичу"
    assert task.result == "[erased] не отвечает, оставил сообщение на [erased]"
    for activity in Activity.objects.filter(pk__in=texts_before):
        assert (activity.subject, activity.body) == texts_before[activity.pk]
    kirill.refresh_from_db()
    assert kirill.erased_at is None and kirill.full_name == "Орлов Кирилл"

    card = f"lead:{kirill.pk}"
    assert {(row["row"], row["card"], tuple(row["fields"])) for row in log.redacted} == {
        (f"activity:{note.pk}", card, ("body",)), (f"activity:{call.pk}", card, ("body",)),
        (f"task:{task.pk}", card, ("result", "title"))}
    assert "912" not in json.dumps(log.redacted) and "Иванов" not in json.dumps(log.redacted, ensure_ascii=False)
    page = admin_client.get(f"/admin/privacy/erasurelog/{log.pk}/change/").content.decode()
    assert f"Activity #{note.pk}" in page and f"Task #{task.pk}" in page and "Иванов" not in page
    assert f"activity:{note.pk}" not in page


def test_a_surname_alone_stays_on_a_namesakes_card_and_goes_with_the_given_name(petr, make_lead, bob, admin_user):
    """Мария Иванова is another person: "Иванова просила перезвонить" on her card is about her; her brother named
    in full with his number is not."""
    maria = make_lead(first_name="Мария", last_name="Иванова", phone="+79047770000", email="maria@ivanova.example",
                      owner=bob)
    hers = leads.log_activity(lead=maria, kind="note", by=bob, body="Иванова просила перезвонить после обеда")
    brother = leads.log_activity(lead=maria, kind="note", by=bob,
                                 body="её брат Иванов Пётр звонил с 8 912 345 67 89, просил не беспокоить")

    log = services.erase_person(person=services.find_person(lead=petr), by=admin_user)

    hers.refresh_from_db()
    brother.refresh_from_db()
    assert hers.body == "Иванова просила перезвонить после обеда"
    assert brother.body == "её брат [erased] звонил с [erased], просил не беспокоить"
    assert [row["row"] for row in log.redacted] == [f"activity:{brother.pk}"]


def test_the_erase_page_and_the_api_list_the_rows_redacted(petr, kirill, bob, admin_user, admin_client, api_as):
    note = leads.log_activity(lead=kirill, kind="note", by=bob, body="Коллега: petr.ivanov@mail.ru")
    done = admin_client.post("/privacy/erase/", {"email": "petr.ivanov@mail.ru", "confirm": "erase"})
    page = done.content.decode()
    assert done.status_code == 200 and 'data-testid="redacted-row"' in page and f"Activity #{note.pk}" in page
    note.refresh_from_db()
    assert note.body == "Коллега: [erased]"

    other = leads.log_activity(lead=kirill, kind="note", by=bob, body="Ещё: +7 912 345-67-89")  # typed again later
    response = api_as(admin_user).post("/api/privacy/erase", data={"phone": "+79123456789", "confirm": True},
                                       content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["redacted"] == [{"row": f"activity:{other.pk}", "card": f"lead:{kirill.pk}",
                                            "fields": ["body"]}]
    assert not Task.objects.filter(lead=kirill, title__contains="912").exists()


def test_a_clients_notes_a_deal_note_and_a_refusal_note_are_redacted_too(petr, kirill, make_lead, bob, admin_user):
    from leadflow.clients.models import Deal
    from leadflow.leads.models import Lead

    client = leads.convert_lead(lead=kirill, by=bob)
    meeting = leads.log_activity(client=client, kind="meeting", by=bob,
                                 body="На встрече был Иванов П. С. (petr.ivanov@mail.ru), обсудили поставку")
    deal = Deal.objects.create(client=client, amount=120000, closed_at=timezone.now(),
                               note="Скидка 5% по просьбе Петра Иванова")
    refused = make_lead(first_name="Олег", last_name="Смирнов", phone="+79057770000", email="oleg@smirnov.example",
                        owner=bob)
    Lead.objects.filter(pk=refused.pk).update(lost_note="Купил через Иванова, тел. 8(912)3456789")

    log = services.erase_person(person=services.find_person(lead=petr), by=admin_user)

    meeting.refresh_from_db()
    deal.refresh_from_db()
    refused.refresh_from_db()
    assert meeting.body == "На встрече был [erased] П. С. ([erased]), обсудили поставку"
    assert deal.note == "Скидка 5% по просьбе [erased]" and deal.amount == 120000
    assert refused.lost_note == "Купил через [erased], тел. [erased]" and refused.full_name == "Смирнов Олег"
    assert {(row["row"], row["card"]) for row in log.redacted} == {
        (f"activity:{meeting.pk}", f"client:{client.pk}"), (f"deal:{deal.pk}", f"client:{client.pk}"),
        (f"lead:{refused.pk}", f"lead:{refused.pk}")}


def test_a_surname_that_is_also_a_word_is_taken_out_only_as_a_name(make_lead, kirill, bob, admin_user):
    """Анна Белая is erased: "белый цвет, белая краска" on everyone else's cards is about paint, not her, and stays;
    her surname written as a name (with a capital letter, or next to her given name in any case) goes."""
    anna = make_lead(first_name="Анна", last_name="Белая", phone="+79161112233", email="anna@belaya.example",
                     owner=bob)
    paint = leads.log_activity(lead=kirill, kind="note", by=bob, body="Хочет белый цвет, белая краска 2 банки")
    her = leads.log_activity(lead=kirill, kind="note", by=bob, body="Звонила Белая, просила каталог")
    full = leads.log_activity(lead=kirill, kind="note", by=bob, body="звонила анна белая, просила образцы")

    services.erase_person(person=services.find_person(lead=anna), by=admin_user)

    for activity in (paint, her, full):
        activity.refresh_from_db()
    assert paint.body == "Хочет белый цвет, белая краска 2 банки"
    assert her.body == "Звонила [erased], просила каталог"
    assert full.body == "звонила [erased], просила образцы"


def test_a_longer_surname_beginning_with_the_persons_is_no_namesake(petr, make_lead, bob, admin_user):
    """Олег Ивановский is not Пётр Иванов's namesake: "Звонил Иванов" on his card quotes the erased person."""
    oleg = make_lead(first_name="Олег", last_name="Ивановский", phone="+79047770001", email="oleg@ivanovsky.example",
                     owner=bob)
    note = leads.log_activity(lead=oleg, kind="note", by=bob, body="Звонил Иванов, просил перезвонить Ивановскому")

    services.erase_person(person=services.find_person(lead=petr), by=admin_user)

    note.refresh_from_db()
    assert note.body == "Звонил [erased], просил перезвонить Ивановскому"


def test_the_rows_redacted_read_in_the_admins_language_not_by_their_codes(petr, kirill, bob, admin_client):
    # "activity:12 · lead:7 · body": the erasers' codes, where the rest of the page reads in the admin's language.
    note = leads.log_activity(lead=kirill, kind="note", by=bob, body="Коллега: petr.ivanov@mail.ru")
    task = leads.create_task(lead=kirill, assignee=bob, by=bob, title="Написать на petr.ivanov@mail.ru",
                             due_at=timezone.now() + timedelta(days=1))

    done = admin_client.post("/privacy/erase/", {"email": "petr.ivanov@mail.ru", "confirm": "erase"},
                             headers={"Accept-Language": "ru"})

    page = done.content.decode()
    rows = page.split('data-testid="redacted"')[1].split("</tbody>")[0]
    assert done.status_code == 200
    assert f"<td>Действие #{note.pk}</td><td>Лид #{kirill.pk}</td><td>текст</td>" in rows
    assert f"<td>Задача #{task.pk}</td><td>Лид #{kirill.pk}</td><td>название</td>" in rows
    assert "activity:" not in rows and "lead:" not in rows and "<td>body</td>" not in rows
