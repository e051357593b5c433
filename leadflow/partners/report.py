"""The partner report: what each partner sent, what was accepted, and what is due (DOMAIN.md 22)."""

from __future__ import annotations

import io
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Func, IntegerField, Max, Min, Q, QuerySet, Sum

from leadflow.core.spreadsheet import CsvDialect
from leadflow.intake.attribution import created_it, created_the_lead
from leadflow.intake.models import Partner, PayoutModel, Submission, SubmissionStatus
from leadflow.partners.duplicates import found_in
from leadflow.partners.models import PaidItem, PaidOutcome, PaidPeriod
from leadflow.partners.paid import Adjustment, Span, cents, outside_spans, paid_adjustments, pending_adjustments

PERIODS = ("day", "week", "month")
INVALID = (SubmissionStatus.INVALID, SubmissionStatus.SPAM, SubmissionStatus.INTEREST)


@dataclass
class Row:
    partner_id: int
    partner: str
    period: date
    submitted: int = 0
    accepted: int = 0
    duplicates: int = 0
    found_later: int = 0  # of the duplicates, those accepted first and found to be duplicates by a later merge
    invalid: int = 0
    converted: int = 0
    amount_due: Decimal = field(default_factory=lambda: Decimal("0.00"))
    # Of the amount due, the differences to periods already paid settled in this one (partners.paid).
    adjustments: Decimal = field(default_factory=lambda: Decimal("0.00"))
    paid: bool = False  # the whole period is marked paid: its figures are those paid


@dataclass
class Report:
    start: date
    end: date
    period: str
    rows: list[Row]
    totals: Row
    # The duplicates found after acceptance during the period (whenever they arrived), newest first: a month's
    # figures change when one of its leads is found later, and this says which, when and why.
    found: list[Submission] = field(default_factory=list)
    found_count: int = 0
    # Paid periods touching these dates, and the adjustments listed in them (paid) or in the first open period.
    paid_periods: list[PaidPeriod] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)


def period_starts(start: date, end: date, period: str) -> list[date]:
    """The first day of every day, week (Monday) or month that [start, end] touches."""
    if period == "month":
        day = start.replace(day=1)
    elif period == "week":
        day = start - timedelta(days=start.weekday())
    else:
        day = start
    starts = []
    while day <= end:
        starts.append(day)
        if period == "month":
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            day += timedelta(days=7 if period == "week" else 1)
    return starts


class PeriodIndex(Func):
    """The index i of the period with bounds[i] <= field < bounds[i+1], as a balanced tree of CASEs.

    Periods are cut at local midnights computed in Python (so days and months follow the zone's DST
    rules), and the database compares each row's timestamp about log2(periods) times: no per-row time
    zone conversion, which on SQLite is a Python function called for every row (several times slower).
    The SQL is written here in one pass: as a tree of ORM Case objects, a year of days costs more to
    compile than to run.
    """

    output_field = IntegerField()

    def __init__(self, field: str, bounds: list[datetime]) -> None:
        super().__init__(F(field))
        self.bounds = bounds

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        column, column_params = compiler.compile(self.source_expressions[0])
        values = [connection.ops.adapt_datetimefield_value(bound) for bound in self.bounds]
        params: list[Any] = []

        def tree(lo: int, hi: int) -> str:
            if hi - lo == 1:
                return str(lo)
            mid = (lo + hi) // 2
            params.extend([*column_params, values[mid]])
            left = tree(lo, mid)
            return f"CASE WHEN {column} < %s THEN {left} ELSE {tree(mid, hi)} END"

        return tree(0, len(self.bounds) - 1), params


