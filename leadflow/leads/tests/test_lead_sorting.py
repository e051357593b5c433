"""The lead list sorted by predictive score and by temperature: order, paging, visibility, query counts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from leadflow.leads import services
from leadflow.leads.models import Lead, LostReason
from leadflow.scoring.models import ModelStatus, Prediction, ScoringModel

pytestmark = pytest.mark.django_db


def trained_model(**extra) -> ScoringModel:
    return ScoringModel.objects.create(status=ModelStatus.TRAINED, trained_at=timezone.now(), **extra)


def score(lead: Lead, probability: float, model: ScoringModel) -> None:
    Prediction.objects.update_or_create(lead=lead, defaults={"model": model, "probability": probability})


def hotness(lead: Lead, temperature: str) -> None:
    Lead.objects.filter(pk=lead.pk).update(temperature=temperature)


def all_pages(client, params: dict, limit: int) -> list[int]:
    """Every id the API lists, following the cursor page by page."""
    seen: list[int] = []
    cursor = None
    while True:
        page = client.get("/api/leads", {**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.content
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return seen


def test_score_best_first_ties_by_newest_unscored_last(api_as, alice, make_lead):
    model = trained_model()
    a, b, c, d, e, f = (make_lead(owner=alice) for _ in range(6))
    score(a, 0.40, model)
    score(b, 0.91, model)
    score(c, 0.40, model)  # same score as a, newer: before a
    score(e, 0.05, model)
    # d and f have no score: last, newest first
    expected = [b.pk, c.pk, a.pk, e.pk, f.pk, d.pk]
    client = api_as(alice)
    assert [i["id"] for i in client.get("/api/leads", {"sort": "score"}).json()["items"]] == expected
    for limit in (1, 2, 3, 4):  # the cursor crosses every boundary, also from scored into unscored leads
        assert all_pages(client, {"sort": "score"}, limit) == expected, limit


def test_a_score_the_card_does_not_show_sorts_as_unscored(api_as, alice, make_lead):
    old = trained_model()
    stale, fresh, never = (make_lead(owner=alice) for _ in range(3))
    score(stale, 0.99, old)
    current = trained_model()
    score(fresh, 0.10, current)
    # stale's 0.99 comes from a model no longer in use: its card shows no score, so neither does the order.
    ids = [i["id"] for i in api_as(alice).get("/api/leads", {"sort": "score"}).json()["items"]]
    assert ids == [fresh.pk, never.pk, stale.pk]


def test_a_closed_lead_keeps_its_last_score_in_the_order(api_as, alice, make_lead):
    old = trained_model()
    refused, open_one = make_lead(owner=alice), make_lead(owner=alice)
    score(refused, 0.70, old)
    services.refuse_lead(lead=refused, reason=LostReason.objects.first(), by=alice)
    score(open_one, 0.20, trained_model())
    ids = [i["id"] for i in api_as(alice).get("/api/leads", {"sort": "score", "state": "refused"}).json()["items"]]
    assert ids == [refused.pk]
    ids = [i["id"] for i in api_as(alice).get("/api/leads", {"sort": "score"}).json()["items"]]
    assert ids == [refused.pk, open_one.pk]


def test_hottest_first_ties_by_newest(api_as, alice, make_lead):
    leads = [make_lead(owner=alice) for _ in range(6)]
    for lead, temperature in zip(leads, ["hot", "cold", "warm", "hot", "cold", "warm"], strict=True):
        hotness(lead, temperature)
    expected = [leads[3].pk, leads[0].pk, leads[5].pk, leads[2].pk, leads[4].pk, leads[1].pk]
    client = api_as(alice)
    assert [i["id"] for i in client.get("/api/leads", {"sort": "hottest"}).json()["items"]] == expected
    for limit in (1, 2, 4, 5):
        assert all_pages(client, {"sort": "hottest"}, limit) == expected, limit


def test_sorting_keeps_the_filters(api_as, alice, make_lead):
    hot_new, warm = make_lead(owner=alice), make_lead(owner=alice)
    hotness(hot_new, "hot")
    hotness(warm, "warm")
    ids = [i["id"] for i in api_as(alice).get("/api/leads", {"sort": "hottest", "temperature": "warm"}).json()["items"]]
    assert ids == [warm.pk]


def test_bob_sees_only_what_he_saw_in_every_order(api_as, alice, bob, carol, make_lead, other_team):
    model = trained_model()
    mine = [make_lead(owner=bob) for _ in range(2)]
    alices = [make_lead(owner=alice) for _ in range(2)]
    pool = [make_lead() for _ in range(2)]
    elsewhere = make_lead(owner=carol, team=other_team)
    for n, lead in enumerate([*mine, *alices, *pool, elsewhere]):
        score(lead, 0.1 * (n + 1), model)
        hotness(lead, "hot")
    client = api_as(bob)
    newest = [i["id"] for i in client.get("/api/leads").json()["items"]]
    assert set(newest) == {lead.pk for lead in [*mine, *pool]}
    for sort in ("score", "hottest"):
        assert sorted(all_pages(client, {"sort": sort}, 1)) == sorted(newest), sort


def test_unknown_sort_names_the_field(api_as, alice):
    response = api_as(alice).get("/api/leads", {"sort": "loudest"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["sort"]


def test_a_cursor_of_another_order_is_refused(api_as, alice, make_lead):
    for _ in range(3):
        make_lead(owner=alice)
    client = api_as(alice)
    newest_cursor = client.get("/api/leads", {"limit": 1}).json()["next_cursor"]
    response = client.get("/api/leads", {"sort": "score", "cursor": newest_cursor})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["cursor"]


def test_list_page_sorted_by_score_shows_the_scores(client, alice, make_lead):
    model = trained_model()
    low, high, none = make_lead(owner=alice, last_name="Low"), make_lead(owner=alice, last_name="High"), \
        make_lead(owner=alice, last_name="Unscored")
    score(low, 0.12, model)
    score(high, 0.87, model)
    client.force_login(alice)
    page = client.get("/leads/", {"sort": "score"}).content.decode()
    assert page.index("High") < page.index("Low") < page.index("Unscored")
    assert "score 87%" in page and "score 12%" in page
    assert '<option value="score" selected>' in page
    assert none.full_name in page


def test_list_page_hottest_first_pages_with_the_order(client, alice, make_lead, monkeypatch):
    from leadflow.leads import views

    monkeypatch.setattr(views, "PAGE", 2)  # a short page, so the second one is reached with a few leads
    leads = [make_lead(owner=alice, last_name=f"Person{n}") for n in range(4)]
    for lead, temperature in zip(leads, ["cold", "hot", "cold", "warm"], strict=True):
        hotness(lead, temperature)
    client.force_login(alice)
    first = client.get("/leads/", {"sort": "hottest"}).content.decode()
    assert first.index("Person1") < first.index("Person3")
    assert "Person2" not in first and "Person0" not in first
    cursor = first.split("after=")[1].split('"')[0]
    second = client.get("/leads/", {"sort": "hottest", "after": cursor}, HTTP_HX_REQUEST="true").content.decode()
    assert second.index("Person2") < second.index("Person0")
    assert "Person1" not in second


def test_sorted_list_page_makes_a_fixed_number_of_queries(client, alice, make_lead, django_assert_num_queries):
    from leadflow.warming.services import policy

    model = trained_model()
    policy()  # the points settings row, read once and kept like on a running site
    client.force_login(alice)
    # The page of test_pages (9 queries) minus its newest-first read, plus one query per tier and, for
    # the score, the model in use and the best values and their ties read first; for the points within a
    # temperature, the page's ids read first. Hottest first has five tiers (hot, warm, and the cold leads with points,
    # without, and below zero); a tier with no leads stops at its ids.
    expected = {"score": 13, "hottest": 14}
    for round_size in (5, 10):
        for _ in range(round_size):
            lead = make_lead(owner=alice)
            score(lead, 0.5, model)
            hotness(lead, "hot")
        for sort, count in expected.items():
            with django_assert_num_queries(count):
                assert client.get("/leads/", {"sort": sort}).status_code == 200


# ---------------------------------------------------------------- hottest first: points now within a temperature


def points(lead: Lead, *, fit: int = 0, behaviour: float = 0.0, days_ago: float = 0.0) -> None:
    """The lead's points row as the warming room writes it: `behaviour` points as of `days_ago`, fading since."""
    from datetime import timedelta

    from leadflow.warming import services as warming
    from leadflow.warming.models import LeadScore

    as_of = timezone.now() - timedelta(days=days_ago)
    LeadScore.objects.update_or_create(lead=lead, defaults={
        "fit_points": fit, "behaviour_points": behaviour, "as_of": as_of,
        "fading_anchor": warming.fading_anchor(behaviour, as_of=as_of,
                                               half_life_days=warming.policy().half_life_days)})


