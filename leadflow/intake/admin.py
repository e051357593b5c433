from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.admin import ActiveTeamsOffered
from leadflow.core.history import KeepsHistoryAdmin
from leadflow.intake.models import Form, Partner, Submission
from leadflow.intake.webforms import embed_snippet


@admin.register(Form)
class FormAdmin(ActiveTeamsOffered, admin.ModelAdmin):
    list_display = ("name", "slug", "language", "team", "source", "is_active")
    readonly_fields = ("public_key", "hosted_page", "snippet", "builder_webhook")
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_active", "language", "team", "source", "product_interest")}),
        (_("What the visitor sees"), {"fields": ("title", "fields", "submit_label", "thank_you_text",
                                                 "redirect_url")}),
        (_("Consents (each its own box, unticked)"), {"fields": (
            "consent_text", "consent_text_version", "consent_document_url", "marketing_consent_text",
            "marketing_consent_text_version", "partners_consent_text", "partners_consent_text_version")}),
        (_("Embedding and spam protection"), {"fields": ("allowed_origins", "min_fill_seconds", "hosted_page",
                                                         "snippet", "public_key", "builder_webhook")}),
    )
    actions = ["issue_server_token"]

    @admin.display(description=_("website builder's webhook"))
    def builder_webhook(self, form: Form) -> str:
        if form.server_token_hash:
            return _("An address was issued (shown once). Issuing a new one stops the old one.")
        return _("None: a builder (Tilda, Marquiz...) posting to /api/submissions?form_key=... is limited per "
                 "address like a visitor. Issue one with the action in the forms list.")

    @admin.action(description=_("Issue a website builder's webhook address (shown once)"),
                  permissions=["change"])
    def issue_server_token(self, request, queryset):  # type: ignore[no-untyped-def]
        base = settings.LEADFLOW_BASE_URL.rstrip("/")
        for form in queryset:
            url = f"{base}/api/submissions?form_key={form.public_key}&server_token={form.issue_server_token()}"
            messages.info(request, _("Webhook address for %(name)s: %(url)s") % {"name": form.name, "url": url})

    @admin.display(description=_("hosted page"))
    def hosted_page(self, form: Form) -> str:
        if not form.pk:
            return "-"
        url = f"{settings.LEADFLOW_BASE_URL.rstrip('/')}/f/{form.slug}"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description=_("embed snippet (paste it where the form should appear)"))
    def snippet(self, form: Form) -> str:
        if not form.pk:
            return _("Save the form first.")
        return format_html('<textarea readonly rows="2" cols="90" onclick="this.select()">{}</textarea>',
                           embed_snippet(form, settings.LEADFLOW_BASE_URL))


@admin.register(Partner)
class PartnerAdmin(KeepsHistoryAdmin, ActiveTeamsOffered, admin.ModelAdmin):
    list_display = ("name", "key_prefix", "team", "source", "price_per_lead", "is_active")
    retire_hint = _("A partner that sent submissions is not deleted: untick 'active' instead. Its key then stops "
                    "working, and its figures and what it was paid stay in the reports.")

    def history_of(self, obj: Partner) -> list[tuple[object, int]]:
        return [(_("submissions"), Submission.objects.filter(partner=obj).count())]
    actions = ["issue_key"]

    @admin.action(description=_("Issue a new API key (shown once)"), permissions=["change"])
    def issue_key(self, request, queryset):  # type: ignore[no-untyped-def]
        for partner in queryset:
            messages.info(request, _("Key for %(name)s: %(key)s") % {"name": partner.name, "key": partner.issue_key()})


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "status", "attempts", "received_at", "lead", "partner", "form")
    list_select_related = ("lead", "partner", "form")
    list_filter = ("status", "channel")
    readonly_fields = [f.name for f in Submission._meta.fields]
    actions = ["replay"]

    @admin.action(description=_("Replay (process again)"), permissions=["change"])
    def replay(self, request, queryset):  # type: ignore[no-untyped-def]
        from leadflow.intake.pipeline import process

        for submission in queryset.filter(status__in=["failed", "invalid", "received"]):
            process(submission)
