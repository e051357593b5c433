"""Writes of the marketing room: campaign spend entered by hand or imported from a CSV file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from leadflow.marketing.models import Campaign, CampaignSpend

SPEND_COLUMNS = ("campaign", "day", "clicks", "cost")
SAMPLE_BYTES = 256 * 1024  # what the encoding is judged by
MAX_COST = Decimal("1e12")
MAX_CLICKS = 2**31 - 1  # the largest value every database's positive integer column holds


@dataclass
class SpendImport:
    saved: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)


def error_place(where: str) -> str:
    """Where an import error is, in the reader's language: the errors are keyed "line 3" and "header" (as the
    terminal's command prints them), which read as English inside a Russian message on the cost page."""
    if where == "header":
        return _("header")
    if where.startswith("line "):
        return _("line %(number)s") % {"number": where.removeprefix("line ")}
    return where


def spend_text(raw: bytes) -> str:
    """An uploaded spend file's text: UTF-8, or the windows-1251 (or other Russian encoding) Excel saves a CSV in.

    Raises UnicodeDecodeError for an XLSX workbook (saved as such, not as CSV) or what no encoding reads."""
    from leadflow.imports.readers import detect_encoding

    if raw.startswith(b"PK\x03\x04"):
        raise UnicodeDecodeError("csv", raw[:1], 0, 1, "a workbook, not a text file")
    return raw.decode(detect_encoding(raw[:SAMPLE_BYTES]))


def _spend_day(text: str) -> date:
    """2026-01-03 as ad platforms export it, or 03.01.2026 as Excel in Russian writes a day."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d.%m.%Y").date()


def import_spend(*, text: str) -> SpendImport:
    """Read `campaign,day,clicks,cost` rows (campaign by UTM name or name); the file replaces each campaign's day.

    Rows of one campaign and day add up (an ad platform exports one per ad group or keyword), so a file imported
    twice gives the same spend, never twice as much. Every row is checked first; one bad row imports nothing and
    each error names its line and field.
    """
    from leadflow.imports.readers import detect_delimiter

    result = SpendImport()
    text = text.lstrip("\ufeff")
    # Excel in Russian separates cells with ';' (its decimal mark is the comma): sniffed as the lead import does.
    reader = csv.DictReader(io.StringIO(text), delimiter=detect_delimiter(text))
    missing = [name for name in SPEND_COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        result.errors["header"] = [_("Missing columns: %(names)s.") % {"names": ", ".join(missing)}]
        return result
    campaigns = {c.utm_campaign.casefold(): c for c in Campaign.objects.all()}
    campaigns.update({c.name.casefold(): c for c in Campaign.objects.all()})
    days: dict[tuple[int, date], CampaignSpend] = {}
    for line, row in enumerate(reader, start=2):
        problems: list[str] = []
        campaign = campaigns.get((row.get("campaign") or "").strip().casefold())
        if campaign is None:
            problems.append(_("campaign: no campaign “%(value)s”") % {"value": (row.get("campaign") or "")[:60]})
        try:
            day = _spend_day((row.get("day") or "").strip())
        except ValueError:
            problems.append(_("day: expected YYYY-MM-DD or DD.MM.YYYY"))
        clicks_text = (row.get("clicks") or "0").strip()
        if not (clicks_text.isascii() and clicks_text.isdigit()) or len(clicks_text) > 9:
            problems.append(_("clicks: expected a whole number"))
        try:
            # Thousands apart by a space, or the no-break space Excel puts there in Russian: "14 400,50".
            amount = "".join((row.get("cost") or "0").split()).replace("\u202f", "")
            cost = Decimal(amount.replace(",", "."))
            if cost < 0 or not cost.is_finite() or cost >= MAX_COST:  # the column holds 14 digits, 2 after the point
                raise InvalidOperation
        except InvalidOperation:
            problems.append(_("cost: expected an amount like 1200.50"))
        if problems:
            result.errors[f"line {line}"] = problems
            continue
        spend = days.setdefault((campaign.pk, day), CampaignSpend(campaign=campaign, day=day, clicks=0, cost=0))
        spend.clicks += int(clicks_text)
        spend.cost += cost
        if spend.cost >= MAX_COST:
            result.errors[f"line {line}"] = [_("cost: the day's rows add up to more than the column holds")]
        if spend.clicks > MAX_CLICKS:
            result.errors[f"line {line}"] = [_("clicks: the day's rows add up to more than the column holds")]
    if result.errors:
        return result
    with transaction.atomic():
        for spend in days.values():
            CampaignSpend.objects.update_or_create(campaign=spend.campaign, day=spend.day,
                                                   defaults={"clicks": spend.clicks, "cost": spend.cost})
    result.saved = len(days)
    return result
