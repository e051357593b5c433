"""Paid periods of a partner: figures that stay as paid, and adjustments in the next open period (DOMAIN.md 22).

A partner's figures for past dates can change after they were paid: a merge finds an accepted lead to be a duplicate
(it stops earning), an undone merge makes it earn again, a conversion is undone or repriced. Once the admin marks a
period paid, the report reads that period from the lines kept at that moment (PaidItem) and lists every later
difference, per submission, as an adjustment (signed) in the first open period, where it is paid or taken back with
the next payment. The difference is computed, not recorded when it happens: whatever changed a paid figure (a merge,
its undo, a script), the adjustment is what the figure is now minus what was paid for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Case, DecimalField, F, Max, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Abs, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadflow.accounts.models import User
from leadflow.intake.attribution import created_it
from leadflow.intake.models import Partner, PayoutModel, Submission, SubmissionStatus
from leadflow.partners.models import PaidEarning, PaidItem, PaidOutcome, PaidPeriod
from leadflow.partners.terms import click_id_of

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)
# Why a paid figure changed, as a code for the partner's software and words for people.
REASONS = {
    "duplicate_found_later": gettext_lazy("Found to be a duplicate after the period was paid: not paid, taken back."),
    "no_longer_accepted": gettext_lazy("No longer counts as an accepted lead: taken back."),
    "accepted_after_payment": gettext_lazy("Counts as an accepted lead since the period was paid (a merge undone, or "
                                           "processed late): paid now."),
    "conversion_undone": gettext_lazy("The conversion paid for no longer counts in the paid period: taken back."),
    "converted_in_paid_period": gettext_lazy("A conversion dated in the paid period, recorded after it was paid: "
                                             "paid now."),
    "payout_changed": gettext_lazy("The payout for the conversion changed after the period was paid."),
}


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.LEADFLOW_TIME_ZONE)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=site_zone())


@dataclass(frozen=True)
class Span:
    """A partner's paid dates, [since, until): one stretch, periods follow each other without a gap."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return midnight(self.start)

    @property
    def until(self) -> datetime:
        return midnight(self.end + timedelta(days=1))

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.since <= moment < self.until


@dataclass
class Adjustment:
    """A paid figure that differs now from what was paid: now minus paid, in the first open period."""

    partner_id: int
    partner: str
    submission_id: int
    lead_id: int | None
    click_id: str
    earning: str
    reason: str
    amount: Decimal
    paid_in: PaidPeriod | None = None  # None: still to settle, in the open period

    @property
    def reason_text(self) -> str:
        return str(REASONS.get(self.reason, self.reason))

    @property
    def earning_text(self) -> str:
        return str(PaidEarning(self.earning).label)


def cents(amount: Decimal | None) -> Decimal:
    """A sum read from the database, to the kopeck. SQLite adds decimals as floating point and hands back 15
    significant digits (333.330000000000, or 33332999.9999999 for a long column of 333.33): the page, the CSV, the
    partner's API and the amount confirmed when marking paid must all read the one figure in kopecks."""
    return (amount or ZERO).quantize(CENT)


def paid_spans(partner_ids: Any) -> dict[int, Span]:
    """Each partner's paid stretch (partners with no paid period are not in it)."""
    rows = (PaidPeriod.objects.filter(partner_id__in=partner_ids).values("partner_id")
            .annotate(first=Min("start"), last=Max("end")).order_by())
    return {r["partner_id"]: Span(start=r["first"], end=r["last"]) for r in rows}


def outside_spans(spans: dict[int, Span], moment: str) -> Q:
    """The condition that a row's `moment` does not fall in its partner's paid stretch (those come from PaidItem)."""
    condition = Q()
    for partner_id, span in spans.items():
        condition &= ~Q(**{"partner_id": partner_id, f"{moment}__gte": span.since, f"{moment}__lt": span.until})
    return condition


def _price(partner: Partner, model: str) -> Decimal:
    if partner.payout_model != model:
        return ZERO
    return partner.price_per_lead if model == PayoutModel.PER_LEAD else partner.price_per_client


def _earned_now(partner: Partner, candidates: Q) -> dict[tuple[int, str], tuple[Decimal, dict[str, Any]]]:
    """What each candidate submission earns now, per lead and client, with the facts an adjustment shows."""
    rows = (Submission.objects.filter(candidates, partner=partner).annotate(created_it=created_it())
            .values("pk", "status", "received_at", "payout_lead", "payout_client", "lead_id", "lead__converted_at",
                    "duplicate_found_at", "payload", "created_it").order_by())
    earned: dict[tuple[int, str], tuple[Decimal, dict[str, Any]]] = {}
    for r in rows.iterator():
        lead = ZERO
        client = ZERO
        if r["created_it"]:
            lead = r["payout_lead"] if r["payout_lead"] is not None else _price(partner, PayoutModel.PER_LEAD)
            if r["lead__converted_at"] is not None:
                client = (r["payout_client"] if r["payout_client"] is not None
                          else _price(partner, PayoutModel.PER_CLIENT))
        earned[(r["pk"], PaidEarning.LEAD)] = (lead, r)
        earned[(r["pk"], PaidEarning.CLIENT)] = (client, r)
    return earned


