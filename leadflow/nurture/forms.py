"""Forms of the marketing pages: a segment's conditions as one form field per registered filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.nurture import conditions as registry
from leadflow.nurture.models import Audience, Holiday, MailTemplate, Sequence, Step

EVENT_ROWS = 2


def _event_choices() -> list[tuple[str, str]]:
    return [("", "—"), *registry._event_choices()]


class SegmentForm(forms.Form):
    """Name, audience and a field per filter; empty fields are no condition."""

    name = forms.CharField(label=_("Name"), max_length=120)
    audience = forms.ChoiceField(label=_("Applies to"), choices=Audience.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        registry._optional_fields()
        for entry in registry.FIELDS.values():
            label = entry.label
            if isinstance(entry, registry.OneOf):
                self.fields[f"c_{entry.key}"] = forms.MultipleChoiceField(
                    label=label, required=False, choices=entry.choices() if entry.choices else [],
                    widget=forms.SelectMultiple(attrs={"size": 4}))
            elif isinstance(entry, registry.TextIs):
                self.fields[f"c_{entry.key}"] = forms.CharField(
                    label=label, required=False, help_text=_("Several values: separate with commas."))
            elif isinstance(entry, registry.NumberAtLeast):
                self.fields[f"c_{entry.key}"] = forms.FloatField(label=label, required=False)
            elif isinstance(entry, registry.CreatedRange):
                self.fields["c_created_from"] = forms.DateField(label=_("Created from"), required=False,
                                                                widget=forms.DateInput(attrs={"type": "date"}))
                self.fields["c_created_to"] = forms.DateField(label=_("Created to"), required=False,
                                                              widget=forms.DateInput(attrs={"type": "date"}))
                self.fields["c_created_last_days"] = forms.IntegerField(
                    label=_("Created in the last days"), required=False, min_value=0)
            elif isinstance(entry, registry.Tags):
                tags = registry._tag_choices()
                self.fields["c_tags_any"] = forms.MultipleChoiceField(label=_("Has any of the tags"), required=False,
                                                                      choices=tags)
                self.fields["c_tags_all"] = forms.MultipleChoiceField(label=_("Has all of the tags"), required=False,
                                                                      choices=tags)
            elif isinstance(entry, registry.Events):
                for n in range(EVENT_ROWS):
                    self.fields[f"c_events_{n}_kind"] = forms.ChoiceField(
                        label=_("Event"), required=False, choices=_event_choices())
                    self.fields[f"c_events_{n}_min_count"] = forms.IntegerField(
                        label=_("at least, times"), required=False, min_value=1)
                    self.fields[f"c_events_{n}_days"] = forms.IntegerField(
                        label=_("within the last days"), required=False, min_value=1)
                    self.fields[f"c_events_{n}_none"] = forms.BooleanField(
                        label=_("none at all (no such event)"), required=False)
            elif isinstance(entry, registry.Browsing):
                self.fields["c_browsing_minutes"] = forms.IntegerField(
                    label=_("Browsed at least, minutes"), required=False, min_value=1)
                self.fields["c_browsing_days"] = forms.IntegerField(
                    label=_("within the last days"), required=False, min_value=1)
            elif isinstance(entry, registry.MarketingConsent):
                self.fields["c_marketing_consent"] = forms.ChoiceField(
                    label=label, required=False,
                    choices=[("", _("any")), ("yes", _("given")), ("no", _("not given or withdrawn"))])

    def conditions(self) -> dict[str, Any]:
        """The conditions JSON from the cleaned form (validated afterwards against the registry)."""
        data = self.cleaned_data
        result: dict[str, Any] = {}
        for entry in registry.FIELDS.values():
            key = entry.key
            if isinstance(entry, (registry.OneOf,)) and data.get(f"c_{key}"):
                result[key] = list(data[f"c_{key}"])
            elif isinstance(entry, registry.TextIs) and data.get(f"c_{key}"):
                result[key] = [part.strip() for part in data[f"c_{key}"].split(",") if part.strip()]
            elif isinstance(entry, registry.NumberAtLeast) and data.get(f"c_{key}") is not None:
                result[key] = data[f"c_{key}"]
        created = {name: data.get(f"c_created_{field}") for name, field in
                   (("from", "from"), ("to", "to"), ("last_days", "last_days"))}
        created = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in created.items() if v}
        if created:
            result["created"] = created
        tags = {mode: list(data.get(f"c_tags_{mode}") or []) for mode in ("any", "all")}
        if tags["any"] or tags["all"]:
            result["tags"] = {k: v for k, v in tags.items() if v}
        events = []
        for n in range(EVENT_ROWS):
            if data.get(f"c_events_{n}_kind"):
                events.append({"kind": data[f"c_events_{n}_kind"], "min_count": data.get(f"c_events_{n}_min_count"),
                               "days": data.get(f"c_events_{n}_days"), "none": bool(data.get(f"c_events_{n}_none"))})
        if events:
            result["events"] = events
        if data.get("c_browsing_minutes"):
            result["browsing"] = {"minutes": data["c_browsing_minutes"], "days": data.get("c_browsing_days") or 7}
        if data.get("c_marketing_consent"):
            result["marketing_consent"] = data["c_marketing_consent"] == "yes"
        return result

    @staticmethod
    def initial_from(segment: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {"name": segment.name, "audience": segment.audience,
                                   "description": segment.description}
        for key, value in segment.conditions.items():
            if key == "created":
                for part in ("from", "to", "last_days"):
                    initial[f"c_created_{part}"] = value.get(part)
            elif key == "tags":
                initial["c_tags_any"], initial["c_tags_all"] = value.get("any", []), value.get("all", [])
            elif key == "events":
                for n, row in enumerate(value[:EVENT_ROWS]):
                    for part in ("kind", "min_count", "days", "none"):
                        initial[f"c_events_{n}_{part}"] = row.get(part)
            elif key == "browsing":
                initial["c_browsing_minutes"], initial["c_browsing_days"] = value.get("minutes"), value.get("days")
            elif key == "marketing_consent":
                initial["c_marketing_consent"] = "yes" if value else "no"
            elif isinstance(value, list) and isinstance(registry.FIELDS.get(key), registry.TextIs):
                initial[f"c_{key}"] = ", ".join(value)
            else:
                initial[f"c_{key}"] = value
        return initial


class TemplateForm(forms.ModelForm):
    class Meta:
        model = MailTemplate
        fields = ["name", "language", "segment", "subject", "html_body", "text_body"]
        widgets = {"html_body": forms.Textarea(attrs={"rows": 12}), "text_body": forms.Textarea(attrs={"rows": 6})}


class SequenceForm(forms.ModelForm):
    class Meta:
        model = Sequence
        fields = ["name", "description", "audience", "trigger", "segment", "event_kind", "browsing_minutes",
                  "browsing_days", "reentry", "reentry_days", "stop_on_reply", "stop_on_purchase",
                  "stop_on_conversion", "stop_on_refusal", "only_while_deferred"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_kind"] = forms.ChoiceField(label=_("Event"), required=False, choices=_event_choices())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("trigger") == "segment" and not data.get("segment"):
            self.add_error("segment", _("The trigger 'entered a segment' needs a segment."))
        if data.get("trigger") == "behaviour" and not data.get("event_kind"):
            self.add_error("event_kind", _("The behaviour trigger needs an event."))
        segment = data.get("segment")
        if segment is not None and data.get("audience") and segment.audience != data["audience"]:
            self.add_error("segment", _("The segment is of another kind (leads / clients) than the sequence."))
        return data


class StepForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = ["position", "kind", "wait_minutes", "template_name", "discount_code", "discount_prefix", "product",
                  "task_title", "task_due_hours", "temperature", "tag", "repeat_from"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind == "send" and not MailTemplate.objects.filter(name=data.get("template_name", "")).exists():
            self.add_error("template_name", _("No e-mail template has this name."))
        if kind == "temperature" and data.get("temperature") not in ("cold", "warm", "hot"):
            self.add_error("temperature", _("Write cold, warm or hot."))
        if kind == "tag" and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Name the tag to add."))
        return data


StepFormSet = forms.inlineformset_factory(Sequence, Step, form=StepForm, extra=2, can_delete=True)


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["name", "day", "month", "is_active"]
