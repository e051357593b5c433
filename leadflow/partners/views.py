"""The partner report page, with its CSV download: what each partner sent and what is owed to it (DOMAIN.md 22).

Who sees which partners: the admin and the marketer every partner (leads bought per lead are paid acquisition,
the marketer's budget, and the admin settles the bills); a head of sales the partners whose leads go to a team
they head (a partner without a team feeds the default team: its head's); a manager none (403)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from leadflow.accounts.models import Role, Team, User
from leadflow.core.spreadsheet import csv_dialect
from leadflow.intake.models import Partner
from leadflow.leads.querysets import headed_team_ids
from leadflow.partners.forms import MarkPaidForm, ReportForm, default_range
from leadflow.partners.models import PaidOutcome
from leadflow.partners.paid import REASONS, check_period, close_period, paid_spans, period_amount, site_zone
from leadflow.partners.report import Report, partner_report, report_csv


def csv_headers() -> list[str]:
    # Counts, not a status: "Приняты", not a lead's "Принят" (the context keeps them apart in the translation).
    return [_("Period"), _("Partner"), _("Submitted"), pgettext("count of", "Accepted"), _("Duplicates"),
            _("Of them found after acceptance"), pgettext("count of", "Invalid"), pgettext("count of", "Converted"),
            _("Amount due"), _("Of it, adjustments to paid periods"), _("Paid")]


def adjustment_headers() -> list[str]:
    return [_("Partner"), _("Submission"), _("Lead"), _("Click id"), _("Paid for"), _("Why"), _("Adjustment"),
            _("Settled with the paid period")]


def partners_open_to(user: User) -> QuerySet[Partner] | None:
    """The partners whose figures and payouts `user` may see; None: the report is not open to the role."""
    if not user.is_active:
        return None
    if user.is_admin or user.role == Role.MARKETER:
        return Partner.objects.all()
    if user.role == Role.HEAD:
        teams = headed_team_ids(user)
        mine = Q(team_id__in=teams)
        if Team.objects.filter(pk__in=teams, is_default=True).exists():
            mine |= Q(team__isnull=True)
        return Partner.objects.filter(mine)
    return None


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Submitted, accepted, duplicates, invalid, converted and amount due, per partner and period."""
    user: User = request.user
    open_to = partners_open_to(user)
    if open_to is None:
        raise PermissionDenied(_("Partners' figures and payouts are open to the head of sales, the marketer and the "
                                 "administrator."))
    params = request.GET.copy()  # what is not asked for is the last three months, per month, shown in the form
    start, end = default_range()
    params.setdefault("start", start.isoformat())
    params.setdefault("end", end.isoformat())
    params.setdefault("period", "month")
    form = ReportForm(params, partners=open_to)
    if not form.is_valid():
        return render(request, "partners/report.html", {"form": form, "report": None}, status=400)
    data = form.cleaned_data
    partners = open_to.filter(pk=data["partner"].pk) if data.get("partner") else open_to
    # What is owed for a month is one figure, whoever looks: the partner's own report (api.py) counts days in the
    # site's zone, so this page does too (a head in London must not see another November than the partner).
    zone = ZoneInfo(settings.LEADFLOW_TIME_ZONE)
    result = partner_report(partners=partners, start=data["start"], end=data["end"], period=data["period"],
                            zone=zone)
    if request.GET.get("format") == "csv":
        dialect = csv_dialect()
        response = HttpResponse(dialect.bom + report_csv(result, csv_headers(), _("Total"), dialect,
                                                              adjustment_headers(), _("paid")),
                                content_type="text/csv; charset=utf-8")
        name = f"partners-{result.start.isoformat()}-{result.end.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    closable = closable_rows(result) if may_mark_paid(user) else {}
    return render(request, "partners/report.html", {"form": form, "report": result, "zone": zone.key,
                                                    "closable": closable})


def may_mark_paid(user: User) -> bool:
    """Marking a period paid is the administrator's: it records that money left the company, which the one who
    settles the bills knows; a head of sales sees the figures (the leads feed their team) but pays nothing, and a
    period once marked paid stays so."""
    return user.is_active and user.is_admin


def closable_rows(report: Report) -> dict[tuple[int, str], str]:
    """The rows whose whole period is over and comes next to be paid for its partner: (partner, period) -> the
    confirmation page's address."""
    today = timezone.localdate(timezone=site_zone())
    ends = {}
    for row in report.rows:
        start = row.period
        end = period_end(start, report.period)
        if row.paid or end >= today:
            continue
        ends[(row.partner_id, start)] = (start, end)
    if not ends:
        return {}
    spans = paid_spans({key[0] for key in ends})  # one query for every partner shown
    firsts = {pk: span.end + timedelta(days=1) for pk, span in spans.items()}
    closable = {}
    for (partner_id, start), (_start, end) in ends.items():
        first = firsts.get(partner_id)
        if first is None or first == start:
            query = urlencode({"partner": partner_id, "start": start.isoformat(), "end": end.isoformat()})
            closable[(partner_id, start.isoformat())] = f"{reverse('partner_mark_paid')}?{query}"
    return closable


def period_end(start: date, period: str) -> date:
    if period == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start + timedelta(days=6 if period == "week" else 0)


@login_required
def mark_paid(request: HttpRequest) -> HttpResponse:
    """GET shows what marking a partner's period paid records (figures, adjustments, amount); POST marks it."""
    user: User = request.user
    if not may_mark_paid(user):
        raise PermissionDenied(_("Only the administrator marks a partner's period paid."))
    form = MarkPaidForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return render(request, "partners/mark_paid.html", {"form": form}, status=400)
    data = dict(form.cleaned_data)  # kept whole: a refusal below takes its field out of cleaned_data
    partner = data["partner"]
    if request.method == "POST" and data.get("amount") is None:
        form.add_error("amount", _("Confirm the amount shown."))
    elif request.method == "POST":
        try:
            period = close_period(partner=partner, start=data["start"], end=data["end"], amount_shown=data["amount"],
                                  by=user)
        except ValidationError as error:
            for name, messages_ in error.message_dict.items():
                for message in messages_:
                    form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("%(partner)s: %(start)s to %(end)s marked paid, %(amount)s.") % {
                "partner": partner.name, "start": period.start.isoformat(), "end": period.end.isoformat(),
                "amount": number_format(period.amount, 2, force_grouping=True)})
            query = urlencode({"partner": partner.pk, "start": period.start.isoformat(),
                               "end": period.end.isoformat()})
            return redirect(f"{reverse('partner_report')}?{query}")
    problems = check_period(partner, data["start"], data["end"])
    amount, lines = period_amount(partner, data["start"], data["end"])
    zone = site_zone()
    figures = partner_report(partners=Partner.objects.filter(pk=partner.pk), start=data["start"], end=data["end"],
                             period="month", zone=zone)
    adjustments = [{"submission_id": line.submission_id, "amount": line.amount,
                    "reason": REASONS.get(line.reason, line.reason)}
                   for line in lines if line.outcome == PaidOutcome.ADJUSTMENT]
    return render(request, "partners/mark_paid.html", {
        "form": form, "partner": partner, "start": data["start"], "end": data["end"], "amount": amount,
        "problems": [m for messages_ in problems.values() for m in messages_], "figures": figures,
        "adjustments": adjustments, "zone": zone.key,
    }, status=400 if form.errors else 200)
