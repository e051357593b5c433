"""Hottest first over a base of mixed points: every page, at every page size, is the one full ORDER BY's.

The cold leads with points are read by a bound (querysets._best_by_points) instead of computing every lead's
points; these compare it with the straightforward order, one ORDER BY over every lead a user's list holds,
on random points with ties (fit points alone, one anchor shared by several leads, one creation moment for
several leads), points taken away, points exactly zero, leads without a points row, and each user's own
visibility."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.leads.models import Lead, Stage
from leadflow.leads.querysets import HOTTEST, points_now_expression, sorted_page

pytestmark = pytest.mark.django_db


def seed(rnd: random.Random, moment: datetime, teams: list, owners: list[User | None], count: int) -> None:
    from leadflow.warming import services as warming
    from leadflow.warming.models import LeadScore

    stage = Stage.objects.filter(kind="open").first()
    made = Lead.objects.bulk_create([
        Lead(first_name=f"Lead{n}", last_name="Random", full_name=f"Random Lead{n}", phone=f"+7913000{n:04d}",
             email=f"random{n}@example.ru", channel="form", stage=stage, owner=owner,
             team=owner.team if owner else rnd.choice(teams),
             state=rnd.choice(["open", "open", "open", "deferred", "refused"]),
             temperature=rnd.choice(["cold"] * 6 + ["warm", "hot"]),
             # A few creation moments only: ties on created_at, ordered by id.
             created_at=moment - timedelta(minutes=rnd.randrange(12)))
        for n in range(count) for owner in [rnd.choice(owners)]])
    made = list(Lead.objects.filter(last_name="Random").order_by("pk"))
    half_life = warming.policy().half_life_days
    shared_as_of = moment - timedelta(days=11)
    rows = []
    for lead in made:
        kind = rnd.choice(["none", "fit", "fit", "earned", "earned", "earned", "shared", "taken", "zero"])
        if kind == "none":
            continue
        fit = rnd.choice([0, 0, 5, 10, 25, -5])
        behaviour, as_of = 0.0, moment - timedelta(days=rnd.choice([0, 3.5, 30, 61]))
        if kind == "earned":
            behaviour = rnd.choice([1.0, 4.0, 10.0, 40.0, 120.0, rnd.uniform(0.5, 150)])
        elif kind == "shared":  # one anchor for several leads: a tie on points, whatever the fit
            behaviour, as_of = 20.0, shared_as_of
        elif kind == "taken":
            behaviour = -rnd.choice([3.0, 10.0, 40.0, rnd.uniform(0.5, 60)])
        elif kind == "zero":
            fit = 0
        rows.append(LeadScore(lead=lead, fit_points=fit, behaviour_points=behaviour, as_of=as_of,
                              fading_anchor=warming.fading_anchor(behaviour, as_of=as_of, half_life_days=half_life)))
    LeadScore.objects.bulk_create(rows)


def straightforward(qs: QuerySet, moment: datetime) -> list[int]:
    """Hottest first as one ORDER BY over every lead of `qs`: temperature, then (cold ones) above zero points,
    none, below zero; points now; newest."""
    points = points_now_expression(moment)
    ranked = qs.annotate(points=points, rank=Case(
        When(temperature="hot", then=Value(0)), When(temperature="warm", then=Value(1)),
        When(score__isnull=False, points__gt=0, then=Value(2)),
        When(score__isnull=False, points__lt=0, then=Value(4)),
        default=Value(3), output_field=IntegerField()))
    return list(ranked.order_by("rank", F("points").desc(), "-created_at", "-pk").values_list("pk", flat=True))


def every_page(qs: QuerySet, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        items, cursor = sorted_page(qs, HOTTEST, cursor, limit)
        assert len(items) <= limit
        seen += [item.pk for item in items]
        if cursor is None:
            return seen


@pytest.fixture
def mixed_base(sales, other_team, head, alice, bob, carol):
    moment = timezone.now()
    seed(random.Random(20261124), moment, [sales, other_team, None], [alice, bob, carol, head, None, None], 90)
    return moment


def list_of(user: User, *, cold_only: bool) -> QuerySet:
    """What the list and the API start from: the user's leads, closed ones left out."""
    qs = Lead.objects.visible_to(user).live().exclude(state__in=["refused", "converted"])
    return qs.filter(temperature="cold") if cold_only else qs


def test_every_page_size_lists_the_full_order_for_every_user(mixed_base, admin_user, head, alice, carol):
    moment = mixed_base
    with time_machine.travel(moment, tick=False):
        for user in (admin_user, head, alice, carol):
            for cold_only in (True, False):
                qs = list_of(user, cold_only=cold_only)
                expected = straightforward(qs, moment)
                assert len(expected) > 10, (user, cold_only)
                assert set(expected) == set(qs.values_list("pk", flat=True))
                for limit in range(1, len(expected) + 1):
                    assert every_page(qs, limit) == expected, (user.username, cold_only, limit)


def test_the_random_base_has_what_the_order_must_tell_apart(mixed_base):
    # The comparison above is only as good as its base: ties on points among cold leads above zero, leads at
    # zero points with a row, below zero, without a row, and shared creation moments.
    moment = mixed_base
    cold = Lead.objects.filter(temperature="cold").annotate(points=points_now_expression(moment))
    above = list(cold.filter(score__isnull=False, points__gt=0).values_list("points", flat=True))
    assert len(above) > 15 and len(set(above)) < len(above) - 5
    assert cold.filter(score__isnull=False, points=0).exists()
    assert cold.filter(score__isnull=False, points__lt=0).count() > 3
    assert cold.filter(score__isnull=True).count() > 3
    assert Lead.objects.values("created_at").distinct().count() < Lead.objects.count() / 4


