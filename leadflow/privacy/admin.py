from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from leadflow.privacy.models import Consent, ErasureLog, Tombstone


class ReadOnly(admin.ModelAdmin):
    """Records of what happened: nobody edits or deletes them from the admin."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Consent)
class ConsentAdmin(ReadOnly):
    list_display = ("at", "purpose", "given", "text_version", "channel", "lead", "client", "ip", "recorded_by")
    list_select_related = ("lead", "client", "recorded_by")
    list_filter = ("purpose", "given")
    search_fields = ("email", "phone", "text_version", "channel")
    raw_id_fields = ("lead", "client")


@admin.register(ErasureLog)
class ErasureLogAdmin(ReadOnly):
    list_display = ("at", "by", "lead_ids", "client_ids", "tombstones", "reference")
    readonly_fields = ("at", "by", "lead_ids", "client_ids", "counts", "tombstones", "reference", "cards_left_out",
                       "rows_redacted")
    exclude = ("left_out", "redacted")

    @admin.display(description=_("cards left out"))
    def cards_left_out(self, obj: ErasureLog) -> str:
        """Each card that shares a contact with the person but was not erased, the contact masked, and whether it
        was taken off that card."""
        from django.template.loader import render_to_string

        return render_to_string("privacy/partials/left_out.html", {"rows": obj.left_out}) or "—"

    @admin.display(description=_("mentions redacted in other people's rows"))
    def rows_redacted(self, obj: ErasureLog) -> str:
        """Each other person's row (a note on a colleague's card, a letter copying the person) the person was taken
        out of, and which of its fields changed; never what they said."""
        from django.template.loader import render_to_string

        return render_to_string("privacy/partials/redacted.html", {"rows": obj.redacted}) or "—"

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        extra_context = {**(extra_context or {}), "title": _("Erasures (use “Erase a person” to erase)")}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("erase a person"))
    def erase_link(self, obj=None) -> str:  # type: ignore[no-untyped-def]
        return format_html('<a href="{}">{}</a>', reverse("privacy_erase"), _("Erase a person…"))


@admin.register(Tombstone)
class TombstoneAdmin(ReadOnly):
    list_display = ("kind", "digest", "erasure", "created_at", "lifted_at", "lifted_by_submission")
    list_filter = ("kind",)
