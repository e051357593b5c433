from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from leadflow.leads.models import (
    Activity,
    Interest,
    Lead,
    LostReason,
    Request,
    RoutingRule,
    Stage,
    Task,
)


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "position", "kind", "is_qualified")
    list_editable = ("position",)


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "position", "product_interest", "deal_type", "region", "strategy", "is_active")
    list_filter = ("team", "strategy", "is_active")
    filter_horizontal = ("candidates",)


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("full_name", "company_name", "phone", "email", "state", "stage", "owner", "team", "created_at")
    list_filter = ("state", "stage", "team", "channel", "temperature")
    search_fields = ("full_name", "company_name", "phone", "email")
    raw_id_fields = ("owner",)
    list_select_related = ("stage", "owner", "team")


@admin.register(Interest)
class InterestAdmin(admin.ModelAdmin):
    list_display = ("__str__", "company_name", "phone", "email", "shown_reason", "created_at")

    @admin.display(description=_("why not a lead"), ordering="reason")
    def shown_reason(self, interest: Interest) -> str:
        return interest.shown_reason


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "lead", "client", "interest", "created_at")
    raw_id_fields = ("lead", "client", "interest")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "assignee", "due_at", "completed_at")
    raw_id_fields = ("lead", "client", "previous")


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("kind", "subject", "lead", "client", "author", "occurred_at")
    raw_id_fields = ("lead", "client")
