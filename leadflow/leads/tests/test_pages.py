"""The sales team's pages: who sees what, every action through the card, escaping, query counts."""

import pytest
from django.test import Client as HttpClient

from leadflow.clients.models import Client
from leadflow.leads import services
from leadflow.leads.models import Activity, Lead, LostReason, Notification, OwnerChange, Task

pytestmark = pytest.mark.django_db

PAGES = ["/", "/pool/", "/leads/", "/board/", "/tasks/", "/clients/", "/notifications/", "/preferences/", "/team/"]


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


@pytest.mark.parametrize("url", [*PAGES, "/leads/1/", "/clients/1/"])
def test_every_page_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_bob_gets_404_for_alices_card_and_every_action_on_it(client, alice, bob, make_lead):
    lead = make_lead(owner=alice)
    client.force_login(bob)
    assert client.get(f"/leads/{lead.pk}/").status_code == 404
    assert client.get(f"/leads/{lead.pk}/compare/?other=1").status_code == 404
    for name in ("assign", "stage", "qualify", "activity", "task", "refuse", "defer", "reopen", "edit", "convert",
                 "merge", "undo_merge"):
        response = client.post(f"/leads/{lead.pk}/{name}/", {"kind": "call", "reason": 1, "stage": "contacted"})
        assert response.status_code == 404, name
    lead.refresh_from_db()
    assert (lead.owner, lead.state, lead.stage.code) == (alice, "open", "new")
    assert Activity.objects.filter(lead=lead).count() == 0


def test_bob_cannot_complete_alices_task_from_the_page(client, alice, bob, make_lead):
    lead = make_lead(owner=alice)
    task = Task.objects.get(lead=lead)
    client.force_login(bob)
    assert client.post(f"/tasks/{task.pk}/complete/", {"result": "x"}).status_code == 404
    assert Task.objects.get(pk=task.pk).completed_at is None


def test_posts_need_the_csrf_token(alice, make_lead):
    lead = make_lead()
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.post(f"/leads/{lead.pk}/claim/").status_code == 403
    assert Lead.objects.get(pk=lead.pk).owner is None