def test_api_pages_of_cold_leads_follow_the_full_order(mixed_base, api_as, head, alice):
    moment = mixed_base
    with time_machine.travel(moment, tick=False):
        for user in (head, alice):
            client = api_as(user)
            # The API lists every lead the user sees but merged ones (closed ones too).
            expected = straightforward(Lead.objects.visible_to(user).live().filter(temperature="cold"), moment)
            for limit in (1, 3, 7, 50):
                seen, cursor = [], None
                while True:
                    page = client.get("/api/leads", {"sort": "hottest", "temperature": "cold", "limit": limit,
                                                     **({"cursor": cursor} if cursor else {})})
                    assert page.status_code == 200, page.content
                    seen += [item["id"] for item in page.json()["items"]]
                    cursor = page.json()["next_cursor"]
                    if not cursor:
                        break
                assert seen == expected, (user.username, limit)


def test_a_lead_far_down_both_reads_still_comes_first_by_its_points(alice, head):
    # The reads by fit points and by anchor stop early; a lead neither reached is bounded by the fit points
    # where the first stopped PLUS the fading points where the second stopped. Here both reads are filled by
    # others of the list (leads with more fading points but far fewer fit points, below zero; leads with more
    # fit points), and a lead reached by neither has more points than every lead read.
    from leadflow.warming import services as warming
    from leadflow.warming.models import LeadScore

    moment = timezone.now()
    half_life = warming.policy().half_life_days
    stage = Stage.objects.filter(kind="open").first()

    def leads(count: int) -> list[Lead]:
        first = Lead.objects.count()
        return Lead.objects.bulk_create([
            Lead(first_name=f"P{first + n}", last_name="Bound", full_name=f"Bound P{first + n}", stage=stage,
                 phone=f"+7914000{first + n:04d}", email=f"b{first + n}@example.ru", channel="form", owner=alice,
                 team=alice.team, created_at=moment - timedelta(minutes=first + n))
            for n in range(count)])

    def scored(lead: Lead, fit: int, behaviour: float) -> LeadScore:
        return LeadScore(lead=lead, fit_points=fit, behaviour_points=behaviour, as_of=moment,
                         fading_anchor=warming.fading_anchor(behaviour, as_of=moment, half_life_days=half_life))

    large_anchors, fit, (sleeper,) = leads(40), leads(40), leads(1)
    LeadScore.objects.bulk_create([scored(lead, -200, 100.0) for lead in large_anchors]  # -100: below zero
                                  + [scored(lead, 30, 0.01 * (n + 1)) for n, lead in enumerate(fit)]  # 30.01..30.4
                                  + [scored(sleeper, 0, 50.0)])  # 50: neither the most fit points nor the top anchor
    qs = list_of(alice, cold_only=True)
    with time_machine.travel(moment, tick=False):
        expected = straightforward(qs, moment)
        assert expected[0] == sleeper.pk
        for limit in range(1, 12):
            assert every_page(qs, limit) == expected, limit


def test_points_exactly_tied_across_many_leads_page_newest_first(alice):
    # Fit points without behaviour: many leads on one value, which no bound tells apart (after its rounds the
    # tier is read as one ORDER BY over the leads with at least the points of the last lead a page needs).
    from leadflow.warming.models import LeadScore

    moment = timezone.now()
    stage = Stage.objects.filter(kind="open").first()
    leads = Lead.objects.bulk_create([
        Lead(first_name=f"T{n}", last_name="Tied", full_name=f"Tied T{n}", stage=stage, phone=f"+7915000{n:04d}",
             email=f"t{n}@example.ru", channel="form", owner=alice, team=alice.team,
             created_at=moment - timedelta(seconds=n // 2))  # two by two on one moment: then by id
        for n in range(160)])
    leads = list(Lead.objects.filter(last_name="Tied").order_by("pk"))
    LeadScore.objects.bulk_create([LeadScore(lead=lead, fit_points=25 if n % 40 == 7 else 10)
                                   for n, lead in enumerate(leads)])
    fit_25 = [lead for n, lead in enumerate(leads) if n % 40 == 7]
    fit_10 = [lead for n, lead in enumerate(leads) if n % 40 != 7]

    def newest(group: list[Lead]) -> list[int]:
        return [lead.pk for lead in sorted(group, key=lambda lead: (lead.created_at, lead.pk), reverse=True)]

    expected = newest(fit_25) + newest(fit_10)
    qs = list_of(alice, cold_only=True)
    with time_machine.travel(moment, tick=False):
        assert straightforward(qs, moment) == expected
        for limit in (1, 2, 3, 5):
            seen, cursor = [], None
            for _ in range(6):  # the first pages: through the 25s into the 10s
                items, cursor = sorted_page(qs, HOTTEST, cursor, limit)
                seen += [item.pk for item in items]
            assert seen == expected[: 6 * limit], limit
        assert every_page(qs, 37) == expected


def test_a_cursor_with_points_that_are_not_a_number_is_refused(api_as, alice, make_lead):
    import base64

    lead = make_lead(owner=alice)
    Lead.objects.filter(pk=lead.pk).update(temperature="cold")
    moment = timezone.now().isoformat()
    for value in ("nan", "inf", "-inf"):
        cursor = base64.urlsafe_b64encode(f"2|{value}|{moment}|{lead.pk}|{moment}".encode()).decode()
        response = api_as(alice).get("/api/leads", {"sort": "hottest", "cursor": cursor})
        assert response.status_code == 422, value
        assert list(response.json()["error"]["fields"]) == ["cursor"]
