from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadflow.intake.models import Partner

PERIODS = [("day", gettext_lazy("Day")), ("week", gettext_lazy("Week")), ("month", gettext_lazy("Month"))]
MAX_SPAN = timedelta(days=3 * 366)
MAX_DAYS = timedelta(days=92)  # a table of days longer than a quarter is unreadable anyway


def default_range(today: date | None = None) -> tuple[date, date]:
    """From the first day of the month before last to today: this month and the two before it."""
    today = today or timezone.localdate()
    month = today.month - 2
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1), today


class ReportForm(forms.Form):
    partner = forms.ModelChoiceField(label=gettext_lazy("Partner"), queryset=Partner.objects.order_by("name"),
                                     required=False, empty_label=gettext_lazy("All partners"))
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    period = forms.ChoiceField(label=gettext_lazy("Per"), choices=PERIODS, required=False)

    def __init__(self, *args: Any, partners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if partners is not None:  # only the partners the reader may see are offered, or accepted by id
            self.fields["partner"].queryset = partners.order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = default_range()
        data["start"] = data.get("start") or start
        data["end"] = data.get("end") or end
        data["period"] = data.get("period") or "month"
        if data["end"] < data["start"]:
            self.add_error("end", _("The end is before the start."))
        elif data["end"] - data["start"] > MAX_SPAN:
            self.add_error("end", _("At most three years at a time."))
        elif data["period"] == "day" and data["end"] - data["start"] > MAX_DAYS:
            self.add_error("period", _("Per day, at most %(days)d days at a time; choose week or month.")
                           % {"days": MAX_DAYS.days + 1})
        return data


class MarkPaidForm(forms.Form):
    """Which partner's dates are marked paid, and (on confirming) the amount the payer saw."""

    partner = forms.ModelChoiceField(label=gettext_lazy("Partner"), queryset=Partner.objects.all(),
                                     widget=forms.HiddenInput)
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.HiddenInput)
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.HiddenInput)
    amount = forms.DecimalField(label=gettext_lazy("Amount"), max_digits=14, decimal_places=2, required=False,
                                widget=forms.HiddenInput)
