"""The partner report: what each partner sent, what was accepted, and what is due (DOMAIN.md 22)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from leadflow.intake.models import Partner, PayoutModel, Submission, SubmissionStatus

TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
INVALID = (SubmissionStatus.INVALID, SubmissionStatus.SPAM, SubmissionStatus.INTEREST)


@dataclass
class Row:
    partner_id: int
    partner: str
    period: date
    submitted: int = 0
    accepted: int = 0
    duplicates: int = 0
    invalid: int = 0
    converted: int = 0
    amount_due: Decimal = field(default_factory=lambda: Decimal("0.00"))


@dataclass
class Report:
    start: date
    end: date
    period: str
    rows: list[Row]
    totals: Row


def _period_start(value: datetime | date, zone: ZoneInfo) -> date:
    # SQLite returns the truncated moment in UTC, PostgreSQL in the zone asked for: compare local dates.
    if isinstance(value, datetime):
        return value.astimezone(zone).date()
    return value


def partner_report(*, partners: QuerySet[Partner], start: date, end: date, period: str, zone: ZoneInfo) -> Report:
    """Per partner and period (day, week or month in `zone`), counted by the database.

    Submissions count in the period they arrived; conversions in the period the lead converted
    (the moment a per-client partner earns its payout). Amounts use the partner's current prices.
    """
    trunc = TRUNC[period]
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    counts = (
        Submission.objects.filter(partner__in=partners, received_at__gte=since, received_at__lt=until)
        .annotate(period=trunc("received_at", tzinfo=zone))
        .values("partner_id", "period")
        .annotate(
            submitted=Count("id"),
            accepted=Count("id", filter=Q(status=SubmissionStatus.CREATED)),
            duplicates=Count("id", filter=Q(status=SubmissionStatus.ATTACHED)),
            invalid=Count("id", filter=Q(status__in=INVALID)),
        )
        .order_by()
    )
    conversions = (
        Submission.objects.filter(partner__in=partners, status=SubmissionStatus.CREATED,
                                  lead__converted_at__gte=since, lead__converted_at__lt=until)
        .annotate(period=trunc("lead__converted_at", tzinfo=zone))
        .values("partner_id", "period")
        .annotate(converted=Count("id"))
        .order_by()
    )
    terms = {p.pk: p for p in partners.only("pk", "name", "payout_model", "price_per_lead", "price_per_client")}
    rows: dict[tuple[int, date], Row] = {}

    def row(partner_id: int, moment: datetime | date) -> Row:
        key = (partner_id, _period_start(moment, zone))
        if key not in rows:
            rows[key] = Row(partner_id=partner_id, partner=terms[partner_id].name, period=key[1])
        return rows[key]

    for item in counts:
        target = row(item["partner_id"], item["period"])
        for name in ("submitted", "accepted", "duplicates", "invalid"):
            setattr(target, name, item[name])
    for item in conversions:
        row(item["partner_id"], item["period"]).converted = item["converted"]
    totals = Row(partner_id=0, partner="", period=start)
    for target in rows.values():
        partner = terms[target.partner_id]
        if partner.payout_model == PayoutModel.PER_CLIENT:
            target.amount_due = partner.price_per_client * target.converted
        else:
            target.amount_due = partner.price_per_lead * target.accepted
        for name in ("submitted", "accepted", "duplicates", "invalid", "converted", "amount_due"):
            setattr(totals, name, getattr(totals, name) + getattr(target, name))
    ordered = sorted(rows.values(), key=lambda r: (r.period, r.partner.casefold(), r.partner_id))
    return Report(start=start, end=end, period=period, rows=ordered, totals=totals)


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (= + - @, or a tab / return first) is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report_csv(report: Report, headers: list[str], total_label: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for r in report.rows:
        writer.writerow([spreadsheet_safe(v) for v in (
            r.period.isoformat(), r.partner, r.submitted, r.accepted, r.duplicates, r.invalid, r.converted,
            f"{r.amount_due:.2f}")])
    t = report.totals
    writer.writerow([spreadsheet_safe(v) for v in (
        "", total_label, t.submitted, t.accepted, t.duplicates, t.invalid, t.converted,
        f"{t.amount_due:.2f}")])
    return out.getvalue()
