from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from leadflow.warming import tracking
from leadflow.warming.models import BehaviourEvent, FitRule, PointsPolicy, PointsRule, TrackingSite


@admin.register(TrackingSite)
class TrackingSiteAdmin(admin.ModelAdmin):
    list_display = ("name", "public_key", "form", "is_active")
    readonly_fields = ("public_key", "snippet")
    fields = ("name", "allowed_origins", "form", "is_active", "public_key", "snippet")

    @admin.display(description=_("snippet for every page"))
    def snippet(self, site: TrackingSite) -> str:
        if not site.pk:
            return "—"
        return format_html('<textarea readonly rows="2" cols="90" onclick="this.select()">{}</textarea>',
                           tracking.snippet(site, settings.LEADFLOW_BASE_URL))


@admin.register(PointsRule)
class PointsRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "points", "cap_points", "cap_days", "is_active")
    list_filter = ("kind", "is_active")
    fieldsets = (
        (None, {"fields": ("name", "kind", "points", "is_active")}),
        (_("Conditions"), {"fields": ("url_contains", "path_prefix", "min_duration_seconds", "property_name",
                                      "property_value")}),
        (_("Cap per period"), {"fields": ("cap_points", "cap_days")}),
    )


@admin.register(FitRule)
class FitRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "attribute", "points", "is_active")
    list_filter = ("attribute", "is_active")


@admin.register(PointsPolicy)
class PointsPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "half_life_days", "warm_at", "hot_at")

    def has_add_permission(self, request: Any) -> bool:
        return not PointsPolicy.objects.exists()

    def save_model(self, request: Any, obj: PointsPolicy, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            # The stored sums faded at the old half-life and "cools at" moments used the old thresholds.
            from django.db import transaction

            from leadflow.warming.tasks import rescore_all_leads

            transaction.on_commit(lambda: rescore_all_leads.enqueue())

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(BehaviourEvent)
class BehaviourEventAdmin(admin.ModelAdmin):
    list_display = ("kind", "lead", "visitor_id", "occurred_at", "url")
    list_filter = ("kind",)
    search_fields = ("visitor_id",)
    raw_id_fields = ("lead", "client")
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
