"""Screen pop: a number in, the card out, by the exact phone key; who may see what."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from leadflow.accounts.models import User
from leadflow.leads import services as leads
from leadflow.leads.models import Lead, LostReason
from leadflow.leads.querysets import headed_team_ids
from leadflow.telephony.api import lead_visible

pytestmark = pytest.mark.django_db


def lookup(client: HttpClient, number: str):
    return client.get("/api/calls/lookup", {"number": number})


@pytest.mark.parametrize("written", ["+79161234567", "8 (916) 123-45-67", "79161234567", "+7 916 123 45 67",
                                     "tel:+7-916-123-45-67"])
def test_number_in_any_notation_finds_the_lead(api_as, make_lead, alice, written):
    lead = make_lead(owner=alice, phone="+79161234567", company_name="Ромашка", legal_form="ООО")
    leads.create_task(lead=lead, assignee=alice, title="Send the price list", due_at=lead.created_at, by=alice)

    answer = lookup(api_as(alice), written)

    assert answer.status_code == 200
    assert answer.json() == {
        "number": "+79161234567", "found": True, "matches": 1,
        "card": {"type": "lead", "visible": True, "owner": {"id": alice.pk, "name": "Alice"}, "id": lead.pk,
                 "name": lead.full_name, "company": "ООО «Ромашка»", "stage": "New", "open_tasks": 2,
                 "url": f"/leads/{lead.pk}/"},
    }


def test_someone_elses_lead_shows_only_that_it_exists_and_whose_it_is(api_as, make_lead, alice, bob):
    make_lead(owner=alice, phone="+79161234567")

    answer = lookup(api_as(bob), "89161234567")

    assert answer.json()["card"] == {"type": "lead", "visible": False, "owner": {"id": alice.pk, "name": "Alice"},
                                     "id": None, "name": None, "company": None, "stage": None, "open_tasks": None,
                                     "url": None}


def test_the_head_sees_the_teams_lead_and_a_pool_lead_is_seen_by_its_team_only(api_as, make_lead, head, alice,
                                                                                carol):
    owned = make_lead(owner=alice, phone="+79161234567")
    pooled = make_lead(phone="+79161234568")

    assert lookup(api_as(head), "+79161234567").json()["card"]["id"] == owned.pk
    assert lookup(api_as(alice), "+79161234568").json()["card"]["id"] == pooled.pk
    assert lookup(api_as(carol), "+79161234568").json()["card"]["visible"] is False


def test_a_client_comes_before_the_lead_it_came_from(api_as, make_lead, alice):
    lead = make_lead(owner=alice, phone="+79161234567")
    client = leads.convert_lead(lead=lead, by=alice, company=leads.CompanyFacts(name="Ромашка", legal_form="ООО"))

    card = lookup(api_as(alice), "+79161234567").json()["card"]

    assert (card["type"], card["id"], card["company"], card["url"]) == (
        "client", client.pk, "ООО Ромашка", f"/clients/{client.pk}/")


def test_unknown_number_is_not_found(api_as, make_lead, alice):
    make_lead(owner=alice, phone="+79161234567")

    answer = lookup(api_as(alice), "+79035550011")

    assert answer.status_code == 200 and answer.json() == {"number": "+79035550011", "found": False, "matches": 0,
                                                           "card": None}


def test_not_a_number_is_422_naming_it(api_as, alice):
    answer = lookup(api_as(alice), "call me")

    assert answer.status_code == 422 and list(answer.json()["error"]["fields"]) == ["number"]


def test_anonymous_is_refused(make_lead, alice):
    make_lead(owner=alice, phone="+79161234567")

    assert lookup(HttpClient(), "+79161234567").status_code == 401


def test_lookup_is_a_fixed_handful_of_queries(api_as, make_lead, alice, bob, django_assert_num_queries):
    for n in range(20):
        make_lead(owner=alice if n % 2 else bob, phone=f"+7916123{n:04d}")
    client = api_as(alice)
    lookup(client, "+79161230001")  # the token's first use also stamps last_used_at

    # the token, then one statement: the phone key, the card with its owner, stage and open-task count
    with django_assert_num_queries(2):
        assert lookup(client, "+79161230003").json()["card"]["visible"] is True


def test_lookup_reads_the_phone_key_index_not_the_lead_table(api_as, make_lead, alice):
    make_lead(owner=alice, phone="+79161234567")
    client = api_as(alice)
    lookup(client, "+79161234567")

    with CaptureQueriesContext(connection) as queries:
        lookup(client, "+79161234567")

    sql = [q["sql"] for q in queries.captured_queries]
    assert "FROM matching_identitykey\n    WHERE kind = %s AND value = %s" in sql[1] or (
        "FROM matching_identitykey\n    WHERE kind = 'phone' AND value = '+79161234567'" in sql[1])
    assert not any("LIKE" in s.upper() for s in sql)


def test_visibility_in_python_is_the_same_as_the_querysets(make_lead, head, alice, bob, carol, admin_user,
                                                           other_team):
    cards = [make_lead(owner=alice), make_lead(owner=bob), make_lead(), make_lead(owner=carol, team=other_team),
             make_lead(team=other_team)]
    refused = make_lead(owner=alice)
    Lead.objects.filter(pk=refused.pk).update(state="refused")
    Lead.objects.filter(pk=cards[2].pk).update(team=None)
    cards = list(Lead.objects.all())
    marketer = User.objects.create_user(username="mary", password="pw", role="marketer")

    for user in (head, alice, bob, carol, admin_user, marketer):
        teams = headed_team_ids(user) if user.role == "head" else None
        expected = set(Lead.objects.visible_to(user).values_list("pk", flat=True))
        shown = {lead.pk for lead in cards
                 if lead_visible(user, owner_id=lead.owner_id, team_id=lead.team_id, state=lead.state, teams=teams)}
        assert shown == expected, user.username


def test_screen_pop_ranks_cards_as_the_webhook_does(make_lead, alice, bob):
    """Several cards share an office line: both reads pick a client first, then an open lead, then the newest."""
    from leadflow.telephony import lookup as pop
    from leadflow.telephony import services as telephony

    refused = make_lead(owner=alice, phone="+74951112233")
    leads.refuse_lead(lead=refused, reason=LostReason.objects.first(), note="", by=alice)
    open_older = make_lead(owner=bob, phone="+74951112233")
    assert (pop.card_of_phone("+74951112233").id, telephony.find_card("+74951112233").lead) == (
        open_older.pk, open_older)

    converted = make_lead(owner=alice, phone="+74951112233")
    client = leads.convert_lead(lead=converted, by=alice)
    assert (pop.card_of_phone("+74951112233").type, pop.card_of_phone("+74951112233").id) == ("client", client.pk)
    assert telephony.find_card("+74951112233").client == client