def test_hottest_first_orders_a_temperature_by_points_now_then_newest(api_as, alice, make_lead):
    named = {}
    for name in ("faded", "fresh", "fit_only", "taken_away", "no_row", "tie_old", "tie_new", "negative", "warm"):
        named[name] = make_lead(owner=alice)
        hotness(named[name], "warm" if name == "warm" else "hot")
    # Default half-life: 30 days.
    points(named["faded"], behaviour=80.0, days_ago=60)  # 20 now, though the most points ever stored
    points(named["fresh"], behaviour=35.0)  # 35
    points(named["fit_only"], fit=30)  # 30, fit points do not fade
    points(named["taken_away"], fit=50, behaviour=-20.0, days_ago=30)  # 50 - 10 = 40, fades back up
    points(named["tie_old"], fit=10)  # 10
    points(named["tie_new"], fit=10)  # 10: tied with tie_old, newer first
    points(named["negative"], behaviour=-4.0)  # -4: below a lead with no points at all
    points(named["warm"], fit=500)  # a warm lead comes after every hot one, whatever its points
    expected = [named[n].pk for n in ("taken_away", "fresh", "fit_only", "faded", "tie_new", "tie_old", "no_row",
                                      "negative", "warm")]
    client = api_as(alice)
    assert [i["id"] for i in client.get("/api/leads", {"sort": "hottest"}).json()["items"]] == expected
    for limit in (1, 2, 3, 4, 5, 7):  # the cursor crosses ties, tiers and the lead without points
        assert all_pages(client, {"sort": "hottest"}, limit) == expected, limit


