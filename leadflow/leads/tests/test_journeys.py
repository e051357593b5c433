"""Faults found by walking the sales team's journeys in a browser, each pinned by the test that showed it."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client as WebClient
from django.utils import timezone, translation

from leadflow.leads import services
from leadflow.leads.models import Lead, LeadState, LostReason, Notification, Task

pytestmark = pytest.mark.django_db


def _owner_choices(html: str) -> set[str]:
    """The people offered by the owner <select> of the page's assign form (the card's, or the team page's bulk one)."""
    start = html.index('name="owner"', html.index("assign/"))
    select = html[start:html.index("</select>", start)]
    return set(re.findall(r'<option value="(\d+)"', select))


def _web(user) -> WebClient:  # type: ignore[no-untyped-def]
    web = WebClient()
    web.force_login(user)
    return web


@pytest.fixture
def head_of_both(head, other_team):  # type: ignore[no-untyped-def]
    """The demo's head of sales: heads the Moscow team (their own) and Wholesale."""
    other_team.head = head
    other_team.save()
    return head


def test_a_head_of_two_teams_assigns_a_lead_of_the_second_team_to_its_manager(head_of_both, carol, alice,
                                                                              other_team, make_lead):
    lead = make_lead(team=other_team)
    web = _web(head_of_both)
    card = web.get(f"/leads/{lead.pk}/").content.decode()
    assert str(carol.pk) in _owner_choices(card)
    assert str(alice.pk) not in _owner_choices(card)  # the assignment would refuse her: not the lead's team
    assert str(head_of_both.pk) in _owner_choices(card)
    web.post(f"/leads/{lead.pk}/assign/", {"owner": carol.pk})
    assert Lead.objects.get(pk=lead.pk).owner == carol


def test_the_team_page_shows_the_load_and_filters_of_every_team_the_head_heads(head_of_both, carol, alice,
                                                                               other_team, make_lead):
    make_lead(team=other_team, owner=carol)
    web = _web(head_of_both)
    team = web.get("/team/").content.decode()
    assert "Carol" in team and "Alice" in team
    leads = web.get("/leads/", {"owner": carol.pk}).content.decode()
    assert "Select a valid choice" not in leads
    assert leads.count('href="/leads/') >= 1


def _row_of(html: str, text: str) -> str:
    """The table row of the page that holds `text` (the first one)."""
    at = html.index(text)
    return html[html.rindex("<tr", 0, at):html.index("</tr>", at)]


def test_a_head_of_two_teams_sees_each_rows_team_on_the_team_page(head_of_both, carol, alice, other_team, make_lead):
    """The page mixed both teams' people and waiting leads without saying whose: the head ticked a Wholesale lead,
    gave it to a Moscow manager and was refused. Every table now names the team, and so does the owner list."""
    make_lead(team=other_team, first_name="Оптовик", last_name="Первый")
    make_lead(first_name="Москвич", last_name="Второй")
    page = _web(head_of_both).get("/team/").content.decode()
    assert "Wholesale" in _row_of(page, "Оптовик") and "Sales" not in _row_of(page, "Оптовик")
    assert "Sales" in _row_of(page, "Москвич")
    assert "Wholesale" in _row_of(page, ">Carol") and "Sales" in _row_of(page, ">Alice")
    select = page[page.index('name="owner"'):]
    assert "Carol (Wholesale)</option>" in select and "Alice (Sales)</option>" in select
    assert "Routing: Sales</a> · <a" in page


def test_a_head_of_one_team_gets_no_team_column(head, alice, make_lead):
    make_lead(first_name="Москвич", last_name="Второй")
    page = _web(head).get("/team/").content.decode()
    assert "<th>Team</th>" not in page and "Alice (Sales)" not in page and ">Alice</option>" in page


def test_a_head_still_cannot_pick_people_of_a_team_they_do_not_head(head, carol, alice, make_lead):
    lead = make_lead()
    card = _web(head).get(f"/leads/{lead.pk}/").content.decode()
    assert str(alice.pk) in _owner_choices(card)
    assert str(carol.pk) not in _owner_choices(card)


