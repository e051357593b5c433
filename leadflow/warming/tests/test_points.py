"""Points: rules and their conditions, caps per period, fading by half-life, fit rules, explanations."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation

from leadflow.leads.models import Temperature
from leadflow.warming import services
from leadflow.warming.models import EventKind, FitAttribute, FitRule, LeadScore, ScoreEntry
from leadflow.warming.services import record_behaviour

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)


def points_at(lead, moment):
    return services.points_now(LeadScore.objects.get(lead=lead), now=moment)


def test_conditions_decide_which_events_score(policy, make_rule, make_lead):
    lead = make_lead()
    make_rule(EventKind.PAGE_VIEW, 5, path_prefix="/pricing", min_duration_seconds=30)
    make_rule(EventKind.ADD_TO_CART, 7, property_name="category", property_value="Tractors")
    make_rule(EventKind.VIDEO_VIEW, 3, url_contains="demo")
    record_behaviour(EventKind.PAGE_VIEW, lead=lead, url="https://shop.example/pricing/pro", duration_seconds=45)
    record_behaviour(EventKind.PAGE_VIEW, lead=lead, url="https://shop.example/pricing", duration_seconds=10)  # short
    record_behaviour(EventKind.PAGE_VIEW, lead=lead, url="https://shop.example/blog/pricing", duration_seconds=90)
    record_behaviour(EventKind.ADD_TO_CART, lead=lead, properties={"category": "tractors"})
    record_behaviour(EventKind.ADD_TO_CART, lead=lead, properties={"category": "seeds"})
    record_behaviour(EventKind.VIDEO_VIEW, lead=lead, url="https://shop.example/Demo-video")
    assert sorted(ScoreEntry.objects.filter(lead=lead).values_list("points", flat=True)) == [3, 5, 7]


def test_negative_points_take_away(policy, make_rule, make_lead):
    lead = make_lead()
    make_rule(EventKind.WEBINAR_ATTENDED, 20)
    make_rule(EventKind.TRIAL_ENDING, -8)
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead, occurred_at=T0)
    record_behaviour(EventKind.TRIAL_ENDING, lead=lead, occurred_at=T0)
    assert points_at(lead, T0) == pytest.approx(12)


def test_cap_per_period_limits_a_rule(policy, make_rule, make_lead):
    lead = make_lead()
    make_rule(EventKind.PAGE_VIEW, 10, cap_points=25, cap_days=7)
    for hours in (0, 1, 2, 3):  # 10 + 10 + 5 (capped) + nothing
        record_behaviour(EventKind.PAGE_VIEW, lead=lead, occurred_at=T0 + timedelta(hours=hours))
    assert list(ScoreEntry.objects.filter(lead=lead).order_by("occurred_at").values_list("points", flat=True)) == [
        10, 10, 5]
    # Eight days later the window has moved on: the rule gives again.
    record_behaviour(EventKind.PAGE_VIEW, lead=lead, occurred_at=T0 + timedelta(days=8))
    assert ScoreEntry.objects.filter(lead=lead).count() == 4
    with translation.override("en"):
        capped = ScoreEntry.objects.get(lead=lead, points=5)
        assert capped.explanation == "+5 page view on March 12 (capped: at most 25 per 7 days)"


def test_points_halve_every_half_life(policy, make_rule, make_lead):
    lead = make_lead()
    make_rule(EventKind.WEBINAR_ATTENDED, 40)
    make_rule(EventKind.ADD_TO_CART, 20)
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead, occurred_at=T0)
    # Worked by hand, half-life 10 days: 40 at day 0; 40 × 0.5^(5/10) = 28.284 at day 5; 20 at day 10.
    assert points_at(lead, T0) == pytest.approx(40)
    assert points_at(lead, T0 + timedelta(days=5)) == pytest.approx(28.2843, abs=1e-4)
    assert points_at(lead, T0 + timedelta(days=10)) == pytest.approx(20)
    # +20 on day 10: 20 + 20 = 40 then; on day 20: 10 + 10 = 20.
    record_behaviour(EventKind.ADD_TO_CART, lead=lead, occurred_at=T0 + timedelta(days=10))
    assert points_at(lead, T0 + timedelta(days=10)) == pytest.approx(40)
    assert points_at(lead, T0 + timedelta(days=20)) == pytest.approx(20)
    # The same number from the history alone (rebuilt after a half-life change): Σ points × 0.5^(age/10).
    rebuilt = services.rescore(lead=lead, now=T0 + timedelta(days=20))
    assert services.points_now(rebuilt, now=T0 + timedelta(days=20)) == pytest.approx(20)


def test_decay_pass_cools_hot_to_warm_to_cold_at_the_computed_moments(policy, make_rule, make_lead, alice):
    lead = make_lead(owner=alice)
    make_rule(EventKind.WEBINAR_ATTENDED, 40)
    now = timezone.now()
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead, occurred_at=now)
    lead.refresh_from_db()
    assert lead.temperature == Temperature.HOT
    # 40 falls below 35 after 10 × log2(40/35) = 1.9265 days, below 15 after 10 × log2(40/15) = 14.150 days.
    assert services.cool_down(now=now + timedelta(days=1.92)) == 0
    lead.refresh_from_db()
    assert lead.temperature == Temperature.HOT
    assert services.cool_down(now=now + timedelta(days=1.93)) == 1
    lead.refresh_from_db()
    assert (lead.temperature, lead.owner) == (Temperature.WARM, alice)  # cooler, still alice's
    assert services.cool_down(now=now + timedelta(days=14.14)) == 0
    assert services.cool_down(now=now + timedelta(days=14.16)) == 1
    lead.refresh_from_db()
    assert (lead.temperature, lead.owner, lead.state) == (Temperature.COLD, alice, "open")
    assert LeadScore.objects.get(lead=lead).cools_at is None  # cold: nothing left to cool
    assert services.cool_down(now=now + timedelta(days=400)) == 0


def test_decay_pass_reads_only_due_leads(policy, make_rule, make_lead, django_assert_max_num_queries):
    make_rule(EventKind.PAGE_VIEW, 20)
    for _ in range(5):
        record_behaviour(EventKind.PAGE_VIEW, lead=make_lead())  # warm, not due for days
    with django_assert_max_num_queries(2):
        assert services.cool_down(now=timezone.now() + timedelta(days=1)) == 0


def test_explanations_render_in_the_readers_language_and_locale(policy, make_rule, make_lead):
    lead = make_lead()
    make_rule(EventKind.WEBINAR_ATTENDED, 10)
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead, occurred_at=T0)
    entry = ScoreEntry.objects.get(lead=lead)
    # Stored as a template and values, not as text in the writer's language.
    assert (entry.text_key, entry.text_params) == ("%(points)s %(event)s on %(date)s", {"kind": "webinar_attended"})
    with translation.override("en"), timezone.override("Europe/Moscow"):
        assert entry.explanation == "+10 webinar attended on March 12"
    with translation.override("ru"), timezone.override("Europe/Moscow"):
        assert entry.explanation == "+10: участие в вебинаре, 12 марта"
    # The reader's time zone decides the day: 23:30 UTC on 12 March is 13 March in Moscow.
    late = record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead, occurred_at=T0.replace(hour=23, minute=30))
    with translation.override("en"), timezone.override("Europe/Moscow"):
        assert ScoreEntry.objects.get(event=late).explanation == "+10 webinar attended on March 13"


def test_fit_rules_score_the_profile_and_take_back_when_it_changes(policy, make_lead, head):
    from leadflow.leads.services import update_lead

    FitRule.objects.create(name="Directors", attribute=FitAttribute.POSITION, values="director\nдиректор",
                           points=15)
    FitRule.objects.create(name="Mid-size", attribute=FitAttribute.COMPANY_SIZE, min_size=50, max_size=500,
                           points=10)
    FitRule.objects.create(name="Moscow", attribute=FitAttribute.REGION, values="Москва\nMoscow", points=5)
    FitRule.objects.create(name="Tractors", attribute=FitAttribute.PRODUCT, values="tractors", points=4)
    lead = make_lead(position="Генеральный директор", company_size=120, city="москва", product_interest="Seeds")
    assert services.evaluate_fit(lead=lead) == 30
    assert services.evaluate_fit(lead=lead) == 30  # again: nothing doubles
    update_lead(lead=lead, changes={"position": "Accountant"}, by=head)
    lead.refresh_from_db()
    assert services.evaluate_fit(lead=lead) == 15
    with translation.override("en"):
        assert [e.explanation for e in ScoreEntry.objects.filter(lead=lead).order_by("id")][-1] == \
            "-15 no longer fits: Directors"
    # Fit points do not fade.
    assert points_at(lead, timezone.now() + timedelta(days=300)) == pytest.approx(15)


def test_points_rules_from_the_admin_are_validated(policy):
    from django.core.exceptions import ValidationError

    from leadflow.warming.models import PointsRule

    rule = PointsRule(name="x", kind=EventKind.PAGE_VIEW, points=0, path_prefix="pricing", property_name="sku")
    with pytest.raises(ValidationError) as raised:
        rule.full_clean()
    assert set(raised.value.message_dict) >= {"points"}
    rule.points = 5
    with pytest.raises(ValidationError) as raised:
        rule.full_clean()
    assert set(raised.value.message_dict) == {"property_value"}


def test_changing_the_half_life_in_the_admin_rebuilds_the_points(client, admin_user, policy, make_rule, make_lead,
                                                                 django_capture_on_commit_callbacks):
    lead = make_lead()
    make_rule(EventKind.WEBINAR_ATTENDED, 40)
    now = timezone.now()
    record_behaviour(EventKind.WEBINAR_ATTENDED, lead=lead, occurred_at=now - timedelta(days=10))
    assert points_at(lead, now) == pytest.approx(20, abs=0.01)  # half-life 10 days
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/warming/pointspolicy/{policy.pk}/change/",
                               {"half_life_days": "5", "warm_at": "15", "hot_at": "35"})
    assert response.status_code == 302
    assert points_at(lead, now) == pytest.approx(10, abs=0.01)  # 40 × 0.5^(10/5)


def test_thresholds_must_be_in_order(policy):
    from django.core.exceptions import ValidationError

    policy.hot_at = 10
    with pytest.raises(ValidationError) as raised:
        policy.full_clean()
    assert set(raised.value.message_dict) == {"hot_at"}
