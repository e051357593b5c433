"""The score on a lead card: `{% load scoring %}{% lead_score lead %}`."""

from __future__ import annotations

from typing import Any

from django import template

from leadflow.leads.models import Lead
from leadflow.scoring import features, services

register = template.Library()


@register.inclusion_tag("scoring/partials/card_score.html")
def lead_score(lead: Lead) -> dict[str, Any]:
    """The lead's probability and reasons, or why there is none (too few closed leads, not scored yet)."""
    prediction = services.visible_prediction(lead=lead)
    current = services.current_model() if prediction is None else prediction.model
    return {
        "lead": lead,
        "prediction": prediction,
        "model": current,
        "percent": round(prediction.probability * 100) if prediction else None,
        "reasons": [features.describe(reason) for reason in prediction.reasons] if prediction else [],
    }
