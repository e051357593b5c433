from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from leadflow.warming import services
from leadflow.warming.models import BehaviourEvent, ScoreEntry

register = template.Library()
SHOWN = 20


@register.inclusion_tag("warming/partials/lead_points.html")
def lead_points(lead: Any) -> dict[str, Any]:
    """Points now, the explained history (latest first) and the behaviour events of a lead's card."""
    score = getattr(lead, "score", None)
    entries = list(ScoreEntry.objects.filter(lead=lead).order_by("-occurred_at", "-id")[:SHOWN])
    events = list(BehaviourEvent.objects.filter(lead=lead).order_by("-occurred_at", "-id")[:SHOWN])
    return {
        "lead": lead, "points": services.points_now(score, now=timezone.now()) if score else 0.0,
        "entries": entries, "events": events, "qualified_at": score.marketing_qualified_at if score else None,
    }