def partner_report(*, partners: QuerySet[Partner], start: date, end: date, period: str, zone: ZoneInfo) -> Report:
    """Per partner and period (day, week or month in `zone`), counted by the database.

    Submissions count in the period they arrived; conversions in the period the lead converted
    (the moment a per-client partner earns its payout). Amounts are what each lead or client earned at the
    prices in force when it was earned (kept on the submission); the current prices only for a conversion
    the worker has not priced yet (the second after it). Dates a partner was paid for are read from the lines kept
    when they were paid (partners.paid), and what changed since is an adjustment in its first open period.
    """
    labels = period_starts(start, end, period)
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    bounds = [since, *(datetime.combine(day, time.min, tzinfo=zone) for day in labels[1:]), until]
    # With each partner's paid stretch, in the same query (partners.paid).
    terms = {p.pk: p for p in partners.only("pk", "name", "payout_model", "price_per_lead", "price_per_client")
             .annotate(paid_from=Min("paid_periods__start"), paid_to=Max("paid_periods__end"))}
    spans = {pk: Span(start=p.paid_from, end=p.paid_to) for pk, p in terms.items() if p.paid_from is not None}
    counts = (
        Submission.objects.filter(outside_spans(spans, "received_at"), partner__in=partners, received_at__gte=since,
                                  received_at__lt=until)
        .annotate(period=PeriodIndex("received_at", bounds), created_it=created_it())
        .values("partner_id", "period")
        .annotate(
            submitted=Count("id"),
            accepted=Count("id", filter=Q(created_it=True)),
            duplicates=Count("id", filter=Q(status=SubmissionStatus.ATTACHED)
                             | Q(status=SubmissionStatus.CREATED, created_it=False)),
            found_later=Count("id", filter=Q(status=SubmissionStatus.CREATED, created_it=False)),
            invalid=Count("id", filter=Q(status__in=INVALID)),
            earned=Sum("payout_lead", filter=Q(created_it=True)),
            unpriced=Count("id", filter=Q(created_it=True, payout_lead__isnull=True)),
        )
        .order_by()
    )
    # One person earns once. When cards of one person were merged, the survivor holds several accepted submissions:
    # only the one that created it (the first touch's, intake.attribution) is an accepted lead and earns the
    # conversion; the others were the same person again, duplicates (DOMAIN.md 22: only real leads are paid).
    conversions = (
        Submission.objects.filter(created_the_lead(), outside_spans(spans, "lead__converted_at"), partner__in=partners,
                                  lead__converted_at__gte=since, lead__converted_at__lt=until)
        .annotate(period=PeriodIndex("lead__converted_at", bounds))
        .values("partner_id", "period")
        .annotate(converted=Count("id"), earned=Sum("payout_client"),
                  unpriced=Count("id", filter=Q(payout_client__isnull=True)))
        .order_by()
    )
    rows: dict[tuple[int, int], Row] = {}

    def row(partner_id: int, index: int) -> Row:
        key = (partner_id, index)
        if key not in rows:
            rows[key] = Row(partner_id=partner_id, partner=terms[partner_id].name, period=labels[index])
        return rows[key]

    def current(partner_id: int, model: str, price: str) -> Decimal:
        partner = terms[partner_id]
        return getattr(partner, price) if partner.payout_model == model else Decimal("0.00")

    for item in counts:
        target = row(item["partner_id"], item["period"])
        for name in ("submitted", "accepted", "duplicates", "found_later", "invalid"):
            setattr(target, name, item[name])
        target.amount_due += cents(item["earned"]) + item["unpriced"] * current(
            item["partner_id"], PayoutModel.PER_LEAD, "price_per_lead")
    for item in conversions:
        target = row(item["partner_id"], item["period"])
        target.converted = item["converted"]
        target.amount_due += cents(item["earned"]) + item["unpriced"] * current(
            item["partner_id"], PayoutModel.PER_CLIENT, "price_per_client")
    for item in paid_counts(spans, since, until, bounds):
        target = row(item["period__partner_id"], item["slot"])
        for name in ("submitted", "accepted", "duplicates", "found_later", "invalid", "converted"):
            setattr(target, name, getattr(target, name) + item[name])
        target.amount_due += cents(item["total"])
        target.adjustments += cents(item["adjusted"])
    adjustments = paid_adjustments(list(spans), since, until) if spans else []
    for partner_id, span in spans.items():
        if since <= span.until < until:  # the first open day is in these dates: its period lists what changed
            pending = pending_adjustments(terms[partner_id], span)
            if pending:
                target = row(partner_id, bisect_right(bounds, span.until) - 1)
                change = sum((a.amount for a in pending), Decimal("0.00"))
                target.adjustments += change
                target.amount_due += change
                adjustments += pending
        for index in range(len(labels)):  # a period wholly inside the paid dates shows what was paid
            if (partner_id, index) in rows and span.since <= bounds[index] and bounds[index + 1] <= span.until:
                rows[(partner_id, index)].paid = True
    totals = Row(partner_id=0, partner="", period=start)
    for target in rows.values():
        for name in ("submitted", "accepted", "duplicates", "found_later", "invalid", "converted", "amount_due",
                     "adjustments"):
            setattr(totals, name, getattr(totals, name) + getattr(target, name))
    ordered = sorted(rows.values(), key=lambda r: (r.period, r.partner.casefold(), r.partner_id))
    found, found_count = found_in(partners=partners, since=since, until=until)
    paid_periods = list(PaidPeriod.objects.filter(partner__in=list(spans), start__lte=end, end__gte=start)
                        .select_related("partner", "closed_by").order_by("start", "partner__name")) if spans else []
    return Report(start=start, end=end, period=period, rows=ordered, totals=totals, found=found,
                  found_count=found_count, paid_periods=paid_periods, adjustments=adjustments)


