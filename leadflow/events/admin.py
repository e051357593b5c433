from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from leadflow.core import netguard
from leadflow.core.encryption import SecretFieldsForm, is_unreadable
from leadflow.events import webhooks
from leadflow.events.models import DeliveryState, OutboxEvent, Webhook, WebhookDelivery


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "created_at", "delivered_at", "attempts")
    list_filter = ("name",)


def _event_choices() -> list[tuple[str, str]]:
    return [(webhooks.ALL, _("Every event below, and those added later")),
            *[(name, f"{name}: {meaning}") for name, meaning in webhooks.EVENTS.items()]]


class WebhookForm(SecretFieldsForm):
    # A field declared on the form keeps its label as given (the model's are capitalised by the admin): "Events:"
    # next to "Name:", "URL:".
    events = forms.MultipleChoiceField(label=capfirst(_("events")), choices=_event_choices,
                                       widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Webhook
        fields = ("name", "url", "events", "secret", "is_active")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            netguard.check_url(url)  # checked again at every call: DNS may change
        except netguard.UnsafeURL as error:
            raise forms.ValidationError(str(error), code="unsafe") from error
        return url

    def clean_events(self) -> list[str]:
        chosen = list(self.cleaned_data["events"])
        return [webhooks.ALL] if webhooks.ALL in chosen else chosen


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ("name", "url", "is_active", "failing_since", "secret_state")
    readonly_fields = ("failing_since",)
    actions = ["send_test_event"]

    @admin.display(description=_("signing secret"))
    def secret_state(self, obj: Webhook) -> str:
        return _("cannot be decrypted: enter it again") if is_unreadable(obj, "secret") else _("stored")

    @admin.action(description=_("Send a test event now"), permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: Any) -> None:
        for hook in queryset:
            code, error = webhooks.ping(hook)
            if code is not None and 200 <= code < 300:
                messages.success(request, _("%(name)s answered %(code)s.") % {"name": hook.name, "code": code})
            else:
                messages.error(request, _("%(name)s: %(error)s") % {"name": hook.name, "error": error})


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "webhook", "state", "attempts", "response_code", "next_at", "sent_at")
    list_filter = ("state", "webhook")
    list_select_related = ("event", "webhook")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send again now"), permissions=["change"])
    def send_again(self, request: HttpRequest, queryset: Any) -> None:
        count = webhooks.send_again(list(queryset.filter(state__in=[DeliveryState.PENDING, DeliveryState.FAILED])))
        messages.info(request, _("%(count)d delivery(ies) will be sent within a second.") % {"count": count})
