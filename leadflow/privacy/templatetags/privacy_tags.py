"""The consent history box of the lead and client cards; the erasure log's rows in the reader's words."""

from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst

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


# The rows the erasers list (privacy.rooms: "email:12", "lead:7") by the model they are of.
ROW_MODELS = {"request": "leads.Request", "activity": "leads.Activity", "task": "leads.Task", "lead": "leads.Lead",
              "deal": "clients.Deal", "email": "inbox.IncomingEmail", "client": "clients.Client"}
# A system text's parameters are the words of the fields it is worded from (leads.models.system_text).
WORDED_FROM = {("activity", "text_params"): ("subject", "body"), ("task", "text_params"): ("title",),
               ("task", "result_params"): ("result",)}


def _row_label(ref: Any) -> str:
    kind, _colon, pk = str(ref or "").partition(":")
    if kind not in ROW_MODELS:
        return str(ref or "")
    return f"{capfirst(apps.get_model(ROW_MODELS[kind])._meta.verbose_name)} #{pk}"


def _field_labels(kind: str, names: Any) -> str:
    model = apps.get_model(ROW_MODELS[kind]) if kind in ROW_MODELS else None
    shown: list[str] = []
    for name in names if isinstance(names, list) else []:
        for field in WORDED_FROM.get((kind, str(name)), (str(name),)):
            try:
                label = str(model._meta.get_field(field).verbose_name) if model is not None else field
            except FieldDoesNotExist:
                label = field
            if label not in shown:
                shown.append(label)
    return ", ".join(shown)


@register.filter
def redacted_shown(rows: Any) -> list[dict[str, str]]:
    """The erasure log's other people's rows as the admin reads them: "Incoming e-mail #12" on "Lead #7", its
    fields by their labels in the reader's language ("email:12", "raw, subject" were the codes)."""
    return [{"row": _row_label(row.get("row")), "card": _row_label(row.get("card")),
             "fields": _field_labels(str(row.get("row", "")).partition(":")[0], row.get("fields"))}
            for row in rows or [] if isinstance(row, dict)]