def paid_counts(spans: dict[int, Any], since: datetime, until: datetime, bounds: list[datetime]) -> Any:
    """The figures of paid dates as they were paid, per partner and period, from the kept lines."""
    if not spans:
        return []
    lead = Q(earning="lead") & ~Q(outcome=PaidOutcome.ADJUSTMENT)
    return (
        PaidItem.objects.filter(period__partner_id__in=list(spans), at__gte=since, at__lt=until)
        .annotate(slot=PeriodIndex("at", bounds))
        .values("period__partner_id", "slot")
        .annotate(
            submitted=Count("id", filter=lead),
            accepted=Count("id", filter=Q(outcome=PaidOutcome.ACCEPTED)),
            duplicates=Count("id", filter=Q(outcome__in=[PaidOutcome.DUPLICATE, PaidOutcome.FOUND_LATER])),
            found_later=Count("id", filter=Q(outcome=PaidOutcome.FOUND_LATER)),
            invalid=Count("id", filter=Q(outcome=PaidOutcome.INVALID)),
            converted=Count("id", filter=Q(outcome=PaidOutcome.CONVERTED)),
            total=Sum("amount"),
            adjusted=Sum("amount", filter=Q(outcome=PaidOutcome.ADJUSTMENT)),
        )
        .order_by()
    )


def report_csv(report: Report, headers: list[str], total_label: str, dialect: CsvDialect,
               adjustment_headers: list[str] | None = None, paid_label: str = "") -> str:
    """The report for the reader's spreadsheet (core.spreadsheet: `;` and 1750,00 for a Russian Excel, `,` and
    1750.00 for an English one); a partner's name typed as a formula stays text. The adjustments, one per line,
    follow the total under their own header, so the file adds up as the page does."""
    out = io.StringIO()
    writer = dialect.writer(out)
    dialect.row(writer, headers)
    cent = Decimal("0.01")
    for r in report.rows:
        dialect.row(writer, (r.period.isoformat(), r.partner, r.submitted, r.accepted, r.duplicates, r.found_later,
                             r.invalid, r.converted, r.amount_due.quantize(cent), r.adjustments.quantize(cent),
                             paid_label if r.paid else ""))
    t = report.totals
    dialect.row(writer, ("", total_label, t.submitted, t.accepted, t.duplicates, t.found_later, t.invalid,
                         t.converted, t.amount_due.quantize(cent), t.adjustments.quantize(cent), ""))
    if report.adjustments and adjustment_headers:
        dialect.row(writer, ())
        dialect.row(writer, adjustment_headers)
        for a in report.adjustments:
            paid_in = f"{a.paid_in.start.isoformat()}…{a.paid_in.end.isoformat()}" if a.paid_in else ""
            dialect.row(writer, (a.partner, a.submission_id, a.lead_id or "", a.click_id, a.earning_text,
                                 a.reason_text, a.amount.quantize(cent), paid_in))
    return out.getvalue()
