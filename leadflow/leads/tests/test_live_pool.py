"""The pool keeps itself fresh: an open pool page learns of new leads without a reload, and the menu shows how
many wait (speed to lead: a manager watching the pool sees a new lead within seconds)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow.leads import services

pytestmark = pytest.mark.django_db


def _look(client, since):
    return client.get("/pool/", {"since": since.isoformat()}, HTTP_HX_REQUEST="true")


def test_the_poll_brings_the_leads_that_came_in_since_the_last_look(client, alice, make_lead):
    client.force_login(alice)
    old = make_lead()
    page = client.get("/pool/")
    seen = page.context["now"]
    assert f'data-seen="{seen.isoformat()}"' in page.content.decode()

    new = make_lead(first_name="Новый")
    answer = _look(client, seen)
    assert answer.status_code == 200
    rows = answer.content.decode()
    assert f'id="pool-{new.pk}"' in rows and "Новый" in rows
    assert answer["X-Pool-Count"] == "2"
    assert answer["Cache-Control"] == "no-store"
    assert timezone.datetime.fromisoformat(answer["X-Pool-Seen"]) >= seen
    # The next look starts from this one: it looks back only a short overlap, not at the whole pool again.
    assert f'id="pool-{old.pk}"' not in _look(client, timezone.now() + timedelta(minutes=5)).content.decode()


def test_a_lead_handed_to_sales_long_after_it_was_created_is_news_too(client, alice, make_lead):
    lead = make_lead()
    lead.created_at = timezone.now() - timedelta(days=30)
    lead.save(update_fields=["created_at"])
    client.force_login(alice)
    assert f'id="pool-{lead.pk}"' in _look(client, timezone.now() - timedelta(seconds=5)).content.decode()


def test_the_poll_shows_only_the_pool_the_reader_may_see(client, alice, bob, other_team, make_lead):
    theirs = make_lead(team=other_team)
    claimed = make_lead()
    services.claim_lead(lead=claimed, by=bob)
    client.force_login(alice)
    answer = _look(client, timezone.now() - timedelta(minutes=1))
    rows = answer.content.decode()
    assert f"pool-{theirs.pk}" not in rows and f"pool-{claimed.pk}" not in rows
    assert answer["X-Pool-Count"] == "0"


@pytest.mark.parametrize("since", ["yesterday", "2026-11-23T10:00:00", "9" * 200, "", "2026-02-30T10:00:00+00:00",
                                   "2026-11-23T25:00:00+00:00", "2026-11-23T10:00:00+99:00", "2026-11-23T10:00\x00"])
def test_a_bad_moment_is_a_clear_400(client, alice, since):
    client.force_login(alice)
    answer = client.get("/pool/", {"since": since})
    assert answer.status_code == 400
    assert "since" in answer.content.decode()


def test_the_menu_badge_counts_the_waiting_leads_and_the_bell_refreshes_it(client, alice, other_team, make_lead):
    client.force_login(alice)
    assert 'data-testid="pool-count"' not in client.get("/tasks/").content.decode(), "no badge for an empty pool"
    for team in (None, None, other_team):
        make_lead(team=team)
    page = client.get("/tasks/").content.decode()
    assert '<span class="badge" data-testid="pool-count" title="Leads waiting in the pool">2</span>' in page
    bell = client.get("/notifications/", {"bell": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="pool-count" hx-swap-oob="true"' in bell and ">2</span>" in bell


def test_a_marketer_has_no_pool(client, sales):
    from leadflow.accounts.models import User

    client.force_login(User.objects.create_user(username="mary", role="marketer", team=sales))
    assert client.get("/pool/", {"since": timezone.now().isoformat()}).status_code == 404
    assert "pool-count" not in client.get("/").content.decode()


def test_the_badge_counts_what_the_pool_page_shows_for_every_role(head, alice, bob, admin_user, other_team,
                                                                  make_lead):
    from leadflow.leads.models import Lead

    for options in ({}, {"team": other_team}, {"owner": bob}):
        make_lead(**options)
    no_team = make_lead()
    Lead.objects.filter(pk=no_team.pk).update(team=None)
    for user in (head, alice, bob, admin_user):
        assert list(Lead.objects.pool_of(user).order_by("pk")) == list(
            Lead.objects.visible_to(user).in_pool().order_by("pk")), user.username


def test_a_deep_pool_is_counted_up_to_99_plus(client, alice, make_lead, monkeypatch):
    from leadflow.leads import context

    monkeypatch.setattr(context, "POOL_BADGE_CAP", 3)
    for _ in range(4):
        make_lead()
    client.force_login(alice)
    assert context.pool_size(alice) == "2+"
    page = client.get("/tasks/").content.decode()
    assert 'data-testid="pool-count" title="Leads waiting in the pool">2+</span>' in page
    assert client.get("/pool/", {"since": "2026-01-01T00:00:00+00:00"}, HTTP_HX_REQUEST="true")["X-Pool-Count"] == "2+"