def test_claim_from_the_pool_row_and_the_loser_is_told_it_is_gone_not_who_won(client, alice, bob, head, make_lead):
    lead = make_lead()
    client.force_login(alice)
    response = client.post(f"/leads/{lead.pk}/claim/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "the lead is yours" in response.content.decode()
    client.force_login(bob)
    response = client.post(f"/leads/{lead.pk}/claim/", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "This lead is not in your pool any more." in page and "Alice" not in page
    assert f'id="pool-{lead.pk}"' in page  # the row it replaces
    # The same words as for a lead that is not there at all; without htmx, the card's 404.
    elsewhere = client.post("/leads/999999/claim/", headers={"HX-Request": "true"})
    assert elsewhere.status_code == response.status_code
    assert elsewhere.content.decode() == page.replace(f'id="pool-{lead.pk}"', 'id="pool-999999"')
    assert client.post(f"/leads/{lead.pk}/claim/").status_code == 404
    russian = client.post(f"/leads/{lead.pk}/claim/", headers={"HX-Request": "true", "Accept-Language": "ru"})
    assert "Этого лида больше нет в вашем пуле." in russian.content.decode()
    client.force_login(head)  # the team's head sees whose it is
    response = client.post(f"/leads/{lead.pk}/claim/", headers={"HX-Request": "true"})
    assert "Alice claimed this lead first" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).owner == alice
    assert OwnerChange.objects.filter(lead=lead).count() == 1


def test_card_actions_call_the_services(as_alice, alice, make_lead):
    lead = make_lead(owner=alice)
    url = f"/leads/{lead.pk}"
    as_alice.post(f"{url}/activity/", {"kind": "call", "subject": "First call", "duration_minutes": 3})
    as_alice.post(f"{url}/stage/", {"stage": "contacted"})
    as_alice.post(f"{url}/task/", {"title": "Send the price list", "kind": "proposal", "due_at": "2099-01-05T10:00"})
    lead.refresh_from_db()
    assert lead.stage.code == "contacted" and lead.first_contacted_at is not None
    assert Activity.objects.get(lead=lead, kind="call").duration_seconds == 180
    assert Task.objects.filter(lead=lead, title="Send the price list", assignee=alice).count() == 1
    page = as_alice.get(f"{url}/").content.decode()
    assert "First call" in page and "Send the price list" in page


def test_refuse_and_defer_and_reopen_from_the_card(as_alice, alice, make_lead):
    lead = make_lead(owner=alice)
    reason = LostReason.objects.get(name="No budget now")
    as_alice.post(f"/leads/{lead.pk}/refuse/", {"reason": reason.pk, "note": "next year"})
    lead.refresh_from_db()
    assert (lead.state, lead.lost_reason) == ("refused", reason)
    assert "No budget now" in as_alice.get(f"/leads/{lead.pk}/").content.decode()
    as_alice.post(f"/leads/{lead.pk}/reopen/")
    as_alice.post(f"/leads/{lead.pk}/defer/", {"until": "2099-03-01"})
    lead.refresh_from_db()
    assert (lead.state, str(lead.deferred_until)) == ("deferred", "2099-03-01")


def test_a_bad_form_says_why_and_changes_nothing(as_alice, alice, make_lead):
    lead = make_lead(owner=alice)
    response = as_alice.post(f"/leads/{lead.pk}/convert/", {"company_name": "Ромашка", "inn": "7707083894"},
                             follow=True)
    assert "INN check digit does not match" in response.content.decode()
    assert Client.objects.count() == 0 and Lead.objects.get(pk=lead.pk).state == "open"
    response = as_alice.post(f"/leads/{lead.pk}/defer/", {"until": "2001-01-01"}, follow=True)
    assert "The date must be in the future" in response.content.decode()


def test_a_call_logged_with_nothing_said_is_refused_and_the_sla_clock_runs_on(as_alice, alice, make_lead):
    """A stray tap on "Log" (right under the tasks on a phone) logged a call nobody made: it set the first contact,
    so the lead left the SLA breaches and speed to lead counted a call that never happened."""
    from leadflow.clients.models import Client as Buyer
    from leadflow.leads import services

    lead = make_lead(owner=alice)
    response = as_alice.post(f"/leads/{lead.pk}/activity/", {"kind": "call", "subject": " ", "body": ""}, follow=True)
    assert "Say what happened: a subject, notes or how long it took." in response.content.decode()
    assert not Activity.objects.filter(lead=lead).exists()
    assert Lead.objects.get(pk=lead.pk).first_contacted_at is None
    # Any one of them is enough: a bare duration is a call that took place.
    as_alice.post(f"/leads/{lead.pk}/activity/", {"kind": "call", "duration_minutes": "0"})
    assert Lead.objects.get(pk=lead.pk).first_contacted_at is not None
    # The client card's form is the same.
    buyer: Buyer = services.convert_lead(lead=make_lead(owner=alice), by=alice)
    response = as_alice.post(f"/clients/{buyer.pk}/activity/", {"kind": "meeting"}, follow=True)
    assert "Say what happened" in response.content.decode()
    assert not Activity.objects.filter(client=buyer).exists()


def test_convert_lands_on_the_client_card_linking_back(as_alice, alice, make_lead):
    lead = make_lead(owner=alice)
    response = as_alice.post(f"/leads/{lead.pk}/convert/", {
        "company_name": "Ромашка", "legal_form": "ООО", "inn": "7707083893", "kpp": "773601001",
        "ogrn": "1027700132195", "legal_address": "Москва"}, follow=True)
    client = Client.objects.get()
    assert response.redirect_chain[-1][0] == f"/clients/{client.pk}/"
    page = response.content.decode()
    assert f"/leads/{lead.pk}/" in page and "7707083893" in page
    assert f"/clients/{client.pk}/" in as_alice.get(f"/leads/{lead.pk}/").content.decode()


def test_complete_task_with_next_from_my_tasks(as_alice, alice, make_lead):
    lead = make_lead(owner=alice)
    task = Task.objects.get(lead=lead)
    as_alice.post(f"/tasks/{task.pk}/complete/", {"result": "Agreed", "next_title": "Call on Thursday",
                                                  "next_due_at": "2099-01-08T11:00"})
    task.refresh_from_db()
    assert task.result == "Agreed"
    follow_up = Task.objects.open().get(lead=lead)
    assert follow_up.title == "Call on Thursday" and follow_up.previous == task


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"])
def test_a_hostile_name_is_escaped_on_every_page(client, head, alice, make_lead, name):
    pooled = make_lead(first_name=name, last_name="")
    owned = make_lead(owner=alice, first_name=name, last_name="")
    services.create_task(lead=owned, assignee=alice, title=f"Call {name}", due_at=owned.created_at, by=head)
    for user, urls in ((alice, ["/pool/", "/leads/", f"/leads/{owned.pk}/", "/board/", "/tasks/", "/notifications/"]),
                       (head, ["/team/", f"/leads/{pooled.pk}/"])):
        client.force_login(user)
        for url in urls:
            page = client.get(url).content.decode()
            assert name not in page, url
            assert "&lt;" in page, url


def test_list_pages_make_a_fixed_number_of_queries(as_alice, alice, make_lead, django_assert_num_queries):
    # pool: session, user, the user's team (time zone), the page of leads, the unread count, the pool's size
    # (menu badge); leads: the same plus the filter form's stages, sources and campaigns.
    expected = {"/pool/": 6, "/leads/": 9}
    for round_size in (5, 10):
        for _ in range(round_size):
            make_lead()
            make_lead(owner=alice)
        for url, count in expected.items():
            with django_assert_num_queries(count):
                assert as_alice.get(url).status_code == 200


def test_marketer_and_manager_see_only_their_pages(client, make_lead, sales, alice):
    from leadflow.accounts.models import User

    mary = User.objects.create_user(username="mary", role="marketer", team=sales)
    client.force_login(mary)
    assert client.get("/pool/").status_code == 404
    assert client.get("/").status_code == 200
    client.force_login(alice)
    assert client.get("/team/").status_code == 404


def test_head_assigns_in_bulk_from_the_team_page(client, head, alice, make_lead):
    leads = [make_lead() for _ in range(3)]
    client.force_login(head)
    page = client.get("/team/").content.decode()
    assert all(f"/leads/{lead.pk}/" in page for lead in leads)
    client.post("/team/assign/", {"lead": [lead.pk for lead in leads[:2]], "owner": alice.pk})
    assert [Lead.objects.get(pk=lead.pk).owner for lead in leads] == [alice, alice, None]


def test_bulk_assignment_takes_no_lead_of_another_team(client, head, alice, carol, make_lead):
    """The ids are the form's: one of another team's lead (or one of a manager's own) posted among the team's is
    left as it was, and alice gets only the head's team's."""
    ours = make_lead()
    theirs = make_lead(team=carol.team, owner=carol)
    pooled_there = make_lead(team=carol.team)
    client.force_login(head)
    client.post("/team/assign/", {"lead": [ours.pk, theirs.pk, pooled_there.pk], "owner": alice.pk})
    assert [Lead.objects.get(pk=lead.pk).owner for lead in (ours, theirs, pooled_there)] == [alice, carol, None]
    client.force_login(alice)  # a manager may not assign at all
    assert client.post("/team/assign/", {"lead": [ours.pk], "owner": alice.pk}).status_code == 404


def test_language_switch_is_saved_on_the_user(client, alice):
    client.force_login(alice)
    client.post("/language/", {"language": "ru", "next": "/tasks/"})
    alice.refresh_from_db()
    assert alice.language == "ru"
    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_notifications_bell_and_mark_read(client, alice, make_lead):
    lead = make_lead()
    services.claim_lead(lead=lead, by=alice)
    services.notify(user=alice, kind="x", template="Hello", lead=lead)
    client.force_login(alice)
    assert 'data-testid="unread">1<' in client.get("/tasks/").content.decode()
    client.post("/notifications/read/")
    assert Notification.objects.filter(user=alice, read_at__isnull=True).count() == 0


def test_system_texts_speak_the_readers_language(client, alice, bob, make_lead):
    from django.utils import translation

    lead = make_lead()
    with translation.override("en"):
        services.claim_lead(lead=lead, by=alice)
        services.notify(user=alice, kind="x", template="Lead assigned to you: %(name)s", lead=lead, name="Ivan")
    alice.language = "ru"
    alice.save()
    client.force_login(alice)
    tasks_page = client.get("/tasks/").content.decode()
    assert "Позвонить лиду" in tasks_page and "Call the lead" not in tasks_page
    notes = client.get("/notifications/").content.decode()
    assert "Ivan" in notes and "Lead assigned to you" not in notes


def test_board_filters_by_owner_and_team(client, admin_user, alice, carol, make_lead, other_team):
    mine = make_lead(owner=alice)
    theirs = make_lead(owner=carol, team=other_team)
    client.force_login(admin_user)
    everything = client.get("/board/").content.decode()
    assert f"/leads/{mine.pk}/" in everything and f"/leads/{theirs.pk}/" in everything
    by_team = client.get("/board/", {"team": other_team.pk}).content.decode()
    assert f"/leads/{mine.pk}/" not in by_team and f"/leads/{theirs.pk}/" in by_team
    by_owner = client.get("/board/", {"owner": alice.pk}).content.decode()
    assert f"/leads/{mine.pk}/" in by_owner and f"/leads/{theirs.pk}/" not in by_owner


def test_password_reset_sends_a_link_by_mail(client, alice):
    from django.core import mail

    response = client.post("/account/password_reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "/account/reset/" in mail.outbox[0].body


def test_team_page_counts_each_managers_load(client, head, alice, bob, make_lead):
    from datetime import timedelta

    from django.utils import timezone

    from leadflow.clients.models import Client as ClientCard

    for _ in range(3):
        make_lead(owner=alice)
    make_lead(owner=bob)
    ClientCard.objects.create(name="Acme", owner=alice, team=alice.team)
    Task.objects.filter(assignee=alice).update(due_at=timezone.now() - timedelta(hours=1))
    client.force_login(head)
    team_page = client.get("/team/")
    people = {p.username: (p.open_leads, p.open_clients, p.overdue_tasks) for p in team_page.context["people"]}
    assert people["alice"] == (3, 1, 3) and people["bob"] == (1, 0, 0)


def test_a_link_in_an_activity_opens_and_markup_stays_text(as_alice, alice, make_lead):
    lead = make_lead(owner=alice)
    services.log_activity(lead=lead, kind="call", by=alice, subject="Incoming call",
                          body="Recording: https://pbx.example.com/rec/42.mp3\n<script>alert(1)</script>")
    page = as_alice.get(f"/leads/{lead.pk}/").content.decode()
    assert '<a href="https://pbx.example.com/rec/42.mp3" rel="nofollow">' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_team_page_shows_the_fifty_longest_waiting_and_says_there_are_more(client, head, make_lead):
    from leadflow.leads.views import TEAM_ROWS

    leads = [make_lead() for _ in range(TEAM_ROWS + 1)]
    client.force_login(head)
    page = client.get("/team/").content.decode()
    assert f"({TEAM_ROWS}+)" in page and 'href="/pool/"' in page
    assert f'value="{leads[0].pk}"' in page  # the oldest waits longest: shown
    assert f'value="{leads[-1].pk}"' not in page  # the newest is the one left for the pool page


def test_board_tiles_show_the_age_in_the_readers_language(client, alice, make_lead):
    from datetime import timedelta

    from django.utils import timezone

    lead = make_lead(owner=alice)
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=3, hours=5))
    client.force_login(alice)
    tile = client.get("/board/").content.decode().split(f'id="tile-{lead.pk}"')[1].split("</div>")[0]
    assert ">3 d ·" in tile and f'action="/leads/{lead.pk}/stage/"' in tile
    assert 'name="csrfmiddlewaretoken" value="' in tile
    alice.language = "ru"
    alice.save(update_fields=["language"])
    tile = client.get("/board/").content.decode().split(f'id="tile-{lead.pk}"')[1].split("</div>")[0]
    assert ">3 д ·" in tile


def test_the_refuse_forms_reasons_are_in_the_readers_alphabetical_order(alice, make_lead):
    """Seeded reasons are worded in the reader's language; a Russian list in the order of the English names
    was no order at all."""
    import html
    import re

    lead = make_lead(owner=alice)
    for language in ("ru", "en"):
        alice.language = language
        alice.save(update_fields=["language"])
        web = HttpClient()
        web.force_login(alice)
        page = web.get(f"/leads/{lead.pk}/").content.decode()
        select = page.split('id="refuse_reason"', 1)[1].split("</select>", 1)[0]
        names = [html.unescape(name) for name in re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)]
        assert len(names) >= 3 and names == sorted(names, key=str.casefold), (language, names)
        if language == "ru":
            assert all(re.search("[а-яА-Я]", name) for name in names), names
