from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from leadflow.core.encryption import SecretFieldsForm, is_unreadable
from leadflow.inbox.models import Attachment, EmailStatus, IncomingEmail, Mailbox
from leadflow.leads.templatetags.leadflow_tags import phone_shown


class MailboxForm(SecretFieldsForm):
    # The password is write-only (SecretFieldsForm): never sent back; left empty on a change, it stays.
    class Meta:
        model = Mailbox
        fields = ("name", "host", "port", "security", "username", "password", "folder", "after_taking", "move_to",
                  "team", "is_active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("after_taking") == "move" and not cleaned.get("move_to"):
            self.add_error("move_to", _("Name the folder messages are moved to."))
        return cleaned


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "host", "port", "username", "folder", "after_taking", "team", "is_active",
                    "last_polled_at", "last_error", "password_state")
    readonly_fields = ("last_polled_at", "last_error")

    @admin.display(description=_("password"))
    def password_state(self, mailbox: Mailbox) -> str:
        return _("cannot be decrypted: enter it again") if is_unreadable(mailbox, "password") else _("stored")


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = ("download", "content_type", "size")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("file"))
    def download(self, attachment: Attachment) -> str:
        url = reverse("admin:inbox_incomingemail_attachment", args=[attachment.email_id, attachment.pk])
        return format_html('<a href="{}">{}</a>', url, attachment.filename or _("(no name)"))


@admin.register(IncomingEmail)
class IncomingEmailAdmin(admin.ModelAdmin):
    list_display = ("received_at", "from_address", "subject", "kind", "status", "via", "lead", "client")
    list_filter = ("status", "kind", "via")
    search_fields = ("from_address", "from_name", "subject", "message_id")
    exclude = ("raw",)
    readonly_fields = [f.name for f in IncomingEmail._meta.fields if f.name != "raw"] + ["raw_message", "found"]
    inlines = [AttachmentInline]
    actions = ["process_again"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer("raw", "text")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("raw message"))
    def raw_message(self, email: IncomingEmail) -> str:
        url = reverse("admin:inbox_incomingemail_raw", args=[email.pk])
        return format_html('<a href="{}">{}</a> ({} B)', url, _("download .eml"), email.size)

    @admin.display(description=_("contacts found"))
    def found(self, email: IncomingEmail) -> str:
        return format_html_join(", ", "{}", ((phone_shown(phone),) for phone in email.phones)) or "-"

    def get_urls(self) -> list[Any]:
        own = [
            path("<int:pk>/eml/", self.admin_site.admin_view(self.raw_view), name="inbox_incomingemail_raw"),
            path("<int:pk>/attachment/<int:attachment_pk>/", self.admin_site.admin_view(self.attachment_view),
                 name="inbox_incomingemail_attachment"),
        ]
        return own + super().get_urls()

    def raw_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        email = IncomingEmail.objects.filter(pk=pk).first()
        if email is None:
            raise Http404
        response = HttpResponse(bytes(email.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="message-{email.pk}.eml"'
        return response

    def attachment_view(self, request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
        if not self.has_view_permission(request):
            raise Http404
        attachment = Attachment.objects.filter(pk=attachment_pk, email_id=pk).first()
        if attachment is None:
            raise Http404
        # Always a download, never rendered: an attached HTML file must not run in Leadflow's origin.
        return FileResponse(attachment.file.open("rb"), as_attachment=True,
                            filename=attachment.filename or "attachment", content_type="application/octet-stream")

    @admin.action(description=_("Process again"), permissions=["change"])
    def process_again(self, request: HttpRequest, queryset: Any) -> None:
        from leadflow.inbox.services import process_email

        done = 0
        for email in queryset.filter(status__in=[EmailStatus.STORED, EmailStatus.UNREADABLE, EmailStatus.FAILED]):
            process_email(email=email)
            done += 1
        messages.info(request, _("%(count)d message(s) processed again.") % {"count": done})
