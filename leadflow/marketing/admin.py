from django.contrib import admin

from leadflow.marketing.models import Campaign, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "utm_source", "medium", "is_active")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "utm_campaign", "source", "starts_on", "ends_on", "budget")
