from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from leadflow.core.history import KeepsHistoryAdmin
from leadflow.marketing.models import Campaign, CampaignSpend, ExtraCost, Source


@admin.register(Source)
class SourceAdmin(KeepsHistoryAdmin, admin.ModelAdmin):
    list_display = ("name", "utm_source", "medium", "is_active")
    retire_hint = _("A source that brought leads or has campaigns is not deleted: untick 'active' instead; the "
                    "reports of past periods still count its leads.")

    def history_of(self, obj: Source) -> list[tuple[Any, int]]:
        from leadflow.imports.models import ImportJob
        from leadflow.leads.models import Lead

        return [(_("leads"), Lead.objects.filter(source=obj).count()),
                (_("campaigns"), Campaign.objects.filter(source=obj).count()),
                (_("imports"), ImportJob.objects.filter(source=obj).count())]


@admin.register(Campaign)
class CampaignAdmin(KeepsHistoryAdmin, admin.ModelAdmin):
    list_display = ("name", "utm_campaign", "source", "starts_on", "ends_on", "budget")
    retire_hint = _("A campaign with leads or spend is not deleted: its leads, clicks and costs make the cost per "
                    "lead of past periods. Set its end date instead.")

    def history_of(self, obj: Campaign) -> list[tuple[Any, int]]:
        from leadflow.imports.models import ImportJob
        from leadflow.leads.models import Lead

        return [(_("leads"), Lead.objects.filter(campaign=obj).count()),
                (_("days of spend"), CampaignSpend.objects.filter(campaign=obj).count()),
                (_("imports"), ImportJob.objects.filter(campaign=obj).count())]


@admin.register(CampaignSpend)
class CampaignSpendAdmin(admin.ModelAdmin):
    list_display = ("day", "campaign", "clicks", "cost")
    list_filter = ("campaign",)
    date_hierarchy = "day"


@admin.register(ExtraCost)
class ExtraCostAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_on", "ends_on", "amount")
