"""The partner report page, with its CSV download: what each partner sent and what is owed to it (DOMAIN.md 22).

Who sees which partners: the admin and the marketer every partner (leads bought per lead are paid acquisition,
the marketer's budget, and the admin settles the bills); a head of sales the partners whose leads go to a team
they head (a partner without a team feeds the default team: its head's); a manager none (403)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from leadflow.accounts.models import Role, Team, User
from leadflow.core.spreadsheet import csv_dialect
from leadflow.intake.models import Partner
from leadflow.leads.querysets import headed_team_ids
from leadflow.partners.forms import ReportForm, default_range
from leadflow.partners.report import partner_report, report_csv


def csv_headers() -> list[str]:
    # Counts, not a status: "Приняты", not a lead's "Принят" (the context keeps them apart in the translation).
    return [_("Period"), _("Partner"), _("Submitted"), pgettext("count of", "Accepted"), _("Duplicates"),
            _("Of them found after acceptance"), pgettext("count of", "Invalid"), pgettext("count of", "Converted"),
            _("Amount due")]


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
        response = HttpResponse(dialect.bom + report_csv(result, csv_headers(), _("Total"), dialect),
                                content_type="text/csv; charset=utf-8")
        name = f"partners-{result.start.isoformat()}-{result.end.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "partners/report.html", {"form": form, "report": result, "zone": zone.key})
