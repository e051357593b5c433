"""The lead card's points panel and the marketing page: who sees what, everything escaped."""

import pytest

from leadflow.warming.models import EventKind
from leadflow.warming.services import record_behaviour, set_temperature

pytestmark = pytest.mark.django_db


def test_card_shows_points_history_and_events_escaped(client, alice, make_lead, policy, make_rule):
    lead = make_lead(owner=alice)
    make_rule(EventKind.ADD_TO_CART, 10)
    record_behaviour(EventKind.ADD_TO_CART, lead=lead, url="https://shop.example/<script>alert(1)</script>",
                     properties={"<b>sku</b>": "<img src=x onerror=alert(2)>"})
    client.force_login(alice)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'data-testid="points-now">10<' in page
    assert "+10 added to cart on " in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>sku</b>" not in page


def test_marketing_page_lists_the_hottest_and_recent_hand_offs(client, head, make_nurtured, policy, make_rule,
                                                               make_lead, other_team, sales):
    make_rule(EventKind.WEBINAR_ATTENDED, 20)
    warm = make_nurtured(first_name="Warm")
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=warm)
    cold = make_nurtured(first_name="Cold")
    handed = make_nurtured(first_name="Handed")
    set_temperature(handed, "hot", by=head, reason="manual")
    elsewhere = make_nurtured(first_name="Elsewhere", team=other_team)
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=elsewhere)
    client.force_login(head)
    response = client.get("/marketing/")
    assert response.status_code == 200
    page = response.content.decode()
    hottest = page.split('data-testid="hottest"')[1].split("</table>")[0]
    assert warm.full_name in hottest and elsewhere.full_name not in hottest  # the head sees the own team
    assert cold.full_name not in hottest  # no points yet
    recent = page.split('data-testid="handed"')[1].split("</table>")[0]
    assert handed.full_name in recent


def test_marketer_sees_every_team_without_card_links(client, mary, make_nurtured, policy, make_rule, other_team):
    make_rule(EventKind.WEBINAR_ATTENDED, 20)
    lead = make_nurtured(first_name="<i>Elsewhere</i>", team=other_team)
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead)
    client.force_login(mary)
    page = client.get("/marketing/").content.decode()
    assert "&lt;i&gt;Elsewhere&lt;/i&gt;" in page and "<i>Elsewhere" not in page
    assert f"/leads/{lead.pk}/" not in page


@pytest.mark.parametrize("who", ["alice", "carol"])
def test_managers_may_not_open_the_marketing_page(client, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/marketing/").status_code == 404


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/marketing/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_marketing_page_reads_a_fixed_number_of_queries(client, admin_user, make_nurtured, policy, make_rule,
                                                        django_assert_max_num_queries):
    make_rule(EventKind.WEBINAR_ATTENDED, 20)
    for _ in range(6):
        record_behaviour(EventKind.WEBINAR_ATTENDED, lead=make_nurtured())
    client.force_login(admin_user)
    with django_assert_max_num_queries(9):
        assert client.get("/marketing/").status_code == 200


def test_marketing_page_lists_the_most_points_now_first_fit_points_included(client, head, sales, policy):
    # 500 nurtured leads got 5 points today; one more has 100 fit points (they do not fade) and no behaviour since a
    # year ago. The hottest list puts it first with its 100 points, then the others (5 each, newest first); it
    # missed the lead before, reading candidates by the largest stored behaviour sums and the freshest rows only.
    from datetime import timedelta

    from django.utils import timezone

    from leadflow.leads.models import Lead, LeadState
    from leadflow.leads.services import initial_stage
    from leadflow.warming import services as warming
    from leadflow.warming.models import LeadScore

    now, half_life = timezone.now(), warming.policy().half_life_days
    stage = initial_stage()
    fit = Lead.objects.create(full_name="Fitperson", team=sales, state=LeadState.NURTURING, stage=stage,
                              created_at=now - timedelta(days=400))
    busy = Lead.objects.bulk_create([Lead(full_name=f"Busy{n:03d}", team=sales, state=LeadState.NURTURING,
                                          stage=stage, created_at=now - timedelta(minutes=n)) for n in range(500)])
    old = now - timedelta(days=365)
    LeadScore.objects.create(lead=fit, fit_points=100, behaviour_points=0, as_of=old, fading_anchor=None)
    LeadScore.objects.bulk_create([LeadScore(lead=lead, fit_points=0, behaviour_points=5.0, as_of=now,
                                             fading_anchor=warming.fading_anchor(5.0, as_of=now,
                                                                                 half_life_days=half_life))
                                   for lead in busy])
    client.force_login(head)
    page = client.get("/marketing/").content.decode()
    hottest = page.split('data-testid="hottest"')[1].split("</table>")[0]
    rows = hottest.split("<tr>")[2:]
    assert "Fitperson" in rows[0] and "<td>100</td>" in rows[0]
    assert "Busy000" in rows[1] and "<td>5</td>" in rows[1] and "Busy001" in rows[2]
