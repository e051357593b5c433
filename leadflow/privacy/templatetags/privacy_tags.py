"""The consent history box of the lead and client cards."""

from typing import Any

from django import template

from leadflow.privacy import services
from leadflow.privacy.models import Purpose

register = template.Library()


@register.inclusion_tag("privacy/partials/consents.html", takes_context=True)
def consent_history(context: dict[str, Any], lead: Any = None, client: Any = None) -> dict[str, Any]:
    """Who agreed to what (text version, when, from where) and withdrawals, with 'withdraw' for the owner/head."""
    user = context["request"].user
    history = services.consent_history(lead=lead, client=client)
    for consent in history:
        consent.channel_label = services.channel_label(consent.channel)
    current = services.current_consents(history)
    may_withdraw = services.can_manage_consents(user, lead=lead, client=client)
    withdrawable = [(value, label) for value, label in Purpose.choices if current.get(value)] if may_withdraw else []
    card = lead or client
    person_param = f"lead={lead.pk}" if lead is not None else f"client={client.pk}"
    may_export = user.is_admin or user.role == "head"
    return {
        "history": history, "withdrawable": withdrawable, "lead": lead, "client": client,
        "card_erased": bool(getattr(card, "erased_at", None)), "person_param": person_param,
        "may_export": may_export and not getattr(card, "erased_at", None),
        "may_erase": services.can_erase(user) and not getattr(card, "erased_at", None),
        "csrf_token": context.get("csrf_token"),
    }
