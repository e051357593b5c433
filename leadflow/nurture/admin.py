from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from leadflow.nurture import services
from leadflow.nurture.models import (
    Enrollment,
    EnrollmentState,
    Holiday,
    MailMessage,
    MailTemplate,
    Segment,
    Sequence,
    Step,
    Suppression,
    SurveyAnswer,
    Tag,
)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    raw_id_fields = ["leads", "clients"]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "audience", "updated_at"]
    search_fields = ["name"]


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "segment", "subject"]
    list_filter = ["language"]
    search_fields = ["name", "subject"]


class StepInline(admin.TabularInline):
    model = Step
    extra = 1


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger", "audience", "is_active"]
    list_filter = ["is_active", "trigger"]
    inlines = [StepInline]


@admin.action(description=_("Stop the selected running enrollments"), permissions=["change"])
def stop_enrollments(modeladmin: admin.ModelAdmin, request, queryset) -> None:  # type: ignore[no-untyped-def]
    stopped = 0
    for enrollment in queryset.filter(state=EnrollmentState.ACTIVE):
        stopped += services.stop_enrollment(enrollment=enrollment, by=request.user)
    modeladmin.message_user(request, _("%(n)d stopped.") % {"n": stopped}, messages.SUCCESS)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["sequence", "lead", "client", "state", "step_index", "next_run_at", "shown_stop_reason"]
    list_filter = ["state", "sequence"]
    raw_id_fields = ["lead", "client", "stopped_by"]
    actions = [stop_enrollments]

    @admin.display(description=_("stop reason"), ordering="stop_reason")
    def shown_stop_reason(self, enrollment: Enrollment) -> str:
        return enrollment.shown_stop_reason


@admin.register(MailMessage)
class MailMessageAdmin(admin.ModelAdmin):
    list_display = ["to_email", "subject", "status", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["to_email", "message_id", "subject"]
    raw_id_fields = ["enrollment", "lead", "client", "template"]
    readonly_fields = ["message_id", "html_body", "text_body", "links", "shown_error", "attempts"]
    exclude = ["error"]

    @admin.display(description=_("error"))
    def shown_error(self, message: MailMessage) -> str:
        return message.shown_error


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
    raw_id_fields = ["message"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["name", "day", "month", "is_active"]


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(admin.ModelAdmin):
    list_display = ["lead", "reason", "may_contact_later", "answered_at"]
    raw_id_fields = ["lead", "message"]
