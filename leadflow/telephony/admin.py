from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from leadflow.core.encryption import SecretFieldsForm, is_unreadable
from leadflow.telephony.models import Call, CallEvent, Extension, Integration, Line


class LineInline(admin.TabularInline):
    model = Line
    extra = 1


class ExtensionInline(admin.TabularInline):
    model = Extension
    extra = 1
    autocomplete_fields = ("user",)


class IntegrationForm(SecretFieldsForm):
    # The secret is write-only: the add form shows the generated one (not stored yet), the change form never does.
    class Meta:
        model = Integration
        fields = "__all__"


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationForm
    list_display = ("name", "provider", "team", "is_active", "webhook_url", "secret_state")
    inlines = [LineInline, ExtensionInline]

    @admin.display(description=_("webhook URL"))
    def webhook_url(self, obj: Integration) -> str:
        if obj.pk is None:
            return "-"
        return format_html("<code>/api/telephony/{}/events</code>", obj.pk)

    @admin.display(description=_("secret"))
    def secret_state(self, obj: Integration) -> str:
        return _("cannot be decrypted: enter it again") if is_unreadable(obj, "secret") else _("stored")

    def response_add(self, request: HttpRequest, obj: Integration, post_url_continue: str | None = None
                     ) -> HttpResponse:
        """The secret is stored encrypted and never shown again: this page is the last time it is visible."""
        path = f"/api/telephony/{obj.pk}/events"
        response = TemplateResponse(request, "telephony/admin/secret_shown_once.html", {
            **self.admin_site.each_context(request), "title": _("Integration added"), "opts": Integration._meta,
            "integration": obj, "secret": obj.secret, "webhook_url": settings.LEADFLOW_BASE_URL.rstrip("/") + path,
            "change_url": reverse("admin:telephony_integration_change", args=[obj.pk]),
            "add_url": reverse("admin:telephony_integration_add"),
        })
        response["Cache-Control"] = "no-store"  # admin pages are never cached anyway; this one must not be
        return response


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("started_at", "direction", "caller", "called_line", "state", "duration_seconds", "answered_by",
                    "lead", "client", "interest")
    list_filter = ("state", "direction", "integration")
    search_fields = ("caller", "caller_raw", "provider_call_id")
    readonly_fields = [f.name for f in Call._meta.fields]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        """Calls are what the PBX reported: an "add" form of read-only fields saved an empty call (a server error)."""
        return False


@admin.register(CallEvent)
class CallEventAdmin(admin.ModelAdmin):
    list_display = ("received_at", "integration", "kind", "event_key", "processed_at")
    list_filter = ("kind", "integration")
    readonly_fields = [f.name for f in CallEvent._meta.fields]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # the PBX's events as received, as the calls
