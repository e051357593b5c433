"""Whatever decides who gets leads is in the team's routing history however it was written, not only through the
services and the admin: a plain `save()` of a person or a team (a script in `leadflow shell`), absences created,
saved, updated and deleted directly or in bulk, company holidays and a team's own dates in the working calendar,
and a head's account deleted (the team left headless by SET_NULL, which sends no save signal). Each change is one
line, by whoever is acting (the request's user, the service's `by`), by nobody ("—") in a script."""

from __future__ import annotations

import html
from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadflow.accounts.calendar import load_public_holidays
from leadflow.accounts.models import Absence, CalendarDay, Role, Team, User
from leadflow.leads import routing_setup
from leadflow.leads.models import FieldChange
from leadflow.leads.tests.test_team_routing_page import admin_change
from leadflow.leads.tests.test_team_routing_page import history_rows as page_rows

pytestmark = pytest.mark.django_db


def history_rows(team: Team, reader: User, language: str = "en") -> list[str]:
    """The team's routing page's history, newest first: who | what | was | now."""
    return [html.unescape(row) for row in page_rows(team, reader, language)]


def by_whom(team: Team) -> list[tuple[str, int | None]]:
    return list(FieldChange.objects.filter(team=team).order_by("pk").values_list("field", "changed_by"))


def test_a_person_and_a_team_saved_directly_are_in_the_history_once_by_nobody(head, alice, sales) -> None:
    # A script in `leadflow shell` switching Alice off or shortening the team's day left no line: the head could
    # not tell why she stopped getting leads.
    alice.is_active = False
    alice.save()
    alice.work_start = time(10, 0)
    alice.save(update_fields=["work_start"])
    sales.work_end = time(17, 0)
    sales.save()
    dan = User.objects.create_user(username="dan", first_name="Dan", role=Role.MANAGER, team=sales)

    assert history_rows(sales, head) == [
        "— | Dan: takes new leads | — | yes", "— | Dan: routing weight | — | 1", "— | Dan: team | — | Sales",
        "— | Working day ends | 23:59 | 17:00", "— | Alice: own working day starts | the team's hours | 10:00",
        "— | Alice: active | yes | no"]
    assert history_rows(sales, head, "ru")[-1] == "— | Alice: активен | да | нет"
    assert list(dan.memberships.values_list("team_id", flat=True)) == [sales.pk]


def test_a_save_of_nothing_routing_reads_writes_no_line_and_reads_nothing_more(head, alice, sales) -> None:
    # A login (last_login) or a renamed team must stay one UPDATE: no old values read, no line.
    with CaptureQueriesContext(connection) as queries:
        alice.save(update_fields=["last_login"])
        sales.name = "Sales North"
        sales.save(update_fields=["name"])
    assert len(queries) == 2
    alice.first_name = "Alicia"
    alice.save()  # a whole save of an unchanged routing: nothing to tell
    assert not FieldChange.objects.filter(team=sales).exists()


def test_a_change_through_the_service_or_the_admin_is_one_line_with_who(admin_client, admin_user, head, alice,
                                                                         sales) -> None:
    alice.routing_weight = 3
    routing_setup.save_person(person=alice, by=head, update_fields=["routing_weight"])
    sales.sla_minutes = 20
    routing_setup.save_team(team=sales, by=head, update_fields=["sla_minutes"])
    changed = admin_change(admin_client, f"/admin/accounts/user/{alice.pk}/change/", is_routed=False)

    assert changed.status_code == 302
    assert by_whom(sales) == [(f"manager.{alice.pk}.routing_weight", head.pk), ("sla_minutes", head.pk),
                              (f"manager.{alice.pk}.is_routed", admin_user.pk)]


def test_absences_written_directly_or_in_bulk_are_in_the_history_once_each(head, alice, bob, sales) -> None:
    # Vacation entered by a script (create, save, delete, or a bulk update or delete) took people out of routing
    # for those days with no line.
    vacation = Absence.objects.create(user=alice, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 14),
                                      reason="Vacation")
    vacation.ends_on = date(2026, 12, 10)
    vacation.save()
    Absence.objects.filter(user=alice).update(reason="Sick")
    Absence.objects.create(user=bob, starts_on=date(2026, 12, 5), ends_on=date(2026, 12, 5))
    Absence.objects.filter(user=bob).delete()
    vacation.delete()  # as saved, the bulk update's reason, not the one it was read with

    assert history_rows(sales, head) == [
        "— | Alice: absence | 12/01/2026 – 12/10/2026 (Sick) | —",
        "— | Bob: absence | 12/05/2026 – 12/05/2026 | —",
        "— | Bob: absence | — | 12/05/2026 – 12/05/2026",
        "— | Alice: absence | 12/01/2026 – 12/10/2026 (Vacation) | 12/01/2026 – 12/10/2026 (Sick)",
        "— | Alice: absence | 12/01/2026 – 12/14/2026 (Vacation) | 12/01/2026 – 12/10/2026 (Vacation)",
        "— | Alice: absence | — | 12/01/2026 – 12/14/2026 (Vacation)"]
    assert history_rows(sales, head, "ru")[0] == "— | Alice: отсутствие | 01.12.2026 – 10.12.2026 (Sick) | —"

    added = routing_setup.save_absence(absence=Absence(user=alice, starts_on=date(2027, 1, 3),
                                                       ends_on=date(2027, 1, 4)), by=head)
    routing_setup.delete_absence(absence=added, by=head)
    assert by_whom(sales)[-2:] == [(f"manager.{alice.pk}.absence", head.pk)] * 2