def _paid_for(partner: Partner, earning: str) -> Coalesce:
    """All that was paid for the outer submission's lead or client: its lines in every paid period, adjustments too."""
    total = (PaidItem.objects.filter(submission_id=OuterRef("pk"), earning=earning)
             .values("submission_id").annotate(total=Sum("amount")).values("total").order_by())
    return Coalesce(Subquery(total), Value(ZERO), output_field=MONEY)


def _earned_in(span: Span, moment: str, price: Any) -> Case:
    """What the outer submission earns now in the paid stretch: its price when it created its lead and `moment`
    (its arrival, or its lead's conversion) falls in the stretch; nothing otherwise."""
    # The dates first: the database then looks for an earlier submission of the lead (created_it) only for a row in
    # the stretch, not for every submission of the partner's history.
    in_span = Q(**{f"{moment}__gte": span.since}) & Q(**{f"{moment}__lt": span.until})
    return Case(When(in_span & Q(created_it=True), then=price), default=Value(ZERO), output_field=MONEY)


def _without_jit(rows: Any) -> list[dict[str, Any]]:
    """The rows, read with PostgreSQL's JIT compiler off for this one query: it estimates the per-row look-ups of a
    partner's years high and compiles the query first, about 3 s of compiling for 0.5 s of work (the benchmark)."""
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        return list(rows)
    with transaction.atomic(using=rows.db), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        return list(rows)


def pending_adjustments(partner: Partner, span: Span | None) -> list[Adjustment]:
    """Per submission, what it earns now in the paid stretch minus all that was paid for it, where not zero.

    Compared by the database in one query: a busy partner's years of paid history are read there, through the
    indexes, and only the submissions whose figure differs come back to Python, so the report costs about the same
    for a partner paid for years as for one paid last month (benchmarks/partner_history.py).
    """
    if span is None:
        return []
    lead_price = Coalesce(F("payout_lead"), Value(_price(partner, PayoutModel.PER_LEAD)), output_field=MONEY)
    client_price = Coalesce(F("payout_client"), Value(_price(partner, PayoutModel.PER_CLIENT)), output_field=MONEY)
    rows = (Submission.objects.filter(partner=partner)
            .annotate(created_it=created_it(), lead_now=_earned_in(span, "received_at", lead_price),
                      client_now=_earned_in(span, "lead__converted_at", client_price),
                      lead_paid=_paid_for(partner, PaidEarning.LEAD),
                      client_paid=_paid_for(partner, PaidEarning.CLIENT))
            .annotate(lead_change=F("lead_now") - F("lead_paid"), client_change=F("client_now") - F("client_paid"))
            # One condition naming each difference once (the database computes each as often as it is named).
            # To the cent: SQLite sums decimals as floating point, and 1000.33 - 1000.33 need not be 0 there.
            .alias(change=Abs(F("lead_change")) + Abs(F("client_change"))).filter(change__gte=CENT / 2)
            .values("pk", "lead_id", "duplicate_found_at", "payload", "lead_now", "lead_paid", "client_now",
                    "client_paid")
            .order_by("pk"))
    adjustments = []
    for r in _without_jit(rows):
        for earning, now, paid in ((PaidEarning.CLIENT, cents(r["client_now"]), cents(r["client_paid"])),  # by name
                                   (PaidEarning.LEAD, cents(r["lead_now"]), cents(r["lead_paid"]))):
            difference = now - paid
            if not difference:
                continue
            if earning == PaidEarning.LEAD:
                reason = ("accepted_after_payment" if difference > 0 else
                          "duplicate_found_later" if r["duplicate_found_at"] else "no_longer_accepted")
            else:
                reason = ("conversion_undone" if not now else
                          "converted_in_paid_period" if not paid else "payout_changed")
            adjustments.append(Adjustment(partner_id=partner.pk, partner=partner.name, submission_id=r["pk"],
                                          lead_id=r["lead_id"], click_id=click_id_of(r["payload"]),
                                          earning=earning, reason=reason, amount=difference))
    return adjustments


