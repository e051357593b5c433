"""Small template helpers of the sales UI."""

import json
from datetime import datetime, timedelta

from django import template
from django.conf import settings
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()


@register.simple_tag
def sla_clock(due: datetime | None, now: datetime, working_late: timedelta | None = None) -> str:
    """Time left to the first contact, or how late it is (a tag, not an include: it runs per row); with
    `working_late`, how late in the team's working time (the SLA breaches: a lead due Friday 17:50 is 15 minutes
    late at 09:05 on Monday, as the speed report says, not three days)."""
    if due is None:
        return format_html('<span class="muted">—</span>')
    title = date_format(due, "SHORT_DATETIME_FORMAT")
    if due < now and working_late is not None:
        return format_html('<span class="overdue" title="{}">{}</span>', title,
                           _("%(late)s of working time late") % {"late": timesince(now - working_late, now)})
    if due < now:
        return format_html('<span class="overdue" title="{}">{}</span>', title,
                           _("%(late)s late") % {"late": timesince(due, now)})
    return format_html('<span title="{}">{}</span>', title, _("in %(left)s") % {"left": timeuntil(due, now)})


@register.filter
def email_suggestion(email: str, checked: str = "") -> str:
    """The consumer mail domain an address most likely meant ("ivan@gmail.con" -> "ivan@gmail.com"), or "".

    Worked out where the address is shown (cheap, no SQL), so every address a person gave gets it: a lead's, a
    client contact's, the further ones of a field, whatever channel or import brought them. With the address a
    manager checked as right (`email|email_suggestion:checked`), none for it."""
    from leadflow.matching.normalize import email_suggestion as suggestion

    return suggestion(email, checked=checked or "") if email and "@" in email else ""


@register.filter
def match_reasons(reasons: str | list[str]) -> str:
    """Matching's reasons (a list, or a request's "matched by" text) in the reader's language."""
    from leadflow.matching.reasons import shown

    return shown(", ".join(reasons) if isinstance(reasons, list) else str(reasons or ""))


@register.filter
def tel_href(phone: str, extension: str = "") -> str:
    """A stored phone text ("+74951234567 ext. 12", or E.164 with `extension` apart) as a tel: link's number: E.164,
    whatever the page shows, so click-to-call and a phone's dialler get the whole number; the extension dialled
    after a pause."""
    from leadflow.matching.normalize import split_phone_text

    number, kept_extension = split_phone_text(phone or "")
    extension = extension or kept_extension
    return f"{number},{extension}" if extension else number


GIVEN_LABELS = {
    "phone": gettext_lazy("Phone, as given"), "email": gettext_lazy("E-mail, as given"),
    "deal_type": gettext_lazy("Deal type, as given"), "company_size": gettext_lazy("Company size, as given"),
    "referrer": gettext_lazy("Referrer, as given"), "landing_page": gettext_lazy("Landing page, as given"),
    "visitor_id": gettext_lazy("Visitor id, as given"),
    # a text longer than its field (pipeline._keep_long_text)
    "name": gettext_lazy("Name, as given"), "first_name": gettext_lazy("First name, as given"),
    "last_name": gettext_lazy("Surname, as given"), "middle_name": gettext_lazy("Patronymic, as given"),
    "company": gettext_lazy("Company, as given"), "position": gettext_lazy("Position, as given"),
    "city": gettext_lazy("City, as given"), "product_interest": gettext_lazy("Product interest, as given"),
    "message": gettext_lazy("Comment, as given"),
}


@register.filter
def given_label(field: str) -> str:
    """The label of a field kept as given because it could not be read (pipeline._keep_unreadable and
    _keep_other_fields): "Phone, as given", "Deal type, as given"; a UTM tag by its name."""
    if field in GIVEN_LABELS:
        return str(GIVEN_LABELS[field])
    return _("%(field)s, as given") % {"field": field}


@register.filter
def phone_shown(contact: str, extension: str = "") -> str:
    """A stored phone as people write it, the one way every page and letter shows a phone (normalize.shown_phone):
    "8 (912) 345-67-89" for the installation's own country, "+44 20 7123 4567" abroad, "доб. 12" or "ext. 12" in
    the reader's language. `contact` is E.164 (`extension` apart) or a stored "+74951234567 ext. 12"; an e-mail
    among a card's other contacts is shown as it is."""
    from leadflow.matching.normalize import shown_phone

    if not contact or "@" in contact:
        return contact or ""
    return shown_phone(contact, extension or "", region=settings.LEADFLOW_DEFAULT_REGION)


@register.filter
def telegram_shown(account: str) -> str:
    """A kept Telegram account ("t.me/ivan_petrov") as people write it: "@ivan_petrov"."""
    from leadflow.matching.normalize import telegram_shown as shown

    return shown(account or "")


@register.filter
def worded(entries: list[dict[str, str]] | None) -> list[dict[str, str]]:
    """Fields kept as given, each problem worded in the reader's language (leads.given.for_reader)."""
    from leadflow.leads.given import for_reader

    return for_reader(entries)


@register.filter
def as_given_json(payload: object) -> str:
    """A request's raw payload as the sender sent it: JSON, indented, letters unescaped ("Иван", true, null),
    not Python's repr ({'consent': True}) that `pprint` writes. Escaped by the template like any text."""
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str)
