"""A partner's terms: which submissions it is paid for, and the macros of its postback URL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadflow.intake.attribution import created_the_lead
from leadflow.intake.models import Partner, PayoutModel, Submission
from leadflow.matching.normalize import persons_place_key
from leadflow.partners.models import place_key, region_key

if TYPE_CHECKING:
    from leadflow.intake.pipeline import Parsed

# Fields a partner's terms may require, as the submitter names them.
REQUIRABLE_FIELDS = {
    "name": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"),
    "company": gettext_lazy("Company"),
    "position": gettext_lazy("Position"),
    "city": gettext_lazy("City"),
    "product_interest": gettext_lazy("Product interest"),
    "deal_type": gettext_lazy("Retail or wholesale"),
    "message": gettext_lazy("Message"),
    "consent": gettext_lazy("Consent to be contacted"),
    "click_id": gettext_lazy("Click id (click_id or sub_id)"),
}
MACROS = ("click_id", "status", "payout", "lead_id", "submission_id")
MACRO = re.compile(r"\{(\w*)\}")
CLICK_ID_FIELDS = ("click_id", "sub_id")
CLICK_ID_LIMIT = 255


def split_list(text: str) -> list[str]:
    """"Moscow, Tver\\nКазань" -> ["Moscow", "Tver", "Казань"]."""
    return [item.strip() for item in re.split(r"[,;\n]", text or "") if item.strip()]


def click_id_of(payload: Any) -> str:
    """The partner's own id of the click or lead, kept for its postbacks ("" when none was sent)."""
    if not isinstance(payload, dict):
        return ""
    for name in CLICK_ID_FIELDS:
        value = payload.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()[:CLICK_ID_LIMIT]
    return ""


def _present(name: str, parsed: Parsed, payload: dict[str, Any]) -> bool:
    person = parsed.person
    values = {
        "name": person.first_name or person.last_name, "phone": person.phone, "email": person.email,
        "company": person.company_name, "position": person.position, "city": person.city,
        "product_interest": person.product_interest, "deal_type": person.deal_type, "message": parsed.message,
        "consent": parsed.consent.given, "click_id": click_id_of(payload),
    }
    return bool(values.get(name, True))


def rejections(*, partner: Partner, parsed: Parsed, payload: dict[str, Any], now: datetime) -> dict[str, list[str]]:
    """Per-field reasons this partner's new lead is not accepted under its terms; {} when it is."""
    errors: dict[str, list[str]] = {}
    for name in CLICK_ID_FIELDS:
        value = payload.get(name) if isinstance(payload, dict) else None
        if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
            errors.setdefault(name, []).append(_("Must be text."))
        elif value is not None and len(str(value)) > CLICK_ID_LIMIT:
            errors.setdefault(name, []).append(_("At most %(limit)d characters.") % {"limit": CLICK_ID_LIMIT})
    for name in partner.required_fields or []:
        if name in REQUIRABLE_FIELDS and not _present(name, parsed, payload):
            errors.setdefault(name, []).append(_("Required by the partner's terms."))
    regions = split_list(partner.allowed_regions)
    if regions:
        city = parsed.person.city
        if not city:
            errors.setdefault("city", []).append(
                _("Required: leads are accepted only from %(regions)s.") % {"regions": ", ".join(regions)})
        elif persons_place_key(city) not in {place_key(r) for r in regions}:
            errors.setdefault("city", []).append(
                _("Leads from %(city)s are not accepted; only from %(regions)s.")
                % {"city": city, "regions": ", ".join(regions)})
    products = split_list(partner.allowed_products)
    if products:
        product = parsed.person.product_interest
        if region_key(product) not in {region_key(p) for p in products}:
            errors.setdefault("product_interest", []).append(
                _("Only these products are accepted: %(products)s.") % {"products": ", ".join(products)})
    if not errors and partner.daily_cap is not None and cap_reached(partner, now=now):
        errors["__all__"] = [_("The daily cap of %(cap)d accepted leads is reached; try again tomorrow.")
                             % {"cap": partner.daily_cap}]
    return errors


def cap_reached(partner: Partner, *, now: datetime) -> bool:
    """Whether the partner already had its daily cap of accepted leads on `now`'s local day.

    The cap counts the accepted leads the partner report counts and pays: a lead a merge later found to be a person
    who was a lead already (the partner's own earlier submission or another channel's card) is a duplicate, not
    paid, and gives its place back. The cap is what the buyer is ready to pay for in a day; a duplicate is not bought.
    """
    # The partner's row lock queues its simultaneous submissions, so two cannot both take the last place.
    Partner.objects.select_for_update().filter(pk=partner.pk).first()
    local = timezone.localtime(now, timezone=ZoneInfo(settings.LEADFLOW_TIME_ZONE))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    accepted = Submission.objects.filter(
        created_the_lead(), partner=partner, received_at__gte=start, received_at__lt=start + timedelta(days=1),
    ).count()
    return accepted >= (partner.daily_cap or 0)


def payout_for(partner: Partner, status: str) -> Decimal:
    """What this status of an accepted lead earns the partner under its terms as they are now."""
    if status == "accepted" and partner.payout_model == PayoutModel.PER_LEAD:
        return partner.price_per_lead
    if status == "converted" and partner.payout_model == PayoutModel.PER_CLIENT:
        return partner.price_per_client
    return Decimal("0.00")


def earned_payout(submission: Submission, status: str) -> Decimal:
    """What this status earned, at the prices in force when it was earned (kept on the submission); the
    current terms for a status not priced yet."""
    kept = {"accepted": submission.payout_lead, "converted": submission.payout_client}.get(status)
    return kept if kept is not None else payout_for(submission.partner, status)


def price_conversion(submission: Submission) -> None:
    """Keep what the conversion of this partner's lead earns at the partner's prices now (once)."""
    if submission.payout_client is None:
        submission.payout_client = payout_for(submission.partner, "converted")
        Submission.objects.filter(pk=submission.pk, payout_client__isnull=True).update(
            payout_client=submission.payout_client)


def unknown_macros(template: str) -> list[str]:
    return [f"{{{name}}}" for name in MACRO.findall(template) if name not in MACROS]


def render_postback(template: str, values: dict[str, Any]) -> str:
    """The template with each macro replaced by its URL-encoded value, so a value cannot change the URL's shape."""
    return MACRO.sub(
        lambda m: quote(str(values.get(m.group(1), "")), safe="") if m.group(1) in MACROS else m.group(0), template)
