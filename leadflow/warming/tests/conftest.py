"""Builders for the warming tests: a points policy with round numbers, rules, leads with marketing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadflow.accounts.models import Role, Team, User
from leadflow.leads import services as leads
from leadflow.leads.models import Lead
from leadflow.warming.models import PointsPolicy, PointsRule


@pytest.fixture
def policy(db: None) -> PointsPolicy:
    """Points halve every 10 days; warm from 15, hot from 35."""
    return PointsPolicy.objects.create(half_life_days=10, warm_at=15, hot_at=35)


@pytest.fixture
def make_rule(db: None) -> Callable[..., PointsRule]:
    def make(kind: str, points: int, **fields: Any) -> PointsRule:
        return PointsRule.objects.create(name=fields.pop("name", f"{kind} {points}"), kind=kind, points=points,
                                         **fields)

    return make


@pytest.fixture
def mary(db: None) -> User:
    return User.objects.create_user(username="mary", password="pw", email="mary@example.com", role=Role.MARKETER,
                                    first_name="Mary")


@pytest.fixture
def make_nurtured(sales: Team) -> Callable[..., Lead]:
    """A lead marketing nurtures (state "nurturing"), made through the lifecycle service."""
    counter = {"n": 0}

    def make(*, team: Team | None = None, **fields: Any) -> Lead:
        counter["n"] += 1
        n = counter["n"]
        person = leads.PersonFacts(first_name=fields.pop("first_name", f"Olga{n}"), last_name="Smirnova",
                                   email=fields.pop("email", f"olga{n}@example.ru"), **fields)
        person.full_name = f"{person.last_name} {person.first_name}"
        return leads.create_lead(person=person, touch=leads.Touch(channel="form", visitor_id=f"visitor{n:04d}"),
                                 team=team or sales, nurture=True)

    return make
