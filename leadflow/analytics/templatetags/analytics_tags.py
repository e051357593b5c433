"""Report cells shown per their kind: dates and numbers in the reader's locale, times in their zone."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.formats import number_format

register = template.Library()


@register.simple_tag
def cell_value(cell: dict[str, Any]) -> str:
    value, kind = cell["value"], cell["kind"]
    if value is None:
        return "—"
    if kind == "date":
        return date_filter(value, "SHORT_DATE_FORMAT")
    if kind == "month":  # a month's first day stands for the month: "November 2026", "Ноябрь 2026"
        return date_filter(value, "F Y")
    if kind == "datetime":
        return date_filter(value, "SHORT_DATETIME_FORMAT")
    if kind == "percent":
        return f"{number_format(value, 1)} %"
    if kind == "decimal":
        return number_format(value, 2, use_l10n=True, force_grouping=True)
    if kind == "int":
        return number_format(value, 0, force_grouping=True)
    return str(value)
