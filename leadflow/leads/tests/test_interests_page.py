"""The Interests page: a manager or head reviews the attention that is not a lead yet (DOMAIN.md 1) and makes one a
lead once the person is known; the same service and the same word on where the lead went as
POST /api/interests/{id}/promote."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import Role, RoutingScheme, Team, User
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db


def as_user(user: User) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def interest_in(team: Team | None, phone: str, **fields: str) -> Interest:
    return Interest.objects.create(name=fields.pop("name", "Ресепшн"), phone=phone, reason="no person's name",
                                   team=team, **fields)


def promote(http: HttpClient, interest: Interest, **data: str):
    return http.post(f"/interests/{interest.pk}/promote/",
                     {f"interest-{interest.pk}-{name}": value for name, value in data.items()})


def test_a_manager_sees_her_teams_and_no_teams_interests_not_anothers(alice, carol, sales, other_team, make_lead,
                                                                      django_assert_num_queries) -> None:
    ours = interest_in(sales, "+74951110001", message="<script>alert(1)</script>Перезвоните")
    nobodys = interest_in(None, "+74951110002")
    theirs = interest_in(other_team, "+74951110003")
    done = interest_in(sales, "+74951110004")
    Interest.objects.filter(pk=done.pk).update(promoted_to=make_lead())  # a lead already: not to review

    http = as_user(alice)
    # the session, the user, the menu's counts, the interests with their teams, and their requests
    with django_assert_num_queries(7):
        page = http.get("/interests/").content.decode()

    assert f'id="interest-{ours.pk}"' in page and f'id="interest-{nobodys.pk}"' in page
    assert f'id="interest-{theirs.pk}"' not in page and f'id="interest-{done.pk}"' not in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page  # a public form's text, escaped
    assert "8 (495) 111-00-01" in page
    assert 'href="/interests/"' in http.get("/pool/").content.decode()  # where new work is picked up
    assert promote(as_user(carol), ours, name="Петрова Мария").status_code == 404
    assert not Interest.objects.get(pk=ours.pk).promoted_to_id


def test_promoting_from_the_page_makes_the_lead_and_opens_its_card(alice, sales) -> None:
    interest = interest_in(sales, "+74951110001", company_name="ООО Ромашка")

    http = as_user(alice)
    response = promote(http, interest, name="Петрова Мария Ивановна", phone="8 912 345-67-89", position="закупщик")

    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert (lead.full_name, lead.phone, lead.position, lead.company_name, lead.team) == (
        "Петрова Мария Ивановна", "+79123456789", "закупщик", "Ромашка", sales)
    assert Interest.objects.get(pk=interest.pk).promoted_to == lead
    card = http.get(response["Location"]).content.decode()
    assert "The interest is now a lead." in card
    assert f'id="interest-{interest.pk}"' not in http.get("/interests/").content.decode()


def test_a_lead_routed_out_of_the_promoters_view_is_said_where_it_went(alice, bob, sales) -> None:
    Team.objects.filter(pk=sales.pk).update(routing_scheme=RoutingScheme.ROUND_ROBIN)
    alice.is_routed = False
    alice.save()
    interest = interest_in(sales, "+74951110001")

    http = as_user(alice)
    response = promote(http, interest, name="Петрова Мария", email="m.petrova@romashka.ru")

    assert response.status_code == 302 and response["Location"] == "/interests/"
    assert Lead.objects.get().owner == bob
    page = http.get("/interests/", headers={"Accept-Language": "ru"})
    text = page.content.decode()
    assert "The lead went to the team Sales and was given out by its routing" in text  # said in the language of
    assert "Bob" not in text  # the request that made it; who works it is not said


def test_an_interest_of_no_team_goes_where_a_new_lead_goes_and_the_card_says_so(alice, sales, other_team) -> None:
    interest = interest_in(None, "+74951110001")
    http = as_user(alice)
    response = promote(http, interest, name="Петрова Мария")
    lead = Lead.objects.get()
    assert lead.team == sales and response["Location"] == f"/leads/{lead.pk}/"
    card = http.get(response["Location"]).content.decode()
    assert "The lead went to the team Sales, where a new lead from this source goes today." in card


def test_a_bad_phone_or_no_name_is_refused_on_its_field_with_what_was_typed_kept(alice, sales) -> None:
    interest = interest_in(sales, "")

    response = promote(as_user(alice), interest, name="", phone="8 912", email="ivan@")

    assert response.status_code == 422 and not Lead.objects.exists()
    page = response.content.decode()
    assert page.count('data-testid="error-summary"') == 1 and f'id="interest-{interest.pk}"' in page
    assert 'value="8 912"' in page and 'value="ivan@"' in page
    assert "This field is required." in page
    assert "too few digits" in page
    assert not Interest.objects.get(pk=interest.pk).promoted_to_id
    no_contact = promote(as_user(alice), interest, name="Петрова Мария")
    assert no_contact.status_code == 422 and "A lead needs a person&#x27;s name and a phone or an e-mail." in (
        no_contact.content.decode()) and not Lead.objects.exists()


def test_the_page_is_for_sales_and_reads_in_russian(alice, sales) -> None:
    mary = User.objects.create_user(username="mary", password="pw", role=Role.MARKETER, team=sales)
    assert as_user(mary).get("/interests/").status_code == 404
    assert HttpClient().get("/interests/").status_code == 302  # to the login
    interest_in(sales, "+74951110001")
    page = as_user(alice).get("/interests/", headers={"Accept-Language": "ru"}).content.decode()
    assert "Интересы" in page and "Сделать лидом" in page


def test_a_person_already_her_client_opens_the_clients_card_and_no_lead_is_made(alice, sales, make_lead) -> None:
    from leadflow.clients.models import Client
    from leadflow.leads import services
    from leadflow.leads.models import Notification

    lead = make_lead(owner=alice, last_name="Петрова", first_name="Мария", phone="+79123456789")
    client = services.convert_lead(lead=lead, by=alice, company=services.CompanyFacts(name="Ромашка"))
    interest = interest_in(sales, "+74951110001")

    http = as_user(alice)
    response = promote(http, interest, name="Мария Петрова", phone="8 912 345-67-89")

    assert response.status_code == 302 and response["Location"] == f"/clients/{client.pk}/"
    assert Lead.objects.count() == 1 and Client.objects.count() == 1
    assert Interest.objects.get(pk=interest.pk).promoted_to_client == client
    assert Notification.objects.filter(user=alice, kind="request.attached", client=client).count() == 1
    card = http.get(response["Location"]).content.decode()
    assert ("The person is already a client: the interest was attached to their existing card Ромашка, and its "
            "owner was told. No new lead was made.") in card
    assert f'id="interest-{interest.pk}"' not in http.get("/interests/").content.decode()


def test_a_person_on_a_teammates_lead_is_said_attached_by_team_only(alice, bob, sales, make_lead) -> None:
    known = make_lead(owner=bob, last_name="Петрова", first_name="Мария", phone="+79123456789")
    interest = interest_in(sales, "+74951110001")

    http = as_user(alice)
    response = promote(http, interest, name="Петрова Мария", phone="+7 912 345 67 89")

    assert response.status_code == 302 and response["Location"] == "/interests/"
    assert Lead.objects.count() == 1 and Interest.objects.get(pk=interest.pk).promoted_to == known
    text = http.get("/interests/").content.decode()
    assert ("The person is already known: the interest was attached to their existing card in the team Sales, and "
            "its owner was told. No new lead was made") in text
    assert "Bob" not in text and "bob" not in text


def test_the_page_goes_on_past_the_newest_fifty(alice, sales, django_assert_num_queries) -> None:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    made = [Interest.objects.create(name=f"Звонок {n}", phone=f"+7495111{n:04d}", reason="no person's name",
                                    team=sales, created_at=now - timedelta(minutes=n)) for n in range(53)]
    http = as_user(alice)

    with django_assert_num_queries(7):  # as with a few: the page reads 51 rows (and their requests), not all
        first = http.get("/interests/").content.decode()
    assert first.count('data-testid="interest"') == 50
    assert f'id="interest-{made[49].pk}"' in first and f'id="interest-{made[50].pk}"' not in first
    more = first.split('data-testid="more-interests"><a href="')[1].split('"')[0].replace("&amp;", "&")
    rest = http.get(f"/interests/{more}", headers={"HX-Request": "true"}).content.decode()
    assert [f'id="interest-{row.pk}"' in rest for row in made[49:]] == [False, True, True, True]
    assert "<html" not in rest and "more-interests" not in rest  # the rows only, and the last of them

    # a promotion refused on the later page comes back there, with what was typed and why
    refused = promote(http, made[52], name="", phone="8 912")
    page = refused.content.decode()
    assert refused.status_code == 422 and f'id="interest-{made[52].pk}"' in page and 'value="8 912"' in page
    assert "Back to the newest interests" in page
    assert http.get("/interests/?after=garbage").status_code == 404


def test_an_erased_persons_contact_is_refused_on_the_form_with_what_was_typed_kept(alice, sales, make_lead,
                                                                                  admin_user) -> None:
    from leadflow.privacy import services as privacy

    make_lead(last_name="Белоусова", first_name="Зинаида", phone="+79161112233", email="zina@example.ru")
    privacy.erase_person(person=privacy.find_person(email="zina@example.ru"), by=admin_user)
    interest = interest_in(sales, "+74951110001")
    leads_before = Lead.objects.count()

    response = promote(as_user(alice), interest, name="Белоусова Зинаида", phone="8 916 111-22-33",
                       position="бухгалтер")

    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="interest-{interest.pk}"' in page and page.count('data-testid="error-summary"') == 1
    assert 'value="8 916 111-22-33"' in page and 'value="бухгалтер"' in page and "Белоусова Зинаида" in page
    assert "This contact belongs to a person whose data was erased at their request" in page
    assert not Interest.objects.get(pk=interest.pk).is_promoted and Lead.objects.count() == leads_before


def test_the_switchboard_alone_is_refused_on_the_phone_field_with_what_was_typed_kept(alice, sales) -> None:
    interest = interest_in(sales, "+74951110000", company_name="ООО Ромашка")

    response = promote(as_user(alice), interest, name="Петрова Мария", position="бухгалтер")

    assert response.status_code == 422 and not Lead.objects.exists()
    page = response.content.decode()
    assert "The company&#x27;s main line reaches a switchboard, not the person" in page
    assert 'value="Петрова Мария"' in page and 'value="бухгалтер"' in page
    assert not Interest.objects.get(pk=interest.pk).is_promoted


def test_every_way_to_reach_the_person_the_interest_gave_is_on_the_page(alice, web_form) -> None:
    """The page showed an interest's phone and e-mail only: "Анна" who left only her Telegram read "not a lead: only
    a messenger account" with the account nowhere, and a second number or one that did not read was not there to
    call. The API's InterestOut gave them all."""
    import json

    for body in ({"name": "Анна", "telegram": "@Anna_K"},
                 {"phone": "+7 495 111-22-33, +7 916 000-11-22", "message": "перезвоните"},
                 {"phone": "+7 495 111-22-44 доб. 7 (WhatsApp)"},
                 {"email": "zakaz@gmial.com"}):
        response = HttpClient().post("/api/submissions", data=json.dumps({**body, "consent": True}),
                                     content_type="application/json", headers={"X-Form-Key": web_form.public_key})
        assert response.status_code == 200
    assert Interest.objects.count() == 4 and not Lead.objects.exists()

    page = as_user(alice).get("/interests/").content.decode()
    assert 'href="https://t.me/anna_k"' in page and "@anna_k" in page
    assert "8 (916) 000-11-22" in page and 'href="tel:+79160001122"' in page  # the second number, to call
    assert "«(WhatsApp)»" in page  # kept as typed, said it could not be read
    assert "Did you mean zakaz@gmail.com?" in page

    api = HttpClient()
    api.force_login(alice)
    listed = {item["id"]: item for item in api.get("/api/interests").json()}
    assert [item["messengers"] for item in listed.values() if item["messengers"]] == [["t.me/anna_k"]]
    assert [item["other_contacts"] for item in listed.values() if item["other_contacts"]] == [["+79160001122"]]
