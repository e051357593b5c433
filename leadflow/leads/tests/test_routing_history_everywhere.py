"""A team's routing history (its page's "Changes") tells every change of the team, its head, its people, their
weights and "takes new leads" and its switching on or off, wherever it was made: the team's page and the admin
(test_team_routing_page), the demo loader and its `leadflow demo` command, and a script saving through the services
(leads.routing_setup.save_team / save_person), not only the first two."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from leadflow.accounts.models import Role, Team, User
from leadflow.leads import routing_setup
from leadflow.leads.models import FieldChange, RoutingRule

pytestmark = pytest.mark.django_db


def changes(team: Team) -> list[tuple[str, str, str, int | None]]:
    return list(FieldChange.objects.filter(team=team).order_by("pk").values_list(
        "field", "old_value", "new_value", "changed_by"))


def history_rows(team: Team, reader: User) -> list[str]:
    """The rows of the team's history on its routing page, as text: who | what | was | now."""
    import re

    http = HttpClient()
    http.force_login(reader)
    page = http.get(f"/team/{team.pk}/routing/").content.decode()
    body = page.split('id="history"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [" | ".join(re.sub(r"<[^>]+>", "", cell).strip() for cell in row.split("</td>")[1:5])
            for row in body.split("<tr>")[1:]]


def test_the_demo_teams_history_tells_how_the_demo_set_them_up(capsys) -> None:
    # The demo made its teams, people, heads and rules with plain saves: a head opening "Changes" read "None." and
    # could not tell why Carol and Dave got the packing leads.
    call_command("demo")
    wholesale = Team.objects.get(name="Wholesale")
    moscow = Team.objects.get(name="Продажи Москва")
    head, carol, dave, alice = (User.objects.get(username=name) for name in ("head", "carol", "dave", "alice"))
    rules = list(RoutingRule.objects.filter(team=wholesale).order_by("position"))

    made = changes(wholesale)
    assert all(by is None for *_, by in made)  # nobody who logs in
    assert made[:4] == [("routing_scheme", "", "rules", None), ("sla_minutes", "", "30", None),
                        ("pool_claim_minutes", "", "60", None), ("is_active", "", "True", None)]
    for person in (carol, dave):
        assert (f"manager.{person.pk}.team", "", str(wholesale.pk), None) in made
        assert (f"manager.{person.pk}.routing_weight", "", "1", None) in made
    assert made.count(("head", "", str(head.pk), None)) == 1
    assert [field for field, old, _new, _by in made if field.startswith("rule.") and old == ""] == [
        f"rule.{rule.pk}" for rule in rules]
    assert (f"manager.{alice.pk}.team", "", str(moscow.pk), None) in changes(moscow)
    assert ("head", "", str(head.pk), None) in changes(moscow)

    shown = history_rows(wholesale, head)  # in Russian, the demo head's language
    assert "— | Руководитель отдела продаж | — | Елена Головина" in shown
    assert "— | Carol White: команда | — | Wholesale" in shown
    assert any(row.startswith("— | Правило распределения | — | «Упаковочные линии") and "Carol White, Dave Miller"
               in row for row in shown), shown

    call_command("demo")  # already there: nothing changed, nothing more in the history
    assert changes(wholesale) == made


def test_a_script_saving_a_team_through_the_service_is_in_its_history(head, alice, sales, other_team) -> None:
    dina = User.objects.create_user(username="dina", password="pw", first_name="Dina", role=Role.HEAD)
    sales.is_active, sales.head = False, dina
    routing_setup.save_team(team=sales, by=None, update_fields=["is_active", "head"])
    sales.name = "Sales North"  # not routing: no line
    routing_setup.save_team(team=sales, by=head, update_fields=["name"])
    sales.time_zone = "Asia/Yekaterinburg"  # its working hours move: routing reads them
    routing_setup.save_team(team=sales, by=head, update_fields=["time_zone"])

    assert changes(sales) == [("is_active", "True", "False", None), ("head", str(head.pk), str(dina.pk), None),
                              ("time_zone", "Europe/Moscow", "Asia/Yekaterinburg", head.pk)]
    assert Team.objects.get(pk=sales.pk).is_active is False


def test_a_script_moving_a_person_or_changing_their_weight_through_the_service_is_in_both_histories(
        head, alice, sales, other_team) -> None:
    alice.routing_weight, alice.is_routed = 3, False
    routing_setup.save_person(person=alice, by=head, update_fields=["routing_weight", "is_routed"])
    alice.team = other_team
    routing_setup.save_person(person=alice, by=None, update_fields=["team"])
    dan = routing_setup.save_person(person=User(username="dan", first_name="Dan", role=Role.MANAGER,
                                                team=other_team), by=None)

    assert changes(sales) == [(f"manager.{alice.pk}.routing_weight", "1", "3", head.pk),
                              (f"manager.{alice.pk}.is_routed", "True", "False", head.pk),
                              (f"manager.{alice.pk}.team", str(sales.pk), str(other_team.pk), None)]
    assert changes(other_team) == [
        (f"manager.{alice.pk}.team", str(sales.pk), str(other_team.pk), None),
        (f"manager.{alice.pk}.routing_weight", "", "3", None), (f"manager.{alice.pk}.is_routed", "", "False", None),
        (f"manager.{dan.pk}.team", "", str(other_team.pk), None),
        (f"manager.{dan.pk}.routing_weight", "", "1", None), (f"manager.{dan.pk}.is_routed", "", "True", None)]
    # The membership history (reports of past periods) follows as with any save.
    assert list(alice.memberships.order_by("pk").values_list("team_id", flat=True)) == [sales.pk, other_team.pk]