def paid_adjustments(partners: Any, since: datetime, until: datetime) -> list[Adjustment]:
    """The adjustments settled with paid periods that start in [since, until)."""
    items = (PaidItem.objects.filter(period__partner__in=partners, outcome=PaidOutcome.ADJUSTMENT, at__gte=since,
                                     at__lt=until)
             .select_related("period__partner", "submission").order_by("at", "submission_id", "earning"))
    return [Adjustment(partner_id=i.period.partner_id, partner=i.period.partner.name, submission_id=i.submission_id,
                       lead_id=i.submission.lead_id, click_id=click_id_of(i.submission.payload), earning=i.earning,
                       reason=i.reason, amount=i.amount, paid_in=i.period) for i in items]


def _arrival_outcome(row: dict[str, Any]) -> str:
    if row["created_it"]:
        return PaidOutcome.ACCEPTED
    if row["status"] == SubmissionStatus.ATTACHED:
        return PaidOutcome.DUPLICATE
    if row["status"] == SubmissionStatus.CREATED:
        return PaidOutcome.FOUND_LATER
    if row["status"] in (SubmissionStatus.INVALID, SubmissionStatus.SPAM, SubmissionStatus.INTEREST):
        return PaidOutcome.INVALID
    return PaidOutcome.OTHER


def period_lines(partner: Partner, start: date, end: date, span: Span | None) -> list[PaidItem]:
    """The lines marking [start, end] paid would keep: each arrival, each conversion, each pending adjustment."""
    period = Span(start=start, end=end)
    lines = []
    earned = _earned_now(partner, Q(received_at__gte=period.since, received_at__lt=period.until)
                         | Q(lead__converted_at__gte=period.since, lead__converted_at__lt=period.until))
    for (pk, earning), (amount, facts) in sorted(earned.items()):
        if earning == PaidEarning.LEAD and period.holds(facts["received_at"]):
            lines.append(PaidItem(submission_id=pk, earning=earning, outcome=_arrival_outcome(facts),
                                  at=facts["received_at"], amount=amount))
        elif earning == PaidEarning.CLIENT and facts["created_it"] and period.holds(facts["lead__converted_at"]):
            lines.append(PaidItem(submission_id=pk, earning=earning, outcome=PaidOutcome.CONVERTED,
                                  at=facts["lead__converted_at"], amount=amount))
    for adjustment in pending_adjustments(partner, span):
        lines.append(PaidItem(submission_id=adjustment.submission_id, earning=adjustment.earning,
                              outcome=PaidOutcome.ADJUSTMENT, at=period.since, amount=adjustment.amount,
                              reason=adjustment.reason))
    return lines


def next_start(partner: Partner) -> date | None:
    """The first day the partner's next paid period must start on (None: any, nothing is paid yet)."""
    last = PaidPeriod.objects.filter(partner=partner).aggregate(last=Max("end"))["last"]
    return last + timedelta(days=1) if last else None


def check_period(partner: Partner, start: date, end: date, today: date | None = None) -> dict[str, list[str]]:
    """Per-field reasons [start, end] cannot be marked paid for the partner; {} when it can."""
    today = today or timezone.localdate(timezone=site_zone())
    errors: dict[str, list[str]] = {}
    first = next_start(partner)
    if first is not None and start != first:
        errors["start"] = [_("Paid up to %(last)s: the next paid period starts on %(first)s.")
                           % {"last": (first - timedelta(days=1)).isoformat(), "first": first.isoformat()}]
    if end < start:
        errors["end"] = [_("The end is before the start.")]
    elif end >= today:
        errors["end"] = [_("Only a period that is over can be marked paid: it must end before today.")]
    return errors


def close_period(*, partner: Partner, start: date, end: date, amount_shown: Decimal, by: User,
                 now: datetime | None = None) -> PaidPeriod:
    """Mark [start, end] of the partner paid with the amount the payer saw; its figures are kept from now on.

    The amount is computed again under the partner's lock and must be the one shown: a lead found to be a duplicate
    between the page and the click changes what is owed, and the payer must see the new figure first.
    """
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        errors = check_period(partner, start, end)
        if errors:
            raise ValidationError(errors)
        spans = paid_spans([partner.pk])
        lines = period_lines(partner, start, end, spans.get(partner.pk))
        amount = sum((line.amount for line in lines), ZERO)
        if amount != amount_shown:
            raise ValidationError({"amount": [_("The figures changed since the page was shown: %(amount)s is due "
                                                "now. Look again and confirm.") % {"amount": amount}]})
        period = PaidPeriod.objects.create(partner=partner, start=start, end=end, amount=amount, closed_by=by,
                                           closed_at=now or timezone.now())
        for line in lines:
            line.period = period
        PaidItem.objects.bulk_create(lines)
    return period


def period_amount(partner: Partner, start: date, end: date) -> tuple[Decimal, list[PaidItem]]:
    """What marking [start, end] paid would record, and its lines (the confirmation page shows them)."""
    lines = period_lines(partner, start, end, paid_spans([partner.pk]).get(partner.pk))
    return sum((line.amount for line in lines), ZERO), lines
