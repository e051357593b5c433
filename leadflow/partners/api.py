"""What a partner may ask with its key: its report and the statuses of its own submissions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from leadflow.accounts.auth import PartnerKeyAuth
from leadflow.accounts.middleware import in_zone_of
from leadflow.core.errors import InvalidInput
from leadflow.core.inputs import IsoDate, IsoDateTime, page_limit
from leadflow.intake.api import PARTNER_DECISION, decision_of
from leadflow.intake.attribution import created_it
from leadflow.intake.models import Partner, Submission, SubmissionStatus
from leadflow.leads.models import LeadState
from leadflow.partners.duplicates import reason_code
from leadflow.partners.forms import PERIODS, ReportForm
from leadflow.partners.report import partner_report
from leadflow.partners.terms import click_id_of

router = Router(tags=["partners"], auth=PartnerKeyAuth())


class ReportRowOut(Schema):
    period: date
    submitted: int
    accepted: int
    duplicates: int
    found_later: int = Field(description="Of the duplicates, those accepted first and found to be a person who was a "
                                         "lead already by a later merge (not paid)")
    invalid: int
    converted: int
    amount_due: Decimal
    adjustments: Decimal = Field(description="Of the amount due, the differences to paid periods settled in this "
                                             "period (listed in adjustments)")
    paid: bool = Field(description="The whole period is marked paid: its figures are those paid and do not change")


class AdjustmentOut(Schema):
    submission_id: int
    click_id: str
    earning: str = Field(description="lead (the payout for an accepted lead) or client (for a converted client)")
    reason: str = Field(description="duplicate_found_later, no_longer_accepted, accepted_after_payment, "
                                    "conversion_undone, converted_in_paid_period or payout_changed")
    amount: Decimal = Field(description="Signed: negative is taken back, positive paid")
    paid_in_period_start: date | None = Field(None, description="The paid period it was settled with; empty: "
                                                                "due in the first period not paid yet")


class PaidPeriodOut(Schema):
    start: date
    end: date
    amount: Decimal
    paid_at: datetime


class ReportOut(Schema):
    start: date
    end: date
    period: str
    payout_model: str
    rows: list[ReportRowOut]
    totals: ReportRowOut
    adjustments: list[AdjustmentOut]
    paid_periods: list[PaidPeriodOut]


SPAN = ("Default: the report's usual range. From start, at most three years; per day, at most 93 days (422 naming "
        "`end` or `period` otherwise), and not before start")


@router.get("/report", response=ReportOut, summary="The partner's own report: submitted, accepted, duplicates, "
                                                    "invalid, converted, amount due per period")
def own_report(request: HttpRequest, start: IsoDate | None = None,  # type: ignore[valid-type]
               end: Annotated[IsoDate | None, Field(description=SPAN)] = None,  # type: ignore[valid-type]
               period: Annotated[str, Field(json_schema_extra={"enum": ["", *(code for code, _name in PERIODS)]},
                                            description="empty: month")] = "month") -> dict[str, Any]:
    partner: Partner = request.auth  # type: ignore[attr-defined]
    form = ReportForm({"start": start, "end": end, "period": period})
    if not form.is_valid():
        raise InvalidInput({k: [str(m) for m in v] for k, v in form.errors.items()})
    data = form.cleaned_data
    result = partner_report(partners=Partner.objects.filter(pk=partner.pk), start=data["start"], end=data["end"],
                            period=data["period"], zone=ZoneInfo(settings.LEADFLOW_TIME_ZONE))
    return {"start": result.start, "end": result.end, "period": result.period, "payout_model": partner.payout_model,
            "rows": result.rows, "totals": result.totals,
            "adjustments": [{"submission_id": a.submission_id, "click_id": a.click_id, "earning": a.earning,
                             "reason": a.reason, "amount": a.amount,
                             "paid_in_period_start": a.paid_in.start if a.paid_in else None}
                            for a in result.adjustments],
            "paid_periods": [{"start": p.start, "end": p.end, "amount": p.amount, "paid_at": p.closed_at}
                             for p in result.paid_periods]}


class SubmissionFilter(Schema):
    click_id: str | None = None
    since: IsoDateTime | None = Field(None, description="ISO 8601: a date and time, or a date; a number is "
                                                        "refused. Without a UTC offset, the site's local time (as "
                                                        "the report's days are)")
    limit: page_limit(1000, gettext_lazy("Between 1 and 1000.")) = 100  # type: ignore[valid-type]


class OwnSubmissionOut(Schema):
    submission_id: int
    click_id: str
    received_at: datetime
    decision: str
    lead_status: str | None
    errors: dict
    duplicate_found_at: datetime | None = Field(
        None, description="A duplicate: when it was found (on arrival, or by a later merge of an accepted lead)")
    duplicate_reason: str | None = Field(
        None, description="Found after acceptance: own_earlier_submission (see duplicate_of_submission_id) or "
                          "already_a_lead (the person was a lead from another source first)")
    duplicate_of_submission_id: int | None = None


def decision(submission: Submission) -> str:
    return decision_of(submission)


def duplicate_facts(submission: Submission, partner_id: int) -> dict[str, Any]:
    """When a duplicate was found and, for one found after acceptance, why (its own earlier submission named)."""
    if decision(submission) != PARTNER_DECISION[SubmissionStatus.ATTACHED]:
        return {"duplicate_found_at": None, "duplicate_reason": None, "duplicate_of_submission_id": None}
    if submission.status == SubmissionStatus.ATTACHED:
        return {"duplicate_found_at": submission.processed_at or submission.received_at, "duplicate_reason": None,
                "duplicate_of_submission_id": None}
    reason = reason_code(submission, partner_id=partner_id)
    return {"duplicate_found_at": submission.duplicate_found_at, "duplicate_reason": reason or "already_a_lead",
            "duplicate_of_submission_id": submission.duplicate_of_id if reason == "own_earlier_submission" else None}


def lead_status(submission: Submission) -> str | None:
    """Where an accepted lead stands, in the words of postbacks: accepted, qualified, converted, refused."""
    lead = submission.lead
    if decision(submission) != PARTNER_DECISION[SubmissionStatus.CREATED] or lead is None:
        return None
    if lead.state == LeadState.CONVERTED:
        return "converted"
    if lead.state == LeadState.REFUSED:
        return "refused"
    return "qualified" if lead.stage.is_qualified else "accepted"


@router.get("/submissions", response=list[OwnSubmissionOut],
            summary="The partner's own submissions, newest first, with their decisions and lead statuses")
def own_submissions(request: HttpRequest, filters: Query[SubmissionFilter]) -> list[dict[str, Any]]:
    partner: Partner = request.auth  # type: ignore[attr-defined]
    qs = (Submission.objects.filter(partner=partner).select_related("lead__stage", "duplicate_of")
          .annotate(created_it=created_it())
          .order_by("-received_at", "-pk"))
    if filters.since is not None:
        qs = qs.filter(received_at__gte=in_zone_of(filters.since, None))  # a partner has no zone: the site's
    if filters.click_id:
        # The click id lives in the journaled payload, exactly as the partner sent it.
        qs = qs.filter(payload__click_id=filters.click_id) | qs.filter(payload__sub_id=filters.click_id)
    return [
        {"submission_id": s.pk, "click_id": click_id_of(s.payload), "received_at": s.received_at,
         "decision": decision(s), "lead_status": lead_status(s),
         "errors": s.errors.get("fields", {}) if isinstance(s.errors, dict) else {}, **duplicate_facts(s, partner.pk)}
        for s in qs[: filters.limit]
    ]