def test_a_refused_lead_reopened_from_the_card_has_a_task_again(alice, make_lead):
    """Refusing closes every task; reopening left the lead open in nobody's task list (My tasks showed nothing)."""
    lead = make_lead(owner=alice)
    reason = LostReason.objects.filter(is_active=True).first()
    services.refuse_lead(lead=lead, reason=reason, by=alice)
    assert not Task.objects.open().filter(lead=lead).exists()
    web = _web(alice)
    web.post(f"/leads/{lead.pk}/reopen/")
    assert Lead.objects.get(pk=lead.pk).state == LeadState.OPEN
    task = Task.objects.open().get(lead=lead)
    assert task.assignee == alice and task.due_at > timezone.now()
    assert lead.full_name in web.get("/tasks/").content.decode()


def test_a_deferred_lead_reopened_keeps_its_one_call_again_task(alice, make_lead):
    lead = make_lead(owner=alice)
    services.defer_lead(lead=lead, until=timezone.localdate() + timedelta(days=10), by=alice)
    services.reopen_lead(lead=lead, by=alice)
    assert Task.objects.open().filter(lead=lead).count() == 1


def test_a_task_due_reminder_names_the_task_in_the_managers_language(alice, make_lead):
    """The worker (English) wrote "Подошёл срок задачи: Call the lead: ..." for a Russian-speaking manager."""
    alice.language = "ru"
    alice.save()
    lead = make_lead(owner=alice)
    Task.objects.filter(lead=lead).update(due_at=timezone.now() + timedelta(minutes=10))
    with translation.override("en"):
        assert services.remind_due_tasks() == 1
    note = Notification.objects.get(user=alice, kind="task.due")
    with translation.override("ru"):
        shown = note.shown_text
    assert "Позвонить лиду" in shown and "Call the lead" not in shown
    with translation.override("ru"):
        page = _web(alice).get("/notifications/").content.decode()
    assert "Call the lead" not in page


def test_a_new_request_notification_names_the_channel_not_its_code(alice, make_lead):
    """"Новое обращение от ООО Вектор (form)": the channel's code was shown instead of its name."""
    alice.language = "ru"
    alice.save()
    lead = make_lead(owner=alice)
    person = services.PersonFacts(first_name=lead.first_name, last_name=lead.last_name, phone=lead.phone)
    with translation.override("en"):
        services.attach_request(lead=lead, person=person, touch=services.Touch(channel="form"))
    note = Notification.objects.get(user=alice, kind="request.attached")
    with translation.override("ru"):
        assert "(Веб-форма)" in note.shown_text
    assert "(form)" not in note.text


