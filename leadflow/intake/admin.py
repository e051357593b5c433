from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from leadflow.intake.models import Form, Partner, Submission


@admin.register(Form)
class FormAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "public_key", "team", "source", "is_active")
    readonly_fields = ("public_key",)


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "key_prefix", "team", "source", "price_per_lead", "is_active")
    actions = ["issue_key"]

    @admin.action(description=_("Issue a new API key (shown once)"))
    def issue_key(self, request, queryset):  # type: ignore[no-untyped-def]
        for partner in queryset:
            messages.info(request, _("Key for %(name)s: %(key)s") % {"name": partner.name, "key": partner.issue_key()})


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "status", "received_at", "lead", "partner", "form")
    list_filter = ("status", "channel")
    readonly_fields = [f.name for f in Submission._meta.fields]
    actions = ["replay"]

    @admin.action(description=_("Replay (process again)"))
    def replay(self, request, queryset):  # type: ignore[no-untyped-def]
        from leadflow.intake.pipeline import process

        for submission in queryset.filter(status__in=["failed", "invalid", "received"]):
            process(submission)
