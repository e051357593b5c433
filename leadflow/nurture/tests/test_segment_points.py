"""Segments on warming points "now": exact around the threshold while the points fade (half-life 10 days).

Every expected figure is computed by hand from points × 0.5^(age / 10 days), written next to the assertion.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from leadflow.core.errors import InvalidInput
from leadflow.nurture import conditions
from leadflow.warming import services as warming
from leadflow.warming.models import EventKind, FitAttribute, FitRule, LeadScore, PointsPolicy, PointsRule

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)


@pytest.fixture
def policy(db: None) -> PointsPolicy:
    return PointsPolicy.objects.create(half_life_days=10, warm_at=15, hot_at=35)


def give(lead, points: int, at: datetime) -> None:
    """`points` behaviour points earned at `at` (through a rule and the real event recording)."""
    PointsRule.objects.get_or_create(name=f"rule {points}", kind=EventKind.PAGE_VIEW,
                                    defaults={"points": points}, path_prefix=f"/p{points + 100}")
    warming.record_behaviour(EventKind.PAGE_VIEW, lead=lead, occurred_at=at,
                             url=f"https://shop.example/p{points + 100}")


def members_at(least: float, moment: datetime, audience: str = conditions.LEADS) -> set[int]:
    cleaned = conditions.validate_conditions(audience, {"points": least})
    return set(conditions.members(audience, cleaned, now=moment).values_list("pk", flat=True))


def points(lead, moment: datetime) -> float:
    return warming.points_now(LeadScore.objects.get(lead=lead), now=moment)


def test_just_above_and_just_below_then_falling_below_as_time_passes(policy, make_lead):
    above, below = make_lead(), make_lead()
    give(above, 41, T0 - timedelta(days=10))  # 41 × 0.5^1 = 20.5 at T0
    give(below, 39, T0 - timedelta(days=10))  # 39 × 0.5^1 = 19.5 at T0
    assert points(above, T0) == pytest.approx(20.5)
    assert points(below, T0) == pytest.approx(19.5)
    assert members_at(20, T0) == {above.pk}
    # 41 × 0.5^(10 d 8 h / 10 d) = 41 × 0.5^1.03333 = 41 × 0.48858 = 20.032: still in.
    assert points(above, T0 + timedelta(hours=8)) == pytest.approx(20.032, abs=0.001)
    assert members_at(20, T0 + timedelta(hours=8)) == {above.pk}
    # 41 × 0.5^1.0375 = 41 × 0.48717 = 19.974 an hour later: out. The crossing is at 10 × log2(41/20) = 10.356 days.
    assert points(above, T0 + timedelta(hours=9)) == pytest.approx(19.974, abs=0.001)
    assert members_at(20, T0 + timedelta(hours=9)) == set()
    crossing = T0 - timedelta(days=10) + timedelta(days=10 * 1.0356239097307212)  # log2(2.05) = 1.03562...
    assert members_at(20, crossing - timedelta(seconds=1)) == {above.pk}
    assert members_at(20, crossing + timedelta(seconds=1)) == set()
    # Lower thresholds keep both for longer: 19.5 at T0 is at least 19.
    assert members_at(19, T0) == {above.pk, below.pk}


def test_fit_points_do_not_fade_and_points_taken_away_fade_back(policy, make_lead):
    FitRule.objects.create(name="Directors", attribute=FitAttribute.POSITION, values="director", points=10)
    FitRule.objects.create(name="Chiefs", attribute=FitAttribute.POSITION, values="ceo", points=30)
    director = make_lead(position="Sales director")
    chief = make_lead(position="CEO")
    for lead in (director, chief):
        warming.evaluate_fit(lead=lead)
    give(director, 21, T0 - timedelta(days=10))  # 10 + 21 × 0.5 = 20.5 at T0
    give(chief, -21, T0 - timedelta(days=10))  # 30 − 21 × 0.5 = 19.5 at T0, rising as the minus fades
    assert points(director, T0) == pytest.approx(20.5)
    assert points(chief, T0) == pytest.approx(19.5)
    assert members_at(20, T0) == {director.pk}
    # Five days on: 10 + 21 × 0.5^1.5 = 17.425 (out); 30 − 21 × 0.5^1.5 = 22.575 (in).
    later = T0 + timedelta(days=5)
    assert points(director, later) == pytest.approx(17.425, abs=0.001)
    assert points(chief, later) == pytest.approx(22.575, abs=0.001)
    assert members_at(20, later) == {chief.pk}
    # The fit points alone never fade: the director stays at 10 or more for good, the chief at 30 or less.
    far = T0 + timedelta(days=3650)
    assert members_at(10, far) == {director.pk, chief.pk}
    assert members_at(30, far) == set()


def test_no_points_is_zero_points(policy, make_lead):
    scored, unscored = make_lead(), make_lead()
    give(scored, 5, T0)
    assert members_at(1, T0) == {scored.pk}
    assert members_at(0, T0) == {scored.pk, unscored.pk}


def test_a_new_half_life_rebuilds_the_condition_with_the_points(policy, make_lead):
    lead = make_lead()
    give(lead, 41, T0 - timedelta(days=10))
    assert members_at(25, T0) == set()  # 20.5
    policy.half_life_days = 20
    policy.save()
    from leadflow.warming.tasks import rescore_all_leads

    rescore_all_leads.call()
    # 41 × 0.5^(10 / 20) = 28.991 with the new half-life.
    assert points(lead, T0) == pytest.approx(28.991, abs=0.001)
    assert members_at(25, T0) == {lead.pk}
    assert members_at(29, T0) == set()


def test_clients_select_on_the_points_of_their_lead(policy, make_lead, alice):
    from leadflow.leads import services

    lead = make_lead(owner=alice)
    give(lead, 41, T0 - timedelta(days=10))
    client = services.convert_lead(lead=lead, by=alice)
    assert members_at(20, T0, conditions.CLIENTS) == {client.pk}
    assert members_at(21, T0, conditions.CLIENTS) == set()


def test_a_bad_threshold_names_the_field(policy):
    with pytest.raises(InvalidInput) as error:
        conditions.validate_conditions(conditions.LEADS, {"points": "lots"})
    assert list(error.value.fields) == ["points"]


def test_segment_editor_offers_and_counts_points(client, policy, make_lead):
    from leadflow.accounts.models import Role, User

    marketer = User.objects.create_user(username="mary", password="pw", role=Role.MARKETER)
    above, below = make_lead(), make_lead()
    now = timezone.now()
    give(above, 41, now - timedelta(days=10))  # 20.5 now
    give(below, 39, now - timedelta(days=10))  # 19.5 now
    client.force_login(marketer)
    page = client.get("/marketing/segments/new/").content.decode()
    assert "Points now at least (with fading)" in page and 'name="c_points"' in page
    response = client.post("/marketing/segments/new/", {"name": "Warm enough", "audience": "leads",
                                                         "c_points": "20"})
    assert response.status_code == 302
    from leadflow.nurture.models import Segment

    segment = Segment.objects.get(name="Warm enough")
    assert segment.conditions == {"points": 20.0}
    listing = client.get("/marketing/segments/").content.decode()
    assert "Warm enough" in listing
    from leadflow.nurture.services import segment_members

    assert list(segment_members(segment).values_list("pk", flat=True)) == [above.pk]
