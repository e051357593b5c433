from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from leadflow.core.errors import Forbidden
from leadflow.scoring.models import ScoringModel
from leadflow.scoring.services import request_retrain


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "requested_at", "trained_at", "n_closed", "n_positive", "n_scored")
    list_filter = ("status",)
    readonly_fields = [field.name for field in ScoringModel._meta.fields if field.name != "parameters"]
    exclude = ("parameters",)
    actions = ["retrain_now"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_retrain_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        """The action is offered to whoever may retrain (request_retrain: an administrator), not to every viewer."""
        return request.user.is_active and request.user.is_admin

    @admin.action(description=_("Retrain now (queued for the worker)"), permissions=["retrain"])
    def retrain_now(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        try:
            request_retrain(by=request.user)
        except Forbidden:
            self.message_user(request, _("Only an administrator may retrain the score."), messages.ERROR)
            return
        self.message_user(request, _("Retraining is queued; the worker starts it within a minute."), messages.SUCCESS)
