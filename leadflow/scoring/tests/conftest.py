"""A small sales history made through the real services, with a signal planted in it.

Each lead arrives from one of three sources, is (or is not) called back quickly, and may get a proposal;
its chance to convert is a known logistic function of those three facts, so a model that learned
anything must rank the converters higher.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow.accounts.models import Team, User
from leadflow.leads import services
from leadflow.leads.models import Lead, LostReason
from leadflow.marketing.models import Source

# log-odds of conversion: intercept + source + quick call + proposal
SOURCE_EFFECT = {"partner": 1.6, "ads": 0.0, "social": -1.4}
QUICK_CALL_EFFECT = 1.0
PROPOSAL_EFFECT = 1.4
INTERCEPT = -1.5


@dataclass
class Planted:
    lead: Lead
    chance: float
    converts: bool


@pytest.fixture
def sources(db: None) -> dict[str, Source]:
    names = {"partner": "Partner X", "ads": "Context ads", "social": "Social network"}
    return {key: Source.objects.create(name=name, utm_source=key) for key, name in names.items()}


@pytest.fixture
def lost_reason(db: None) -> LostReason:
    return LostReason.objects.get_or_create(name="No need")[0]


@pytest.fixture
def make_history(sales: Team, admin_user: User, sources: dict[str, Source], lost_reason: LostReason
                 ) -> Callable[..., list[Planted]]:
    """make_history(n, seed=..., close=True): n leads 30+ days old; closed by the planted chance, or left open."""
    counter = {"n": 0}

    def make(n: int, *, seed: int = 1, close: bool = True) -> list[Planted]:
        rng = random.Random(seed)
        now = timezone.now()
        made = []
        for _ in range(n):
            counter["n"] += 1
            k = counter["n"]
            source = rng.choice(list(SOURCE_EFFECT))
            quick = rng.random() < 0.5
            proposal = rng.random() < 0.4
            logit = INTERCEPT + SOURCE_EFFECT[source] + QUICK_CALL_EFFECT * quick + PROPOSAL_EFFECT * proposal
            chance = 1 / (1 + math.exp(-logit))
            converts = rng.random() < chance
            created = now - timedelta(days=30 + rng.random() * 60)
            lead = services.create_lead(
                person=services.PersonFacts(first_name=f"Name{k}", last_name="Testov", full_name=f"Testov Name{k}",
                                            phone=f"+7913{k:07d}", email=f"person{k}@example.ru"),
                touch=services.Touch(channel="form", source_id=sources[source].pk, utm={"source": source}),
                team=sales, now=created,
            )
            minutes = rng.uniform(2, 14) if quick else rng.uniform(60 * 26, 60 * 72)
            services.log_activity(lead=lead, kind="call", by=admin_user,
                                  occurred_at=created + timedelta(minutes=minutes))
            if proposal:
                services.log_activity(lead=lead, kind="proposal", by=admin_user,
                                      occurred_at=created + timedelta(days=3))
            if close:
                if converts:
                    services.convert_lead(lead=lead, by=admin_user)
                else:
                    services.refuse_lead(lead=lead, reason=lost_reason, by=admin_user)
            lead.refresh_from_db()
            made.append(Planted(lead=lead, chance=chance, converts=converts))
        return made

    return make


@pytest.fixture
def small_minimum(settings: pytest.FixtureRequest) -> None:
    """Tests train on a small base: 40 closed leads, 8 of each outcome."""
    settings.LEADFLOW_SCORING_MIN_CLOSED = 40  # type: ignore[attr-defined]
    settings.LEADFLOW_SCORING_MIN_PER_OUTCOME = 8  # type: ignore[attr-defined]
