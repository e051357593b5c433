"""Team reports of past periods stay as they were when a manager moves to another team (DOMAIN.md 19)."""

from __future__ import annotations

import pytest

from leadflow.accounts.models import Role, TeamMembership, User
from leadflow.analytics import reports
from leadflow.analytics.filters import parse_filter
from leadflow.analytics.tests.builders import at, make
from leadflow.core.errors import Forbidden
from leadflow.leads.models import Activity, Task

NOW = at("2026-03-15 12:00")
MOVED = at("2026-03-10 10:00")


def run(user: User, **params: str):
    return reports.build("managers", parse_filter(params, user, now=NOW), user)


def figures(report, name: str) -> tuple[int, int, int, int] | None:
    """(leads created, tasks done, tasks overdue now, activities) of one manager's row; None: not listed."""
    for row in report.table("leads").rows:
        if row["manager"] == name:
            return row["new"], row["tasks_done"], row["tasks_overdue"], row["activities"]
    return None


@pytest.fixture
def moved_mid_month(time_machine, head, alice, sales, other_team):
    """Alice worked in Sales in February and until 10 March, then moved to Wholesale: one task done and one call
    in each stretch, a Wholesale lead of her own since, and one of its tasks overdue now."""
    old = make(created=at("2026-02-01 10:00"), owner=alice, team=sales)
    Task.objects.create(lead=old, assignee=alice, title="t", due_at=at("2026-02-10 10:00"),
                        completed_at=at("2026-02-10 11:00"))
    Activity.objects.create(lead=old, kind="call", author=alice, occurred_at=at("2026-02-11 11:00"))
    Task.objects.create(lead=old, assignee=alice, title="t", due_at=at("2026-03-05 10:00"),
                        completed_at=at("2026-03-05 11:00"))
    Activity.objects.create(lead=old, kind="call", author=alice, occurred_at=at("2026-03-05 12:00"))

    time_machine.move_to(MOVED, tick=False)
    alice.team = other_team
    alice.save()
    time_machine.move_to(NOW, tick=False)

    new = make(created=at("2026-03-11 10:00"), owner=alice, team=other_team)
    Task.objects.create(lead=new, assignee=alice, title="t", due_at=at("2026-03-12 10:00"),
                        completed_at=at("2026-03-12 11:00"))
    Task.objects.create(lead=new, assignee=alice, title="t", due_at=at("2026-03-13 10:00"))  # overdue now
    Activity.objects.create(lead=new, kind="call", author=alice, occurred_at=at("2026-03-12 12:00"))
    wholesale_head = User.objects.create_user(username="wanda", first_name="Wanda", role=Role.HEAD, team=other_team)
    other_team.head = wholesale_head
    other_team.save()
    return wholesale_head


def test_changing_a_users_team_writes_its_history(moved_mid_month, alice, sales, other_team):
    assert list(TeamMembership.objects.filter(user=alice).order_by("pk").values_list("team", "since", "until")) == [
        (sales.pk, None, MOVED), (other_team.pk, MOVED, None)]


def test_a_bulk_change_of_team_writes_its_history_too(time_machine, alice, bob, sales, other_team):
    time_machine.move_to(MOVED, tick=False)
    assert User.objects.filter(pk__in=[alice.pk, bob.pk]).update(team=other_team) == 2
    User.objects.filter(pk=bob.pk).update(first_name="Robert")  # not a change of team: no history
    for person in (alice, bob):
        assert list(TeamMembership.objects.filter(user=person).order_by("pk").values_list(
            "team", "since", "until")) == [(sales.pk, None, MOVED), (other_team.pk, MOVED, None)]


def test_last_month_stays_with_the_old_team(admin_user, moved_mid_month, sales, other_team):
    february = {"start": "2026-02-01", "end": "2026-02-28"}
    # February was all Sales: her task and call there, none of it Wholesale's.
    assert figures(run(admin_user, team=str(sales.pk), **february), "Alice") == (1, 1, 0, 1)
    assert figures(run(admin_user, team=str(other_team.pk), **february), "Alice") is None


def test_the_month_of_the_move_is_split_between_the_teams(admin_user, moved_mid_month, sales, other_team):
    march = {"start": "2026-03-01", "end": "2026-03-31"}
    # Sales: the task and the call of 5 March; her overdue task is Wholesale's now.
    assert figures(run(admin_user, team=str(sales.pk), **march), "Alice") == (0, 1, 0, 1)
    # Wholesale: what she did from 10 March, the lead it gave her, and the task overdue now.
    assert figures(run(admin_user, team=str(other_team.pk), **march), "Alice") == (1, 1, 1, 1)
    # The whole company: all of it, once.
    assert figures(run(admin_user, **march), "Alice") == (1, 2, 1, 2)


def test_each_head_reads_their_teams_part(head, moved_mid_month, alice):
    wholesale_head = moved_mid_month
    assert figures(run(head, start="2026-02-01", end="2026-02-28"), "Alice") == (1, 1, 0, 1)
    assert figures(run(head, start="2026-03-01", end="2026-03-31"), "Alice") == (0, 1, 0, 1)
    assert figures(run(wholesale_head, start="2026-03-01", end="2026-03-31"), "Alice") == (1, 1, 1, 1)
    assert figures(run(wholesale_head, start="2026-02-01", end="2026-02-28"), "Alice") is None
    # The old head may still slice by her for the months she was theirs; the new one not for before she came.
    assert figures(run(head, manager=str(alice.pk), start="2026-02-01", end="2026-02-28"), "Alice") == (1, 1, 0, 1)
    with pytest.raises(Forbidden):
        run(wholesale_head, manager=str(alice.pk), start="2026-02-01", end="2026-02-28")


def test_the_admin_moving_a_manager_writes_the_history_and_shows_it(client, admin_user, alice, sales, other_team):
    client.force_login(admin_user)
    page = client.get(f"/admin/accounts/user/{alice.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update({"team": other_team.pk, "absences-TOTAL_FORMS": 0, "absences-INITIAL_FORMS": 0,
                 "memberships-TOTAL_FORMS": 1, "memberships-INITIAL_FORMS": 1, "memberships-0-user": alice.pk,
                 "memberships-0-id": TeamMembership.objects.get(user=alice).pk,
                 "product_groups": "[]", "regions": "[]", "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00"})
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    response = client.post(f"/admin/accounts/user/{alice.pk}/change/", data)
    assert response.status_code == 302
    assert [(m.team_id, m.until is None) for m in TeamMembership.objects.filter(user=alice).order_by("pk")] == [
        (sales.pk, False), (other_team.pk, True)]
    assert "Wholesale" in client.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()


def test_the_migration_seeds_everyone_in_their_current_team_from_the_start(migrate_to):
    old = migrate_to(("accounts", "0002_verbose_names_internal"))
    team = old.get_model("accounts", "Team").objects.create(name="Sales")
    person = old.get_model("accounts", "User").objects.create(username="olga", team=team)
    old.get_model("accounts", "User").objects.create(username="nobody")
    new = migrate_to(("accounts", "0003_team_memberships"))
    rows = new.get_model("accounts", "TeamMembership").objects.values_list("user_id", "team_id", "since", "until")
    assert list(rows) == [(person.pk, team.pk, None, None)]
