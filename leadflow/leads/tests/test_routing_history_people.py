"""Whatever decides whether a person gets leads (routing passes by the inactive, the absent and those outside their
working hours, and anyone no longer a manager) is in their team's routing history when it changes, with who and
when, and reads well on the team's routing page in English and Russian: the admin's change form and its absences,
the team's working week, and a bulk `update()` of people or teams from a script or the shell."""

from __future__ import annotations

import html
from datetime import time

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leadflow.accounts.models import Absence, Role, Team, User
from leadflow.leads.models import FieldChange
from leadflow.leads.tests.test_team_routing_page import admin_change
from leadflow.leads.tests.test_team_routing_page import history_rows as page_rows

pytestmark = pytest.mark.django_db


def history_rows(team: Team, reader: User, language: str = "en") -> list[str]:
    return [html.unescape(row) for row in page_rows(team, reader, language)]


def changes(team: Team) -> list[tuple[str, str, str, int | None]]:
    return list(FieldChange.objects.filter(team=team).order_by("pk").values_list(
        "field", "old_value", "new_value", "changed_by"))


def test_a_person_deactivated_and_reactivated_in_the_admin_is_in_the_teams_history(
        admin_client, admin_user, head, alice, sales) -> None:
    # Unticking "active" took Alice out of routing (and ticking it put her back) with no line in the history: her
    # head could not tell why she stopped getting leads, nor who had done it.
    before = timezone.now()
    off = admin_change(admin_client, f"/admin/accounts/user/{alice.pk}/change/", is_active=False)
    on = admin_change(admin_client, f"/admin/accounts/user/{alice.pk}/change/", is_active="on")

    assert (off.status_code, on.status_code) == (302, 302)
    assert changes(sales) == [(f"manager.{alice.pk}.is_active", "True", "False", admin_user.pk),
                              (f"manager.{alice.pk}.is_active", "False", "True", admin_user.pk)]
    assert all(before <= at <= timezone.now() for at in FieldChange.objects.values_list("changed_at", flat=True))
    assert history_rows(sales, head) == ["admin | Alice: active | no | yes", "admin | Alice: active | yes | no"]
    assert history_rows(sales, head, "ru")[1] == "admin | Alice: активен | да | нет"


def test_a_role_and_own_working_hours_changed_in_the_admin_are_in_the_teams_history(
        admin_client, admin_user, head, alice, sales) -> None:
    hours = admin_change(admin_client, f"/admin/accounts/user/{alice.pk}/change/", work_start="10:00",
                         work_end="16:30")
    role = admin_change(admin_client, f"/admin/accounts/user/{alice.pk}/change/", role=Role.HEAD)

    assert (hours.status_code, role.status_code) == (302, 302)
    assert changes(sales) == [(f"manager.{alice.pk}.work_start", "", "10:00:00", admin_user.pk),
                              (f"manager.{alice.pk}.work_end", "", "16:30:00", admin_user.pk),
                              (f"manager.{alice.pk}.role", "manager", "head", admin_user.pk)]
    assert history_rows(sales, head) == ["admin | Alice: role | Manager | Head of sales",
                                         "admin | Alice: own working day ends | the team's hours | 16:30",
                                         "admin | Alice: own working day starts | the team's hours | 10:00"]
    assert history_rows(sales, head, "ru")[1] == \
        "admin | Alice: конец личного рабочего дня | часы команды | 16:30"


def test_an_absence_added_changed_and_removed_in_the_admin_is_in_the_teams_history(
        admin_client, admin_user, head, alice, sales) -> None:
    # Vacation dates entered on the person's admin page took them out of routing for those days, unrecorded.
    url = f"/admin/accounts/user/{alice.pk}/change/"
    row = {"absences-0-user": alice.pk, "absences-0-id": ""}
    added = admin_change(admin_client, url, **{
        "absences-TOTAL_FORMS": 1, **row, "absences-0-starts_on": "2026-12-01", "absences-0-ends_on": "2026-12-14",
        "absences-0-reason": "Vacation"})
    absence = Absence.objects.get(user=alice)
    row["absences-0-id"] = absence.pk
    moved = admin_change(admin_client, url, **{
        "absences-TOTAL_FORMS": 1, "absences-INITIAL_FORMS": 1, **row, "absences-0-starts_on": "2026-12-03",
        "absences-0-ends_on": "2026-12-14", "absences-0-reason": "Vacation"})
    removed = admin_change(admin_client, url, **{
        "absences-TOTAL_FORMS": 1, "absences-INITIAL_FORMS": 1, **row, "absences-0-starts_on": "2026-12-03",
        "absences-0-ends_on": "2026-12-14", "absences-0-reason": "Vacation", "absences-0-DELETE": "on"})

    assert [r.status_code for r in (added, moved, removed)] == [302] * 3
    assert not Absence.objects.filter(user=alice).exists()
    first = '{"ends_on": "2026-12-14", "reason": "Vacation", "starts_on": "2026-12-01"}'
    second = first.replace("12-01", "12-03")
    assert changes(sales) == [(f"manager.{alice.pk}.absence", "", first, admin_user.pk),
                              (f"manager.{alice.pk}.absence", first, second, admin_user.pk),
                              (f"manager.{alice.pk}.absence", second, "", admin_user.pk)]
    assert history_rows(sales, head) == [
        "admin | Alice: absence | 12/03/2026 – 12/14/2026 (Vacation) | —",
        "admin | Alice: absence | 12/01/2026 – 12/14/2026 (Vacation) | 12/03/2026 – 12/14/2026 (Vacation)",
        "admin | Alice: absence | — | 12/01/2026 – 12/14/2026 (Vacation)"]
    assert history_rows(sales, head, "ru")[2] == "admin | Alice: отсутствие | — | 01.12.2026 – 14.12.2026 (Vacation)"


