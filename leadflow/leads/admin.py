from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from leadflow.leads import routing_setup
from leadflow.leads.forms import ANY_DEAL_TYPE, RoutingRuleForm
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
from leadflow.matching.phone_admin import PhoneColumnAdmin


@admin.display(description=_("name"), ordering="name")
def shown_name(row: Stage | LostReason) -> str:
    """A seeded default's name in the reader's language, a name the admin typed as typed (as on every page)."""
    return str(row)


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = (shown_name, "code", "position", "kind", "is_qualified")
    list_editable = ("position",)


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    list_display = (shown_name, "is_active")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ("name", "team", "position", "product_interest", "shown_deal_type", "region", "strategy",
                    "is_active")
    list_filter = ("team", "strategy", "is_active")
    filter_horizontal = ("candidates",)

    @admin.display(description=_("deal type is"), ordering="deal_type")
    def shown_deal_type(self, rule: RoutingRule) -> str:
        return rule.get_deal_type_display() if rule.deal_type else str(ANY_DEAL_TYPE)

    # Audited as the routing page audits (leads.routing_setup): the head's history shows the admin's changes too.
    # The rule's candidates are saved after the rule (save_related), so the new snapshot is taken there.

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        obj._as_saved = routing_setup.rule_as_saved(obj.pk if change else None)  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        routing_setup.audit_rule_change(rule=form.instance, before=getattr(form.instance, "_as_saved", None),
                                        by=request.user)

    def delete_model(self, request: HttpRequest, obj: RoutingRule) -> None:
        routing_setup.audit_rule_change(rule=obj, before=routing_setup.rule_as_saved(obj.pk), by=request.user,
                                        deleted=True)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoutingRule]) -> None:
        for rule in queryset:
            routing_setup.audit_rule_change(rule=rule, before=routing_setup.rule_as_saved(rule.pk), by=request.user,
                                            deleted=True)
        super().delete_queryset(request, queryset)


@admin.register(Lead)
class LeadAdmin(PhoneColumnAdmin):
    list_display = ("full_name", "company_name", "shown_phone", "email", "state", "stage", "owner", "team",
                    "created_at")
    list_filter = ("state", "stage", "team", "channel", "temperature")
    search_fields = ("full_name", "company_name", "phone", "email")
    raw_id_fields = ("owner",)
    list_select_related = ("stage", "owner", "team")


@admin.register(Interest)
class InterestAdmin(PhoneColumnAdmin):
    list_display = ("__str__", "company_name", "shown_phone", "email", "messengers", "as_given", "shown_reason",
                    "created_at")
    readonly_fields = ("as_given",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Interest]:
        return super().get_queryset(request).prefetch_related("requests")

    @admin.display(description=_("why not a lead"), ordering="reason")
    def shown_reason(self, interest: Interest) -> str:
        return interest.shown_reason

    @admin.display(description=_("Messenger"))
    def messengers(self, interest: Interest) -> str:
        """The messenger accounts given (an interest's only contact, often): links to write to."""
        from urllib.parse import quote

        from leadflow.leads.given import messengers_given

        link = '<a href="https://{}" rel="noopener noreferrer" target="_blank">{}</a>'
        return format_html_join(mark_safe(", "), link, ((quote(account, safe="/"), account)
                                                        for account in messengers_given(list(interest.requests.all()))
                                                        )) or "—"

    @admin.display(description=_("kept as given"))
    def as_given(self, interest: Interest) -> str:
        """What was given that could not be read, as typed (escaped: it comes from a public form)."""
        from leadflow.leads.given import for_reader, unreadable_given
        from leadflow.leads.templatetags.leadflow_tags import given_label

        return format_html_join(mark_safe("<br>"), "{}: «{}» ({})", (
            (given_label(str(entry.get("field", ""))), entry.get("value", ""), entry.get("problem", ""))
            for entry in for_reader(unreadable_given(list(interest.requests.all()))))) or "—"


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "lead", "client", "interest", "created_at")
    list_select_related = ("lead", "client", "interest")
    raw_id_fields = ("lead", "client", "interest")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("shown_title", "assignee", "due_at", "status", "completed_at", "shown_result")
    list_select_related = ("assignee",)
    list_filter = ("kind", "is_cancelled")
    raw_id_fields = ("lead", "client", "previous")

    @admin.display(description=_("title"), ordering="title")
    def shown_title(self, task: Task) -> str:
        return task.shown_title  # a task Leadflow set in the reader's language, a typed one as typed

    @admin.display(description=_("result"))
    def shown_result(self, task: Task) -> str:
        return task.shown_result

    @admin.display(description=_("status"), ordering="completed_at")
    def status(self, task: Task) -> str:
        return str(task.status_label)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("kind", "shown_subject", "lead", "client", "author", "occurred_at")
    list_select_related = ("lead", "client", "author")
    raw_id_fields = ("lead", "client")

    @admin.display(description=_("subject"), ordering="subject")
    def shown_subject(self, activity: Activity) -> str:
        return activity.shown_subject
