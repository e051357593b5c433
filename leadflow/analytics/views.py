"""Report pages: a dashboard per role, one page per report (filters, charts, tables), exports.

Every view checks who asks: the report must be open to the role (reports.allowed), the slice must be
the user's own (filters.check_slice), and the figures are computed inside the user's scope.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from leadflow.accounts.models import User
from leadflow.analytics import reports
from leadflow.analytics.filters import INTERVALS, is_marketer, parse_filter, people_in_scope, teams_in_scope
from leadflow.analytics.tables import Report, Table, to_csv, to_xlsx
from leadflow.core.errors import DomainError, Forbidden
from leadflow.core.spreadsheet import csv_dialect
from leadflow.intake.models import Form, Partner
from leadflow.marketing.models import Campaign, Source

DASHBOARD = {
    "admin": ["funnel", "speed", "managers", "costs"],
    "head": ["funnel", "speed", "managers", "costs"],
    "marketer": ["funnel", "costs"],
    "manager": ["funnel", "speed"],
}


def _kind(request: HttpRequest, key: str) -> reports.ReportKind:
    """The report asked for; one the role may not see is refused with a 403 saying so (the reports and who sees
    them are in the README, nothing to hide), never computed."""
    kind = reports.REPORTS.get(key)
    if kind is None:
        raise Http404
    if not reports.allowed(kind, request.user):
        raise PermissionDenied(_("Your role may not see the report “%(title)s”.") % {"title": kind.title})
    return kind


def _role(user: User) -> str:
    return "admin" if user.is_admin else user.role


def _cells(table: Table) -> list[list[dict[str, Any]]]:
    """Rows for the template: each cell with its value, kind and (for a lead's name) the card's link."""
    out = []
    for row in table.rows:
        cells = []
        for column in table.columns:
            cell = {"value": row.get(column.key), "kind": column.kind}
            if column.key == "lead" and row.get("lead_id"):
                cell["lead_id"] = row["lead_id"]
            cells.append(cell)
        out.append(cells)
    return out


def _present(report: Report) -> list[dict[str, Any]]:
    return [{"table": table, "cells": _cells(table), "chart": table.chart_data(),
             "chart_id": f"chart-{report.key}-{table.key}"} for table in report.tables]


def _choices(user: User, report_filter: Any) -> dict[str, Any]:
    """What the filter form offers: only teams and people inside the user's scope."""
    from dataclasses import replace

    choices: dict[str, Any] = {"intervals": INTERVALS}
    choices["teams"] = teams_in_scope(user)
    everyone = replace(report_filter, team=None, manager=None)
    # Those who left stay choosable: their past periods are still reported.
    choices["people"] = [] if is_marketer(user) else people_in_scope(user, everyone, include_inactive=True)
    choices["sources"] = Source.objects.order_by("name")
    choices["campaigns"] = Campaign.objects.order_by("name")
    choices["forms"] = Form.objects.order_by("name")
    choices["partners"] = Partner.objects.order_by("name")
    return choices


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    kinds = reports.reports_for(user)
    if not kinds:
        raise Http404
    report_filter = parse_filter({"interval": request.GET.get("interval", "day")}
                                 if request.GET.get("interval") in INTERVALS else {}, user)
    panels = []
    for key in DASHBOARD.get(_role(user), []):
        kind = reports.REPORTS[key]
        if reports.allowed(kind, user):
            report = kind.build(report_filter, user)
            panels.append({"kind": kind, "tables": _present(report)[:2]})
    return render(request, "analytics/dashboard.html", {
        "kinds": kinds, "panels": panels, "filter": report_filter,
    })


@login_required
def report_page(request: HttpRequest, key: str) -> HttpResponse:
    user: User = request.user
    kind = _kind(request, key)
    errors: dict[str, list[str]] = {}
    tables: list[dict[str, Any]] = []
    report_filter = None
    status = 200
    try:
        report_filter = parse_filter(request.GET, user)
        tables = _present(kind.build(report_filter, user))
    except DomainError as error:
        errors = error.fields or {"__all__": [error.message]}
        status = error.status
        report_filter = parse_filter({}, user)
    query = request.GET.urlencode()
    return render(request, "analytics/report.html", {
        "kind": kind, "kinds": reports.reports_for(user), "tables": tables, "filter": report_filter,
        "params": request.GET, "errors": errors, "query": query, **_choices(user, report_filter),
        "can_import_spend": user.is_admin or is_marketer(user),
    }, status=status)


def export_response(report: Report, fmt: str, table_key: str | None) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(
            to_xlsx(report), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="{report.key}.xlsx"'
        return response
    table = next((t for t in report.tables if t.key == table_key), report.tables[0])
    dialect = csv_dialect()
    response = HttpResponse(dialect.bom + to_csv(table, dialect), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report.key}-{table.key}.csv"'
    return response


@login_required
def export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    user: User = request.user
    kind = _kind(request, key)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    try:
        report = kind.build(parse_filter(request.GET, user), user)
    except Forbidden as error:
        return HttpResponse(error.message, status=403, content_type="text/plain; charset=utf-8")
    except DomainError as error:
        text = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.fields.items()) or error.message
        return HttpResponse(_("Invalid filter: %(errors)s") % {"errors": text}, status=error.status,
                            content_type="text/plain; charset=utf-8")
    return export_response(report, fmt, request.GET.get("table"))