def test_hottest_first_lists_cold_leads_by_their_points_after_the_warm_ones(api_as, alice, make_lead):
    # Cold leads follow their points now as the hot and warm ones do (they came newest first, whatever their points:
    # a cold lead with 15 points after a newer one with none). Leads without points, newest first, between those
    # with points and those with points taken away.
    named = {}
    for name in ("fifteen", "none_old", "faded", "minus", "none_new", "fit", "zero_row", "warm"):
        named[name] = make_lead(owner=alice)
    hotness(named["warm"], "warm")
    points(named["fifteen"], behaviour=15.0)  # 15
    points(named["faded"], behaviour=40.0, days_ago=60)  # 10 now
    points(named["fit"], fit=12)  # 12
    points(named["minus"], behaviour=-3.0)  # -3: below the leads without points
    points(named["zero_row"])  # a points row holding nothing: no points, like the leads without a row
    expected = [named[n].pk for n in ("warm", "fifteen", "fit", "faded", "zero_row", "none_new", "none_old", "minus")]
    client = api_as(alice)
    for limit in (1, 2, 3, 5, 10):  # the cursor crosses the three cold tiers
        assert all_pages(client, {"sort": "hottest"}, limit) == expected, limit
    # The cold leads alone (the warming list of cold leads), hottest first: the same order.
    assert all_pages(client, {"sort": "hottest", "temperature": "cold"}, 2) == expected[1:]


def test_hottest_first_reads_points_faded_to_now_not_as_stored(api_as, alice, make_lead):
    # The anchor orders leads of one fit value; across fit values and signs only the points now do.
    earned_long_ago, fit_person, lost_points = (make_lead(owner=alice) for _ in range(3))
    for lead in (earned_long_ago, fit_person, lost_points):
        hotness(lead, "hot")
    points(earned_long_ago, behaviour=200.0, days_ago=90)  # 25 now
    points(fit_person, fit=24)  # 24
    points(lost_points, fit=60, behaviour=-100.0, days_ago=30)  # 60 - 50 = 10
    ids = [i["id"] for i in api_as(alice).get("/api/leads", {"sort": "hottest"}).json()["items"]]
    assert ids == [earned_long_ago.pk, fit_person.pk, lost_points.pk]
    points(earned_long_ago, behaviour=200.0, days_ago=120)  # 12.5 now: below the fit person, above the loser
    ids = [i["id"] for i in api_as(alice).get("/api/leads", {"sort": "hottest"}).json()["items"]]
    assert ids == [fit_person.pk, earned_long_ago.pk, lost_points.pk]


def test_hottest_pages_read_points_at_the_first_pages_moment(api_as, alice, make_lead):
    import base64

    leads = [make_lead(owner=alice) for _ in range(3)]
    for n, lead in enumerate(leads):
        hotness(lead, "hot")
        points(lead, behaviour=10.0 * (n + 1))
    client = api_as(alice)
    first = client.get("/api/leads", {"sort": "hottest", "limit": 1}).json()
    assert [i["id"] for i in first["items"]] == [leads[2].pk]
    read_at = base64.urlsafe_b64decode(first["next_cursor"]).decode().split("|")[-1]
    second = client.get("/api/leads", {"sort": "hottest", "limit": 1, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in second["items"]] == [leads[1].pk]
    assert base64.urlsafe_b64decode(second["next_cursor"]).decode().split("|")[-1] == read_at


def test_list_page_hottest_first_shows_more_points_first(client, alice, make_lead):
    few, many = make_lead(owner=alice, last_name="Fewpoints"), make_lead(owner=alice, last_name="Manypoints")
    for lead in (few, many):
        hotness(lead, "hot")
    points(few, behaviour=55.0)
    points(many, behaviour=90.0)
    client.force_login(alice)
    page = client.get("/leads/", {"sort": "hottest"}).content.decode()
    assert page.index("Manypoints") < page.index("Fewpoints")
    # The rows show the points they are ordered by, not the points as a score in per cent ("score 9000%").
    assert ">90 points<" in page and ">55 points<" in page and "%</span>" not in page


def test_list_page_of_cold_leads_hottest_first_follows_the_points_shown(client, alice, make_lead):
    older, newer, _ = (make_lead(owner=alice, last_name=name) for name in ("Olderseven", "Newerthree", "Nonepts"))
    points(older, fit=7)
    points(newer, behaviour=3.0)
    client.force_login(alice)
    page = client.get("/leads/", {"sort": "hottest", "temperature": "cold"}).content.decode()
    assert page.index("Olderseven") < page.index("Newerthree") < page.index("Nonepts")
    assert page.index(">7 points<") < page.index(">3 points<") < page.index(">0 points<")
