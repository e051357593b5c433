"""The reports over the API: the same figures as the pages, as JSON, CSV or XLSX."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from leadflow.analytics import reports
from leadflow.analytics.filters import parse_filter
from leadflow.analytics.tables import as_json
from leadflow.analytics.views import export_response
from leadflow.core.errors import Forbidden, InvalidInput, NotFound

router = Router(tags=["analytics"])

FILTER_HELP = (
    "Query parameters: start, end (local days, YYYY-MM-DD, inclusive; default the last 30 days), "
    "interval (day | week | month), team, manager, source, campaign, form, partner (ids), medium (UTM medium)."
)


class ReportKindOut(Schema):
    key: str
    title: str
    description: str


@router.get("", response=list[ReportKindOut], summary="Reports open to you")
def list_reports(request: HttpRequest) -> list[dict[str, str]]:
    return [{"key": kind.key, "title": str(kind.title), "description": str(kind.description)}
            for kind in reports.reports_for(request.auth)]


def _kind(request: HttpRequest, key: str) -> reports.ReportKind:
    kind = reports.REPORTS.get(key)
    if kind is None:
        raise NotFound("report")
    if not reports.allowed(kind, request.auth):
        raise Forbidden(_("Your role may not see the report “%(title)s”.") % {"title": kind.title})
    return kind


@router.get("/{key}", summary="One report's tables", description=FILTER_HELP)
def report(request: HttpRequest, key: str) -> dict[str, Any]:
    kind = _kind(request, key)
    report_filter = parse_filter(request.GET, request.auth)
    return {**as_json(kind.build(report_filter, request.auth)), "filter": report_filter.as_params()}


@router.get("/{key}/export", summary="One report as CSV (one table) or XLSX (every table)",
            description=FILTER_HELP + " format: csv | xlsx; table: the table's key for CSV (default the first).")
def export(request: HttpRequest, key: str,
           format: Annotated[str, Field(json_schema_extra={"enum": ["csv", "xlsx"]})] = "csv",
           table: str = "") -> HttpResponse:
    kind = _kind(request, key)
    if format not in ("csv", "xlsx"):
        raise InvalidInput({"format": [_("Expected csv or xlsx.")]})
    report_filter = parse_filter(request.GET, request.auth)
    return export_response(kind.build(report_filter, request.auth), format, table or None)
