from django.contrib import admin

from leadflow.marketing.models import Campaign, CampaignSpend, ExtraCost, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "utm_source", "medium", "is_active")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "utm_campaign", "source", "starts_on", "ends_on", "budget")


@admin.register(CampaignSpend)
class CampaignSpendAdmin(admin.ModelAdmin):
    list_display = ("day", "campaign", "clicks", "cost")
    list_filter = ("campaign",)
    date_hierarchy = "day"


@admin.register(ExtraCost)
class ExtraCostAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_on", "ends_on", "amount")
