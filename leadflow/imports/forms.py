"""Forms of the import pages: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.imports.mapping import fields_for
from leadflow.imports.models import ImportJob, ImportKind
from leadflow.marketing.models import Campaign, Source


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices, initial=ImportKind.LEADS,
                             required=False)
    file = forms.FileField(label=_("CSV or XLSX file"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}))


class MappingForm(forms.Form):
    """One choice per column of the file, plus what every row gets (source, campaign, region)."""

    source = forms.ModelChoiceField(label=_("Source for every row"), queryset=Source.objects.filter(is_active=True),
                                    required=False, empty_label=_("None"))
    campaign = forms.ModelChoiceField(label=_("Campaign for every row"), queryset=Campaign.objects.all(),
                                      required=False, empty_label=_("None"))
    region = forms.CharField(label=_("Phone region for numbers without a country code"), required=False,
                             max_length=2, widget=forms.TextInput(attrs={"placeholder": "RU", "size": 3}))

    def __init__(self, *args, job: ImportJob, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [("", _("— skip —"))] + [(name, label) for name, label in fields_for(job.kind).items()]
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(label=header or _("Column %(n)s") % {"n": index + 1},
                                                  choices=choices, required=False,
                                                  initial=job.mapping.get(str(index), ""))
            self.columns.append(name)
        self.fields["source"].initial = job.source_id
        self.fields["campaign"].initial = job.campaign_id
        self.fields["region"].initial = job.region

    def column_fields(self):  # type: ignore[no-untyped-def]
        return [self[name] for name in self.columns]

    def mapping(self) -> dict[str, str]:
        return {name.removeprefix("column_"): self.cleaned_data[name] for name in self.columns
                if self.cleaned_data.get(name)}