def test_the_teams_working_week_and_being_the_default_changed_in_the_admin_are_in_its_history(
        admin_client, admin_user, head, sales) -> None:
    # Routing passes a team's managers by outside the team's hours: a shorter day or a lost Saturday changed who
    # got leads when, unrecorded; and the default team gets every lead no form or rule sends elsewhere.
    saved = admin_change(admin_client, f"/admin/accounts/team/{sales.pk}/change/", work_start="09:00",
                         work_days="[0, 1, 2, 3, 4]", uses_company_calendar=False, is_default=False)

    assert saved.status_code == 302
    assert changes(sales) == [("is_default", "True", "False", admin_user.pk),
                              ("work_start", "00:00:00", "09:00:00", admin_user.pk),
                              ("work_days", "[0, 1, 2, 3, 4, 5, 6]", "[0, 1, 2, 3, 4]", admin_user.pk),
                              ("uses_company_calendar", "True", "False", admin_user.pk)]
    assert history_rows(sales, head, "ru")[-1] == "admin | Команда по умолчанию | да | нет"
    assert history_rows(sales, head)[:-1] == [
        "admin | Company holidays apply | yes | no",
        "admin | Working days | Mon, Tue, Wed, Thu, Fri, Sat, Sun | Mon, Tue, Wed, Thu, Fri",
        "admin | Working day starts | 00:00 | 09:00"]
    assert history_rows(sales, head, "ru")[1] == \
        "admin | Рабочие дни | Пн, Вт, Ср, Чт, Пт, Сб, Вс | Пн, Вт, Ср, Чт, Пт"


def test_a_bulk_update_of_people_is_in_their_teams_histories(head, alice, bob, sales, other_team) -> None:
    # `User.objects.filter(...).update(team=..., is_active=...)` from a script or the shell changed who got leads
    # and left no line anywhere.
    assert User.objects.filter(pk__in=[alice.pk, bob.pk]).update(is_active=False, routing_weight=2) == 2
    User.objects.filter(pk=alice.pk).update(team=other_team)
    User.objects.filter(pk=bob.pk).update(routed_count=F("routed_count") + 1)  # routing's own counter: no line

    assert changes(sales) == [(f"manager.{alice.pk}.is_active", "True", "False", None),
                              (f"manager.{alice.pk}.routing_weight", "1", "2", None),
                              (f"manager.{bob.pk}.is_active", "True", "False", None),
                              (f"manager.{bob.pk}.routing_weight", "1", "2", None),
                              (f"manager.{alice.pk}.team", str(sales.pk), str(other_team.pk), None)]
    assert changes(other_team) == [(f"manager.{alice.pk}.team", str(sales.pk), str(other_team.pk), None),
                                   (f"manager.{alice.pk}.is_active", "", "False", None),
                                   (f"manager.{alice.pk}.routing_weight", "", "2", None),
                                   (f"manager.{alice.pk}.is_routed", "", "True", None)]
    assert history_rows(sales, head)[-1] == "— | Alice: active | yes | no"
    assert list(alice.memberships.order_by("pk").values_list("team_id", flat=True)) == [sales.pk, other_team.pk]


def test_a_bulk_update_rolled_back_leaves_no_line(alice, sales) -> None:
    # Recorded in the update's own transaction: an update undone takes its lines with it.
    with pytest.raises(RuntimeError), transaction.atomic():
        User.objects.filter(pk=alice.pk).update(is_active=False)
        assert FieldChange.objects.filter(team=sales).count() == 1
        raise RuntimeError
    assert User.objects.get(pk=alice.pk).is_active and not FieldChange.objects.filter(team=sales).exists()


def test_a_bulk_update_of_teams_is_in_their_histories(head, sales, other_team) -> None:
    Team.objects.filter(pk__in=[sales.pk, other_team.pk]).update(is_active=False, work_end=time(17, 0))
    Team.objects.filter(pk=sales.pk).update(name="Sales North")  # not routing: no line

    for team in (sales, other_team):
        assert changes(team) == [("is_active", "True", "False", None), ("work_end", "23:59:59", "17:00:00", None)]
    assert history_rows(sales, head)[0] == "— | Working day ends | 23:59 | 17:00"


def test_a_person_with_own_hours_joining_a_team_brings_them(head, alice, sales, other_team) -> None:
    User.objects.filter(pk=alice.pk).update(work_start=time(12, 0))
    User.objects.filter(pk=alice.pk).update(team=other_team)

    assert [field for field, *_ in changes(other_team)] == [
        f"manager.{alice.pk}.{name}" for name in ("team", "routing_weight", "is_routed", "work_start")]
