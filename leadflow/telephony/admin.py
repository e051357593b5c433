from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from leadflow.telephony.models import Call, CallEvent, Extension, Integration, Line


class LineInline(admin.TabularInline):
    model = Line
    extra = 1


class ExtensionInline(admin.TabularInline):
    model = Extension
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ("name", "provider", "team", "is_active", "webhook_url")
    inlines = [LineInline, ExtensionInline]

    @admin.display(description=_("webhook URL"))
    def webhook_url(self, obj: Integration) -> str:
        if obj.pk is None:
            return "-"
        return format_html("<code>/api/telephony/{}/events</code>", obj.pk)


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("started_at", "direction", "caller", "called_line", "state", "duration_seconds", "answered_by",
                    "lead", "client", "interest")
    list_filter = ("state", "direction", "integration")
    search_fields = ("caller", "caller_raw", "provider_call_id")
    readonly_fields = [f.name for f in Call._meta.fields]


@admin.register(CallEvent)
class CallEventAdmin(admin.ModelAdmin):
    list_display = ("received_at", "integration", "kind", "event_key", "processed_at")
    list_filter = ("kind", "integration")
    readonly_fields = [f.name for f in CallEvent._meta.fields]
