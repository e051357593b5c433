"""Dealers by region: a lead from a city a dealer covers goes to the dealer's team."""

from __future__ import annotations

from leadflow.accounts.models import Team
from leadflow.core.memo import Memo
from leadflow.matching.normalize import persons_place_key
from leadflow.partners.models import DealerRegion


def dealer_team_for(city: str) -> Team | None:
    """The team of the active dealer covering this city or region, if any (one indexed lookup)."""
    key = persons_place_key(city or "")  # "Москва и МО" is Moscow's
    if not key:
        return None
    return _dealers.get(key, lambda: _lookup(key))


_dealers = Memo("partners.DealerRegion", "intake.Partner", "accounts.Team")


def _lookup(key: str) -> Team | None:
    region = (
        DealerRegion.objects.filter(key=key, partner__is_active=True, partner__team__isnull=False,
                                    partner__team__is_active=True)
        .select_related("partner__team").first()
    )
    return region.partner.team if region else None