def test_company_holidays_are_in_the_history_of_every_team_they_apply_to(admin_client, admin_user, head, alice,
                                                                        sales, other_team) -> None:
    # A holiday added, moved or removed changes when every team applying the company's calendar works (routing
    # passes its managers by on a day off), and no team's history said so.
    abroad = Team.objects.create(name="Almaty", uses_company_calendar=False)
    own = Team.objects.create(name="Own 31st")
    CalendarDay.objects.create(team=own, day=date(2026, 12, 31), is_working=True)
    FieldChange.objects.all().delete()

    new_year = CalendarDay.objects.create(day=date(2027, 1, 1), name="New Year")
    eve = CalendarDay.objects.create(day=date(2026, 12, 31), is_working=True, shortened_by=60)
    new_year.day = date(2027, 1, 2)
    new_year.save()
    CalendarDay.objects.filter(pk=eve.pk).update(shortened_by=0)
    eve.delete()

    shown = history_rows(sales, head)
    assert shown == [
        "— | Working calendar | 12/31/2026: working day, company-wide | —",
        "— | Working calendar | 12/31/2026: working day, 60 min shorter, company-wide | 12/31/2026: working day, "
        "company-wide",
        "— | Working calendar | 01/01/2027: day off (New Year), company-wide | 01/02/2027: day off (New Year), "
        "company-wide",
        "— | Working calendar | — | 12/31/2026: working day, 60 min shorter, company-wide",
        "— | Working calendar | — | 01/01/2027: day off (New Year), company-wide"]
    assert history_rows(sales, head, "ru")[-1] == (
        "— | Производственный календарь | — | 01.01.2027: выходной (New Year), для всей компании")
    assert history_rows(other_team, admin_user) == shown
    assert not FieldChange.objects.filter(team=abroad).exists()  # company holidays do not apply there
    assert FieldChange.objects.filter(team=own).count() == 2  # its own 31st replaces the company's: New Year only

    # The admin's own form: by the administrator, one line per team.
    added = admin_client.post("/admin/accounts/calendarday/add/", {"day": "2027-03-08", "shortened_by": 0,
                                                                    "name": "Women's Day"})
    assert added.status_code == 302
    assert list(FieldChange.objects.filter(team=sales, new_value__contains="2027-03-08").values_list(
        "changed_by", flat=True)) == [admin_user.pk]


def test_a_teams_own_date_and_a_loaded_year_are_in_the_history(admin_user, sales, other_team) -> None:
    CalendarDay.objects.create(team=other_team, day=date(2027, 5, 4), name="Team day")
    assert not FieldChange.objects.filter(team=sales).exists()
    assert history_rows(other_team, admin_user) == [
        "— | Working calendar | — | 05/04/2027: day off (Team day), this team only"]
    assert history_rows(other_team, admin_user, "ru")[0].endswith(
        "04.05.2027: выходной (Team day), только для этой команды")

    loaded = load_public_holidays(country="RU", year=2027)
    assert FieldChange.objects.filter(team=sales, field="calendar").count() == loaded.created


def test_a_deleted_heads_team_says_it_lost_its_head(admin_client, admin_user, sales, other_team) -> None:
    # The head's account deleted emptied the team's head (SET_NULL: no save, no signal of the team): the team was
    # left without the person its waiting leads and escalations go to, and its history did not say so.
    dina = User.objects.create_user(username="dina", first_name="Dina", last_name="Orlova", role=Role.HEAD)
    sales.head = dina
    sales.save()
    reader = User.objects.create_user(username="boss", role=Role.ADMIN, is_superuser=True)
    dina.delete()

    assert Team.objects.get(pk=sales.pk).head is None
    assert history_rows(sales, reader)[0] == "— | Head of sales | Dina Orlova (account deleted) | —"
    assert history_rows(sales, reader, "ru")[0] == (
        "— | Руководитель отдела продаж | Dina Orlova (учётная запись удалена) | —")
    assert FieldChange.objects.filter(team=sales, field__startswith="head").count() == 2  # set, then lost

    olga = User.objects.create_user(username="olga", role=Role.HEAD)
    other_team.head = olga
    other_team.save()
    response = admin_client.post(f"/admin/accounts/user/{olga.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not User.objects.filter(pk=olga.pk).exists()
    assert by_whom(other_team)[-1] == ("head.deleted", admin_user.pk)


def test_a_team_deleted_with_its_own_dates_leaves_no_line_behind(sales) -> None:
    # A team never used may be deleted with its own calendar dates: no line written into the history being deleted
    # (it would name a team no longer there, and the database would refuse the deletion).
    mistake = Team.objects.create(name="Typo")
    CalendarDay.objects.create(team=mistake, day=date(2027, 2, 1))
    mistake.delete()

    assert not Team.objects.filter(name="Typo").exists()
    assert not FieldChange.objects.filter(field="calendar").exists()
