"""Promoting an interest (DOMAIN.md 1): the lead goes where a new lead from the interest's source goes today (its
team, or intake.pipeline.team_now_for when it has none or that team is switched off), and the promoter is told where
it went; a lead out of their view is answered with its team only, nothing of who works it."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import RoutingScheme, Team
from leadflow.leads.models import Interest, Lead, OwnerChange, Task

pytestmark = pytest.mark.django_db


def partner_interest(key: str, phone: str) -> Interest:
    """A partner's submission with no person's name: an interest, as the intake keeps it."""
    from leadflow.intake.models import Submission

    response = HttpClient().post("/api/submissions", {"phone": phone}, content_type="application/json",
                                 headers={"X-Api-Key": key})
    assert response.status_code == 202 and response.json()["status"] == "interest", response.content
    return Submission.objects.get(pk=response.json()["submission_id"]).interest


def promote(client: HttpClient, interest: Interest, **data: str):
    return client.post(f"/api/interests/{interest.pk}/promote",
                       {"name": "Петрова Мария", "email": "m.petrova@romashka.ru", **data},
                       content_type="application/json")


def test_an_interest_of_no_team_becomes_a_lead_of_the_team_its_source_sends_to_today(api_as, alice, sales, other_team,
                                                                                   partner, carol) -> None:
    """No team took the partner's interest when it came; its team has one now: the lead goes there, and Alice, who
    does not work that team, is told so instead of being handed a card that will not open."""
    row, key = partner
    interest = partner_interest(key, "+7 495 123-45-67")
    Interest.objects.filter(pk=interest.pk).update(team=None)  # as when no team took leads
    row.team = other_team
    row.save()
    Team.objects.filter(pk=other_team.pk).update(routing_scheme=RoutingScheme.LEAST_LOADED)

    response = promote(api_as(alice), interest)

    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert lead.team == other_team and lead.owner == carol  # routed by its team's scheme
    assert body == {"outcome": "created", "visible": False, "id": lead.pk, "team_id": other_team.pk,
                    "team_name": "Wholesale",
                    "notice": "The lead went to the team Wholesale and was given out by its routing; it is not in "
                              "your view, so its card does not open for you."}
    assert "Carol" not in response.content.decode()
    assert api_as(alice).get(f"/api/leads/{lead.pk}").status_code == 404
    assert Interest.objects.get(pk=interest.pk).promoted_to == lead
    assert Task.objects.filter(lead=lead, assignee=carol, completed_at__isnull=True).count() == 1


def test_an_interest_of_no_team_promoted_into_the_promoters_pool_answers_the_lead_and_where_it_went(
        api_as, alice, sales, other_team) -> None:
    interest = Interest.objects.create(name="Ресепшн", phone="+74951110003", reason="no person's name", team=None)

    response = promote(api_as(alice), interest)

    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert lead.team == sales and lead.owner is None  # the default team's pool, hers
    assert body["visible"] is True and body["full_name"] == "Петрова Мария" and body["team_id"] == sales.pk
    assert body["team_name"] == "Sales"
    assert body["notice"] == "The lead went to the team Sales, where a new lead from this source goes today."
    assert api_as(alice).get(f"/api/leads/{lead.pk}").status_code == 200


def test_an_interest_of_its_own_team_promoted_says_nothing_more(api_as, alice, sales) -> None:
    interest = Interest.objects.create(name="Ресепшн", phone="+74951110003", reason="no person's name", team=sales)
    body = promote(api_as(alice), interest).json()
    assert (body["visible"], body["team_id"], body["notice"]) == (True, sales.pk, "")


def test_a_lead_the_round_robin_gives_a_teammate_is_answered_with_its_team_not_its_owner(api_as, alice, bob,
                                                                                          sales) -> None:
    Team.objects.filter(pk=sales.pk).update(routing_scheme=RoutingScheme.ROUND_ROBIN)
    bob.routing_weight, alice.is_routed = 5, False
    bob.save()
    alice.save()
    interest = Interest.objects.create(name="Ресепшн", phone="+74951110003", reason="no person's name", team=sales)

    response = promote(api_as(alice), interest)

    body = response.json()
    assert response.status_code == 201 and body["visible"] is False and body["team_name"] == "Sales"
    assert Lead.objects.get(pk=body["id"]).owner == bob and "Bob" not in response.content.decode()
    other = Interest.objects.create(name="Ресепшн", phone="+74951110004", reason="no person's name", team=sales)
    russian = api_as(alice).post(f"/api/interests/{other.pk}/promote", {"name": "Орлова Анна", "phone": "+79131112233"},
                                 content_type="application/json", headers={"Accept-Language": "ru"})
    assert russian.json()["notice"] == ("Лид передан в команду Sales и распределён по её правилам; он вам не виден, "
                                        "поэтому его карточка у вас не откроется.")
    assert list(OwnerChange.objects.filter(lead_id=body["id"]).values_list("to_owner__username", flat=True)) == [
        "bob"]


def test_with_no_team_taking_leads_the_lead_is_in_the_pool_of_no_team_as_the_intakes_are(api_as, alice, sales,
                                                                                          other_team) -> None:
    """A company with no team switched on: the intake's new leads are of no team, in every manager's pool, and so is
    a promoted one (the person is not turned away because of how the company is organised)."""
    interest = Interest.objects.create(name="Ресепшн", phone="+74951110003", reason="no person's name", team=sales)
    Team.objects.update(is_active=False)

    response = promote(api_as(alice), interest)

    body = response.json()
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=body["id"])
    assert lead.team is None and lead.owner is None
    assert body["visible"] is True and body["team_id"] is None and body["team_name"] == ""
    assert body["notice"] == "No team takes new leads: the lead is in the pool of no team, which every manager sees."


# ---------------------------------------------------------------- a person Leadflow already knows (DOMAIN.md 8)


def switchboard_interest(team: Team | None, **contacts: str) -> Interest:
    """A call or a form with no person's name, kept by the intake's service with its request and identity keys."""
    from leadflow.leads import services

    return services.create_interest(
        name="Ресепшн", person=services.PersonFacts(company_name="Ромашка", **contacts),
        touch=services.Touch(channel="phone"), reason="no person's name", team=team, message="Перезвоните")


def test_a_phone_of_another_managers_lead_attaches_the_interest_there_and_makes_no_lead(
        api_as, alice, carol, other_team, make_lead) -> None:
    """Carol already works Maria (another team): Alice finds out who called the switchboard from that number and
    promotes it. Maria's card gets the request and Carol is told; no second card, and Alice learns only the team."""
    from leadflow.events.models import OutboxEvent
    from leadflow.leads.models import Notification, Request

    known = make_lead(team=other_team, owner=carol, last_name="Петрова", first_name="Мария", phone="+74951234567",
                      email="maria@romashka.ru")
    interest = switchboard_interest(alice.team, phone="+74951234567")
    leads_before = Lead.objects.count()

    response = api_as(alice).post(f"/api/interests/{interest.pk}/promote", {"name": "Петрова Мария"},
                                  content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "outcome": "attached", "card_type": "lead", "id": known.pk, "visible": False, "name": "",
        "team_id": other_team.pk, "team_name": "Wholesale",
        "notice": "The person is already known: the interest was attached to their existing card in the team "
                  "Wholesale, and its owner was told. No new lead was made; the card is not in your view, so it "
                  "does not open for you."}
    assert "Carol" not in response.content.decode() and "carol" not in response.content.decode()
    assert Lead.objects.count() == leads_before
    interest.refresh_from_db()
    assert (interest.promoted_to_id, interest.promoted_to_client_id) == (known.pk, None)
    moved = Request.objects.get(interest=interest)
    assert (moved.lead_id, moved.client_id, moved.message) == (known.pk, None, "Перезвоните")
    assert moved.matched_by.startswith("0.9") or moved.matched_by.startswith("1.00")
    told = Notification.objects.get(user=carol, kind="request.attached")
    assert (told.lead_id, told.text) == (known.pk, "New request from Петрова Мария (Phone call)")
    assert Task.objects.filter(lead=known, completed_at__isnull=True).count() == 1  # her first call, still open
    attached = OutboxEvent.objects.get(name="request.attached")
    assert attached.payload["request_id"] == moved.pk and attached.payload["lead_id"] == known.pk
    assert attached.payload["owner_id"] == carol.pk
    promoted = OutboxEvent.objects.get(name="interest.promoted", payload__interest_id=interest.pk)
    assert promoted.payload["lead_id"] == known.pk and promoted.payload["attached"] is True
    # done: not offered again, and a second try is refused with nothing changed
    assert interest.pk not in [row["id"] for row in api_as(alice).get("/api/interests").json()]
    again = api_as(alice).post(f"/api/interests/{interest.pk}/promote", {"name": "Петрова Мария"},
                               content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_promoted"
    assert Notification.objects.filter(user=carol, kind="request.attached").count() == 1


def test_a_known_lead_in_the_promoters_view_is_named_and_matched_by_the_e_mail_typed(api_as, alice,
                                                                                     make_lead) -> None:
    """The switchboard gave only its own number; the e-mail Alice types is that of her own lead."""
    known = make_lead(owner=alice, last_name="Орлова", first_name="Анна", phone="+79131112233",
                      email="anna.orlova@romashka.ru")
    Task.objects.filter(lead=known).update(completed_at=known.created_at)  # nothing open: the repeat makes a task
    interest = switchboard_interest(alice.team, phone="+74951110000")

    response = api_as(alice).post(f"/api/interests/{interest.pk}/promote",
                                  {"name": "Орлова Анна", "email": "Anna.Orlova@romashka.ru"},
                                  content_type="application/json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["outcome"], body["card_type"], body["id"], body["visible"], body["name"]) == (
        "attached", "lead", known.pk, True, "Орлова Анна")
    assert body["notice"] == ("The person was already a lead: the interest was attached to their existing card "
                              "Орлова Анна, and its owner was told. No new lead was made.")
    assert Lead.objects.count() == 1 and Interest.objects.get(pk=interest.pk).promoted_to_id == known.pk
    callback = Task.objects.get(lead=known, completed_at__isnull=True)
    assert (callback.assignee, callback.kind) == (alice, "callback")


def test_a_phone_of_a_clients_contact_attaches_the_interest_to_the_client(api_as, alice, bob, make_lead) -> None:
    """Maria already buys (Bob's client): her request goes to the client's card, not to a new lead."""
    from leadflow.clients.models import Client
    from leadflow.leads import services
    from leadflow.leads.models import Notification, Request

    lead = make_lead(owner=bob, last_name="Петрова", first_name="Мария", phone="+74951234567", email="m@romashka.ru")
    client = services.convert_lead(lead=lead, by=bob, company=services.CompanyFacts(name="Ромашка"))
    assert client.owner == bob
    interest = switchboard_interest(alice.team, phone="+74951234567")

    response = api_as(alice).post(f"/api/interests/{interest.pk}/promote", {"name": "Мария Петрова"},
                                  content_type="application/json", headers={"Accept-Language": "ru"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["outcome"], body["card_type"], body["id"], body["visible"], body["name"], body["team_name"]) == (
        "attached", "client", client.pk, False, "", "Sales")
    assert body["notice"] == ("Человек уже известен: интерес прикреплён к его существующей карточке в команде Sales, "
                              "её ответственный получил уведомление. Новый лид не создан; эта карточка вам не видна, "
                              "поэтому у вас она не откроется.")
    assert "Bob" not in response.content.decode()
    assert Lead.objects.count() == 1 and Client.objects.count() == 1
    interest.refresh_from_db()
    assert (interest.promoted_to_id, interest.promoted_to_client_id) == (None, client.pk)
    assert Request.objects.get(interest=interest).client_id == client.pk
    assert Notification.objects.filter(user=bob, kind="request.attached", client=client).count() == 1
    listed = api_as(alice).get("/api/interests?promoted=true").json()
    assert [(row["id"], row["promoted_to_id"], row["promoted_to_client_id"]) for row in listed] == [
        (interest.pk, None, client.pk)]


def test_a_person_nobody_knows_still_becomes_a_new_lead(api_as, alice, sales, make_lead) -> None:
    make_lead(owner=alice, last_name="Орлова", first_name="Анна", phone="+79131112233", email="anna@romashka.ru")
    interest = switchboard_interest(sales, phone="+74951110000")

    response = api_as(alice).post(f"/api/interests/{interest.pk}/promote",
                                  {"name": "Петрова Мария", "phone": "+79120007777"},
                                  content_type="application/json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "created" and body["full_name"] == "Петрова Мария"
    assert Lead.objects.count() == 2 and Interest.objects.get(pk=interest.pk).promoted_to_id == body["id"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_promoting_one_interest_at_once_make_one_lead(sales, alice, bob, at_once) -> None:
    """Both pressed "Make it a lead" on the same call: one lead, and the other is told it is done already (real
    concurrent connections on PostgreSQL: the interest's row lock settles it; SQLite queues writers at BEGIN)."""
    from leadflow.core.errors import DomainError
    from leadflow.leads import services

    interest = switchboard_interest(sales, phone="+74951110000")

    def promote_as(manager) -> str:
        person = services.person_for_promotion(interest=Interest.objects.get(pk=interest.pk), name="Петрова Мария",
                                               email="m.petrova@romashka.ru")
        try:
            services.promote_interest(interest=Interest.objects.get(pk=interest.pk), person=person, by=manager)
        except DomainError as error:
            return error.code
        return "promoted"

    assert sorted(at_once(promote_as, [alice, bob])) == ["already_promoted", "promoted"]
    assert Lead.objects.count() == 1
    assert Interest.objects.get(pk=interest.pk).promoted_to == Lead.objects.get()


def test_erasing_a_client_takes_the_interest_attached_to_it_though_it_came_from_another_number(
        api_as, alice, admin_user, make_lead) -> None:
    """The switchboard's number is not the person's: the interest is theirs because it was attached to their card."""
    from leadflow.leads import services

    lead = make_lead(owner=alice, last_name="Петрова", first_name="Мария", phone="+79123456789")
    client = services.convert_lead(lead=lead, by=alice, company=services.CompanyFacts(name="Ромашка"))
    interest = switchboard_interest(alice.team, phone="+74951110000")
    attached = api_as(alice).post(f"/api/interests/{interest.pk}/promote",
                                  {"name": "Петрова Мария", "phone": "+79123456789"}, content_type="application/json")
    assert attached.status_code == 200 and attached.json()["card_type"] == "client", attached.content

    erased = api_as(admin_user).post("/api/privacy/erase", {"client": client.pk, "confirm": True},
                                     content_type="application/json")

    assert erased.status_code == 200, erased.content
    interest.refresh_from_db()
    assert (interest.name, interest.phone, interest.message) == ("[erased]", "", "")


def test_a_person_who_refused_is_not_made_a_second_card_as_the_intake_would_not(api_as, alice, make_lead) -> None:
    """A refused lead is kept, not deleted (DOMAIN.md 14): a repeat goes to it, so her owner decides to reopen it."""
    from leadflow.leads import services
    from leadflow.leads.models import LostReason, Notification

    known = make_lead(owner=alice, last_name="Орлова", first_name="Анна", phone="+79131112233")
    services.refuse_lead(lead=known, reason=LostReason.objects.filter(is_active=True).first(), by=alice)
    interest = switchboard_interest(alice.team, phone="+79131112233")

    response = api_as(alice).post(f"/api/interests/{interest.pk}/promote", {"name": "Анна Орлова"},
                                  content_type="application/json")

    assert response.status_code == 200 and response.json()["id"] == known.pk, response.content
    assert Lead.objects.count() == 1 and Lead.objects.get().state == "refused"
    assert Notification.objects.filter(user=alice, kind="request.attached", lead=known).count() == 1


@pytest.fixture
def zina_erased(make_lead, admin_user) -> None:
    """Zinaida asked for her data to be erased: her phone, e-mail and Telegram account are tombstoned."""
    from leadflow.privacy import services as privacy

    make_lead(last_name="Белоусова", first_name="Зинаида", phone="+79161112233", email="zina@example.ru",
              messengers=["@zina_b"])
    privacy.erase_person(person=privacy.find_person(email="zina@example.ru"), by=admin_user)


def test_an_erased_persons_typed_phone_or_email_is_refused_on_its_field_and_nothing_changes(
        api_as, alice, zina_erased) -> None:
    """The intake takes an erased person back only from themselves (a web form with a fresh consent); a manager
    typing her contacts into a promotion must not bring her back, as a new lead or on a card."""
    from leadflow.leads.models import Request

    interest = switchboard_interest(alice.team, phone="+74951110000")
    leads_before, requests_before = Lead.objects.count(), list(Request.objects.values_list("pk", "lead_id"))

    by_email = promote(api_as(alice), interest, name="Белоусова Зинаида", email="Zina@Example.ru")
    by_phone = promote(api_as(alice), interest, name="Белоусова Зинаида", phone="8 (916) 111-22-33",
                       email="someone@example.ru")

    for response, field in ((by_email, "email"), (by_phone, "phone")):
        assert response.status_code == 422, response.content
        error = response.json()["error"]
        assert error["code"] == "person_erased" and list(error["fields"]) == [field]
        assert "erased at their request" in error["message"] and "web form" in error["fields"][field][0]
    assert not Interest.objects.get(pk=interest.pk).is_promoted
    assert Lead.objects.count() == leads_before
    assert list(Request.objects.values_list("pk", "lead_id")) == requests_before
    # anyone else's contacts still make the lead
    assert promote(api_as(alice), interest, name="Петрова Мария").status_code == 201


def test_an_interest_whose_request_gave_an_erased_telegram_account_is_not_promoted(api_as, alice, zina_erased) -> None:
    interest = switchboard_interest(alice.team, phone="+74951110000", messengers=["t.me/Zina_B"])

    response = promote(api_as(alice), interest, name="Белоусова Зинаида")

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "person_erased" and list(error["fields"]) == ["__all__"]
    assert "Telegram" in error["fields"]["__all__"][0]
    assert not Interest.objects.get(pk=interest.pk).is_promoted


@pytest.mark.parametrize("known_as", ["lead", "client"])
def test_the_persons_other_interests_go_to_the_known_card_too_as_to_a_lead_made_from_the_promotion(
        api_as, alice, make_lead, known_as) -> None:
    """A lead made by a promotion takes the person's earlier interests from the contacts it was given (create_lead);
    so does the card that already knew them: the e-mail Alice learns brings the interest left from it along."""
    from leadflow.leads import services
    from leadflow.leads.models import Request

    known = make_lead(owner=alice, last_name="Петрова", first_name="Мария", phone="+79123456789", email="")
    client = services.convert_lead(lead=known, by=alice, company=services.CompanyFacts(name="Ромашка")) if (
        known_as == "client") else None
    by_email = switchboard_interest(alice.team, email="m.petrova@romashka.ru")
    someone_elses = switchboard_interest(alice.team, email="info@romashka.ru")
    interest = switchboard_interest(alice.team, phone="+74951110000")

    response = promote(api_as(alice), interest, phone="+7 912 345-67-89")  # and her e-mail, m.petrova@romashka.ru

    assert response.status_code == 200 and response.json()["outcome"] == "attached", response.content
    for taken in (interest, by_email):
        taken.refresh_from_db()
        assert (taken.promoted_to, taken.promoted_to_client) == ((known, None) if client is None else (None, client))
        assert list(Request.objects.filter(interest=taken).values_list("lead", "client")) == [
            (known.pk, None) if client is None else (None, client.pk)]
    assert not Interest.objects.get(pk=someone_elses.pk).is_promoted
    assert Lead.objects.count() == 1


@pytest.mark.parametrize("phone", ["", "+7 495 111-00-00 доб. 12"])
def test_other_calls_to_the_company_line_stay_interests_when_one_is_promoted(api_as, alice, phone) -> None:
    """Maria called the switchboard; so did her colleagues. Promoting her call (the phone left as the interest's own,
    or typed as her extension behind it) takes the interest left from her own e-mail, not the other calls from the
    company's line: they are other people's, left for a manager to review (and not erased with her)."""
    from leadflow.leads.models import Request

    hers = switchboard_interest(alice.team, phone="+74951110000")
    colleagues = [switchboard_interest(alice.team, phone="+74951110000") for _ in range(2)]
    by_her_email = switchboard_interest(alice.team, email="m.petrova@romashka.ru")

    response = promote(api_as(alice), hers, phone=phone)  # her e-mail m.petrova@romashka.ru

    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["id"])
    assert {row.pk for row in Interest.objects.filter(promoted_to=lead)} == {hers.pk, by_her_email.pk}
    for other in colleagues:
        assert not Interest.objects.get(pk=other.pk).is_promoted
        assert not Request.objects.filter(interest=other, lead__isnull=False).exists()


def test_a_new_lead_takes_the_interests_of_its_own_contacts_not_those_of_its_companys_mailbox(alice, make_lead) -> None:
    shared_mailbox = switchboard_interest(alice.team, email="info@romashka.ru")
    own_mobile = switchboard_interest(alice.team, phone="+79123456789")

    lead = make_lead(owner=alice, phone="+79123456789", email="info@romashka.ru")

    assert Interest.objects.get(pk=own_mobile.pk).promoted_to == lead
    assert not Interest.objects.get(pk=shared_mailbox.pk).is_promoted


@pytest.mark.parametrize(("contacts", "typed", "refused"), [
    ({"phone": "+74951110000"}, {}, ["phone"]),  # the switchboard left as the interest's own
    ({"phone": "+74951110000"}, {"phone": "8 (495) 111-00-00"}, ["phone"]),  # typed again
    ({"phone": "+78005553535"}, {}, ["phone"]),  # toll-free: a company's line whoever gives it
    ({"email": "info@romashka.ru"}, {}, ["email"]),
    ({"phone": "+74951110000", "email": "info@romashka.ru"}, {}, ["email", "phone"]),
])
def test_a_company_line_or_shared_mailbox_alone_does_not_make_a_lead(api_as, alice, contacts, typed, refused) -> None:
    interest = switchboard_interest(alice.team, **contacts)

    response = promote(api_as(alice), interest, email="", **typed)

    assert response.status_code == 422, response.content
    assert sorted(response.json()["error"]["fields"]) == refused
    assert not Interest.objects.get(pk=interest.pk).is_promoted and not Lead.objects.exists()


@pytest.mark.parametrize("typed", [{"phone": "+7 495 111-00-00 доб. 12"}, {"phone": "+7 912 345-67-89"},
                                   {"email": "m.petrova@romashka.ru"}])
def test_an_extension_a_direct_number_or_an_own_e_mail_makes_the_switchboards_caller_a_lead(api_as, alice,
                                                                                          typed) -> None:
    interest = switchboard_interest(alice.team, phone="+74951110000")

    response = promote(api_as(alice), interest, **{"email": "", **typed})

    assert response.status_code == 201, response.content
    assert Interest.objects.get(pk=interest.pk).promoted_to_id == response.json()["id"]
