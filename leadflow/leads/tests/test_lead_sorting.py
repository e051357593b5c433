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
    model = trained_model()
    client.force_login(alice)
    # The page of test_pages (8 queries) minus its newest-first read, plus one query per tier (three) and,
    # for the score, the model in use and the best values and their ties read first.
    expected = {"score": 12, "hottest": 10}
    for round_size in (5, 10):
        for _ in range(round_size):
            lead = make_lead(owner=alice)
            score(lead, 0.5, model)
            hotness(lead, "hot")
        for sort, count in expected.items():
            with django_assert_num_queries(count):
                assert client.get("/leads/", {"sort": sort}).status_code == 200
