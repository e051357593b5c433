"""The partner report page for the head of sales and the admin, with its CSV download."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from leadflow.accounts.models import Role, User
from leadflow.intake.models import Partner
from leadflow.partners.forms import ReportForm, default_range
from leadflow.partners.report import partner_report, report_csv


def csv_headers() -> list[str]:
    # Counts, not a status: "Приняты", not a lead's "Принят" (the context keeps them apart in the translation).
    return [_("Period"), _("Partner"), _("Submitted"), pgettext("count of", "Accepted"), _("Duplicates"),
            pgettext("count of", "Invalid"), pgettext("count of", "Converted"), _("Amount due")]


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Submitted, accepted, duplicates, invalid, converted and amount due, per partner and period."""
    user: User = request.user
    if not (user.is_admin or user.role == Role.HEAD):
        raise Http404
    params = request.GET.copy()  # what is not asked for is the last three months, per month, shown in the form
    start, end = default_range()
    params.setdefault("start", start.isoformat())
    params.setdefault("end", end.isoformat())
    params.setdefault("period", "month")
    form = ReportForm(params)
    if not form.is_valid():
        return render(request, "partners/report.html", {"form": form, "report": None}, status=400)
    data = form.cleaned_data
    partners = Partner.objects.filter(pk=data["partner"].pk) if data.get("partner") else Partner.objects.all()
    # What is owed for a month is one figure, whoever looks: the partner's own report (api.py) counts days in the
    # site's zone, so this page does too (a head in London must not see another November than the partner).
    zone = ZoneInfo(settings.LEADFLOW_TIME_ZONE)
    result = partner_report(partners=partners, start=data["start"], end=data["end"], period=data["period"],
                            zone=zone)
    if request.GET.get("format") == "csv":
        response = HttpResponse(report_csv(result, csv_headers(), _("Total")), content_type="text/csv; charset=utf-8")
        name = f"partners-{result.start.isoformat()}-{result.end.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "partners/report.html", {"form": form, "report": result, "zone": zone.key})