def test_the_cards_history_names_fields_and_values_in_the_readers_language(alice, make_lead):
    """The history read "state: open → deferred" on a Russian card: the field's code and the stored values."""
    lead = make_lead(owner=alice)
    services.defer_lead(lead=lead, until=timezone.localdate() + timedelta(days=10), by=alice)
    services.update_lead(lead=lead, by=alice, changes={"city": "Химки"})
    alice.language = "ru"
    alice.save()
    web = _web(alice)
    history = web.get(f"/leads/{lead.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    history = history[history.index("История"):]
    assert "Статус: Открыт → Отложен" in history
    assert "state:" not in history and "open → deferred" not in history
    assert "Город / регион: — → Химки" in history


def test_a_conversion_refused_for_a_wrong_inn_keeps_what_was_typed(alice, make_lead):
    """One wrong check digit cost the manager the company, KPP, OGRN and address typed into the form."""
    lead = make_lead(owner=alice)
    web = _web(alice)
    typed = {"company_name": "Павлова и партнёры", "legal_form": "ООО", "inn": "7707083894", "kpp": "773601001",
             "ogrn": "1027700132195", "legal_address": "Москва, ул. Льва Толстого, 16"}
    web.post(f"/leads/{lead.pk}/convert/", typed)
    assert Lead.objects.get(pk=lead.pk).state == LeadState.OPEN
    card = web.get(f"/leads/{lead.pk}/").content.decode()
    assert re.search(r'<details class="action" id="action-convert" open><summary>[^<]*</summary>\s*<form[^>]*/convert/',
                     card)
    start = card.index(f'action="/leads/{lead.pk}/convert/"')
    form = card[start:card.index("</form>", start)]
    for value in ("Павлова и партнёры", "7707083894", "773601001", "1027700132195", "Москва, ул. Льва Толстого, 16"):
        assert value in form
    # Shown once: the next visit is the plain card.
    again = web.get(f"/leads/{lead.pk}/").content.decode()
    assert "7707083894" not in again


def test_a_task_completion_refused_keeps_the_result_typed(alice, make_lead):
    lead = make_lead(owner=alice)
    task = Task.objects.open().get(lead=lead)
    web = _web(alice)
    web.post(f"/tasks/{task.pk}/complete/", {"result": "Talked for 20 minutes: wants a quote for 3 machines",
                                             "next_title": "Send the quote", "next_due_at": "",
                                             "next": f"/leads/{lead.pk}/"})
    assert Task.objects.get(pk=task.pk).completed_at is None
    card = web.get(f"/leads/{lead.pk}/").content.decode()
    assert "Talked for 20 minutes: wants a quote for 3 machines</textarea>" in card
    assert 'value="Send the quote"' in card


def test_the_lead_export_names_the_stage_in_the_readers_language(alice, make_lead):
    """A Russian export said "Новый" nowhere: its Stage column held the stage's stored English name, "New"."""
    lead = make_lead(owner=alice)
    alice.language = "ru"
    alice.save()
    response = _web(alice).get("/leads/export.csv", HTTP_ACCEPT_LANGUAGE="ru")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    row = dict(zip(rows[0], next(r for r in rows[1:] if r[0] == str(lead.pk)), strict=True))
    assert row["Этап"] == "Новый"
    assert row["Статус"] == "Открыт"


def test_a_segments_stage_choices_are_worded_in_the_readers_language(db):
    """The segment editor in Russian offered "Proposal sent" (the stage's stored name) among Russian words."""
    from leadflow.accounts.models import Role, User

    mary = User.objects.create_user(username="mary", password="pw", role=Role.MARKETER, language="ru")
    page = _web(mary).get("/marketing/segments/new/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Отправлено КП" in page
    assert ">Proposal sent<" not in page


def test_every_notification_can_be_reached_not_only_the_newest_hundred(head):
    """The head of the demo had 347 unread notifications; the page showed 100 and no way to the rest."""
    for n in range(130):
        Notification.objects.create(user=head, kind="test", text=f"Notice number {n:03d}.")
    web = _web(head)
    first = web.get("/notifications/").content.decode()
    assert "Notice number 129." in first and "Notice number 029." not in first
    older = re.search(r'href="\?before=(\d+)"', first)
    assert older, "no link to the older notifications"
    second = web.get(f"/notifications/?before={older.group(1)}").content.decode()
    seen = {n for n in range(130) if f"Notice number {n:03d}." in first + second}
    assert seen == set(range(130))
    assert "Notice number 030." not in second and "Notice number 129." not in second
    assert 'href="?before=' not in second


def test_a_position_saved_without_a_company_is_shown_on_the_card(alice, make_lead):
    """The card showed the position only after a company: typed alone, it was saved and never seen again."""
    lead = make_lead(owner=alice, company_name="")
    web = _web(alice)
    web.post(f"/leads/{lead.pk}/edit/", {"last_name": lead.last_name, "first_name": lead.first_name,
                                         "phone": lead.phone, "email": lead.email, "position": "Директор по закупкам",
                                         "temperature": "cold"})
    assert Lead.objects.get(pk=lead.pk).position == "Директор по закупкам"
    card = web.get(f"/leads/{lead.pk}/").content.decode()
    contacts = card[card.index('data-testid="tel"'):card.index("</dl>")]
    assert "Директор по закупкам" in contacts


def test_a_card_that_is_not_open_to_the_reader_is_a_page_with_the_menu(alice, bob, make_lead):
    """A notification about a lead since given to a colleague led to a bare "Not Found" page, in English, with no
    way back but the browser's."""
    lead = make_lead(owner=bob)
    response = _web(alice).get(f"/leads/{lead.pk}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'href="/tasks/"' in page and 'href="/"' in page
    assert lead.full_name not in page


def test_the_menu_offers_the_administration_only_to_whom_it_has_something(admin_user, db):
    """The demo's people are staff, most without permissions: the menu's Administration led a manager to "You
    don't have permission to view or edit anything". A marketer's role now gives campaign and form rights there."""
    from leadflow.accounts.models import Role, User

    manager = User.objects.create_user(username="max", password="pw", role=Role.MANAGER, is_staff=True)
    assert 'href="/admin/"' not in _web(manager).get("/tasks/").content.decode()
    mary = User.objects.create_user(username="mary", password="pw", role=Role.MARKETER, is_staff=True)
    assert 'href="/admin/"' in _web(mary).get("/marketing/").content.decode()
    assert "/admin/marketing/campaign/" in _web(mary).get("/admin/").content.decode()
    assert 'href="/admin/"' in _web(admin_user).get("/team/").content.decode()


def test_a_task_completion_refused_on_my_tasks_keeps_the_result_typed(alice, make_lead):
    lead = make_lead(owner=alice)
    task = Task.objects.open().get(lead=lead)
    web = _web(alice)
    response = web.post(f"/tasks/{task.pk}/complete/", {"result": "Left a voice message", "next_title": "",
                                                        "next_due_at": "2026-12-01T10:00"})
    assert response["Location"] == "/tasks/"
    page = web.get("/tasks/").content.decode()
    assert '<details class="action" open>' in page
    assert "Left a voice message</textarea>" in page and 'value="2026-12-01T10:00"' in page
    assert "Left a voice message" not in web.get("/tasks/").content.decode()  # once


def test_bulk_assignment_says_why_a_lead_was_not_given(head_of_both, carol, other_team, make_lead):
    """A Moscow lead given to a Wholesale manager in one bulk assignment: the message said only "Some fields are
    invalid." (untranslated), not what was wrong."""
    moscow, wholesale = make_lead(), make_lead(team=other_team)
    web = _web(head_of_both)
    response = web.post("/team/assign/", {"lead": [moscow.pk, wholesale.pk], "owner": carol.pk}, follow=True)
    page = response.content.decode()
    assert Lead.objects.get(pk=wholesale.pk).owner == carol and Lead.objects.get(pk=moscow.pk).owner is None
    assert "not in the lead" in page and "Some fields are invalid" not in page


def test_another_name_on_the_same_mobile_is_shown_on_the_card_before_the_call(alice, bob, make_lead, api_as):
    """Ольга's mobile given again under another name scored 0.5 ("phone equal, different first names"), under the
    possible-duplicate threshold, and the card said "None found.": Alice claimed Dmitry from the pool and called the
    number Bob was already working."""
    olga = make_lead(owner=bob, first_name="Ольга", last_name="Смирнова", phone="+79261112233", email="")
    dmitry = make_lead(first_name="Dmitry", last_name="", phone="+79261112233", email="")
    stranger = make_lead(first_name="Dmitry", last_name="", phone="+79261110000", email="")

    page = _web(alice).get(f"/leads/{dmitry.pk}/").content.decode()
    panel = page[page.index("Possible duplicates"):]
    assert "A lead of Bob" in panel and "None found." not in panel
    assert "Another person on the same phone or e-mail" in panel
    # A namesake on another number is no one to warn about.
    assert "None found." in _web(alice).get(f"/leads/{stranger.pk}/").content.decode()

    found = api_as(alice).get(f"/api/leads/{dmitry.pk}/duplicates").json()
    assert [(d["card_id"], d["possible_duplicate"], d["owner_name"]) for d in found] == [(olga.pk, False, "Bob")]
    assert "different first names" in found[0]["reasons"]


def test_a_possible_duplicate_is_not_called_another_person(alice, bob, make_lead, api_as):
    mine = make_lead(owner=alice, first_name="Ольга", last_name="Смирнова", phone="+79261112233",
                     email="olga@smirnova.ru")
    twin = make_lead(owner=bob, first_name="Оля", last_name="Смирнова", phone="+79261112244", email="olga@smirnova.ru")
    page = _web(bob).get(f"/leads/{twin.pk}/").content.decode()
    panel = page[page.index("Possible duplicates"):]
    assert "A lead of Alice" in panel and "Another person on the same phone" not in panel
    found = api_as(bob).get(f"/api/leads/{twin.pk}/duplicates").json()
    assert [(d["card_id"], d["possible_duplicate"]) for d in found] == [(mine.pk, True)]


def test_a_lead_who_is_already_a_colleagues_client_says_so_on_the_card(alice, bob, head, make_lead):
    """Possible duplicates listed only leads: a lead sharing a client's phone showed "None found.", and its
    manager called someone who was already Alice's client."""
    bought = make_lead(owner=alice, first_name="Ольга", last_name="Ким", phone="+79161230001", email="olga@kim.ru")
    client = services.convert_lead(lead=bought, by=alice)
    again = make_lead(owner=bob, first_name="Ольга", last_name="Ким", phone="+79161230001", email="o.kim@work.ru")

    page = _web(bob).get(f"/leads/{again.pk}/").content.decode()
    duplicates = page[page.index("Possible duplicates"):]
    assert "A client of Alice" in duplicates and "None found." not in duplicates
    assert f"/clients/{client.pk}/" not in page  # Bob may not open Alice's client: he learns only whose it is

    seen_by_head = _web(head).get(f"/leads/{again.pk}/").content.decode()
    assert f'href="/clients/{client.pk}/"' in seen_by_head

    # In Russian, one phrase each (it was "Клиент менеджера" + "пока ничей" for a client with no owner).
    bob.language = "ru"
    bob.save()
    assert "Клиент менеджера Alice" in _web(bob).get(f"/leads/{again.pk}/").content.decode()
    client.owner = None
    client.save()
    page = _web(bob).get(f"/leads/{again.pk}/").content.decode()
    assert "Клиент без ответственного" in page and "пока ничей" not in page


def test_the_admin_sections_of_the_libraries_are_named_in_the_readers_language(admin_user):
    admin_user.language = "ru"
    admin_user.save()
    page = _web(admin_user).get("/admin/").content.decode()
    assert "Защита входа" in page and "Фоновые задания" in page and "Попытки входа" in page
    assert "Axes" not in page and "Tasks Database Backend" not in page and "Task Results" not in page


def test_imported_contacts_are_not_listed_as_sla_breaches_on_the_team_page(head, alice, sales):
    """An exhibition's imported contacts have no speed-to-lead clock (no warnings, not in the speed report), but the
    team page listed every one of them under "SLA breaches" once its first task was late."""
    from leadflow.leads.services import PersonFacts, Touch, create_lead

    made = {}
    for channel, name in (("form", "Ирина Лебедева"), ("import", "Пётр Выставкин")):
        made[channel] = create_lead(person=PersonFacts(full_name=name, phone=f"+7916555{len(made):04d}"),
                                    touch=Touch(channel=channel), team=sales)
    Task.objects.filter(lead__in=made.values()).update(due_at=timezone.now() - timedelta(hours=2))
    Lead.objects.filter(pk__in=[lead.pk for lead in made.values()]).update(
        sla_due_at=timezone.now() - timedelta(hours=2))  # the first task's due time, kept on the card
    page = _web(head).get("/team/").content.decode()
    breaches = page[page.index("SLA breaches"):]
    assert "Ирина Лебедева" in breaches and "Пётр Выставкин" not in breaches


def test_the_cards_history_is_one_story_in_time_order_without_repeats(alice, make_lead):
    """History listed stage changes, then owner changes, then field changes, so a claim at 03:34 came after changes
    at 03:38; and a refusal showed twice (as a stage line with its state, and as a field line "state")."""
    from leadflow.leads.views import card_history

    lead = make_lead(owner=alice)
    services.refuse_lead(lead=lead, by=alice, reason=LostReason.objects.first())
    story = card_history(lead)
    moments = [change.changed_at for _kind, change in story]
    assert moments == sorted(moments)
    assert {kind for kind, _change in story} >= {"stage", "owner"}
    assert not [c for kind, c in story if kind == "field" and c.field in ("stage", "state")]
    page = _web(alice).get(f"/leads/{lead.pk}/").content.decode()
    history = page[page.index("History"):page.index("</ul>", page.index("History"))]
    assert len([line for line in history.split("<li>") if "Refused" in line or "refused" in line]) == 1, history


def test_results_leadflow_wrote_itself_read_in_the_readers_language(alice, head, make_lead):
    """Tasks Leadflow closed were stored in the actor's language: a Russian head read "Lead refused" on the card of
    a lead an English-speaking manager refused, and the other way round."""
    from leadflow.leads.models import SYSTEM_RESULTS

    lead = make_lead(owner=alice)
    with translation.override("en"):
        services.refuse_lead(lead=lead, by=alice, reason=LostReason.objects.first())
    task = Task.objects.get(lead=lead, is_cancelled=True)
    assert task.result == "Lead refused"
    head.language = "ru"
    head.save()
    card = _web(head).get(f"/leads/{lead.pk}/").content.decode()
    assert "Отказ по лиду" in card and "Lead refused" not in card
    with translation.override("ru"):
        assert task.shown_result != "Lead refused"
        russian = task.shown_result
    Task.objects.filter(pk=task.pk).update(result=russian)  # as a Russian-speaking manager's refusal stores it
    task.refresh_from_db()
    with translation.override("en"):
        assert task.shown_result == "Lead refused"
    # Every room's closing result is known, so none stays in the writer's language.
    with translation.override("ru"):
        from django.utils.translation import gettext

        assert all(gettext(text) != text for text in SYSTEM_RESULTS)
