"""Incoming e-mail: the mailboxes Leadflow polls, and every message kept raw as it arrived."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.core.exceptions import SuspiciousFileOperation
from django.db import models
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from leadflow.core.encryption import EncryptedCharField


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS (port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    NONE = "none", _("None (only on a trusted network)")


class AfterTaking(models.TextChoices):
    SEEN = "seen", _("Mark as read (\\Seen)")
    MOVE = "move", _("Move to another folder")


class Mailbox(models.Model):
    """An existing IMAP mailbox the worker polls for leads (e.g. sales@ on the company's mail server)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    host = models.CharField(_("IMAP server"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=10, choices=Security.choices, default=Security.SSL)
    username = models.CharField(_("user name"), max_length=255)
    # IMAP needs the password itself, so it is encrypted (not hashed); the admin never lists or shows it.
    password = EncryptedCharField(_("password"), max_length=255)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    after_taking = models.CharField(
        _("after taking a message"), max_length=10, choices=AfterTaking.choices, default=AfterTaking.SEEN
    )
    move_to = models.CharField(
        _("move to folder"), max_length=255, blank=True, help_text=_("Used when messages are moved after taking.")
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Leads from this mailbox go to this team (empty: the default team). Mail delivered to "
                    "Leadflow's own SMTP server goes to the team of the mailbox whose user name is the recipient."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} ({self.username}@{self.host})"


class EmailKind(models.TextChoices):
    PERSON = "person", _("Written by a person")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Delivery failure (bounce)")
    MAILING_LIST = "list", _("Mailing list")


class EmailStatus(models.TextChoices):
    STORED = "stored", _("Stored, not processed yet")
    UNREADABLE = "unreadable", _("Could not be parsed")
    IGNORED = "ignored", _("Not a lead (automatic mail)")
    SUBMITTED = "submitted", _("Handed to the intake pipeline")
    FAILED = "failed", _("Processing failed")


class IncomingEmail(models.Model):
    """One message as it arrived (raw bytes, stored before anything else), then what was read from it."""

    # Message-ID, or the raw bytes' SHA-256 when there is none: the same message taken twice
    # (SMTP retry, a second poll, both channels) is one row.
    key = models.CharField(_("storage key"), max_length=300, unique=True)
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    via = models.CharField(_("received via"), max_length=10)  # smtp | imap
    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="emails")
    envelope_from = models.CharField(_("envelope sender"), max_length=320, blank=True)
    envelope_to = models.JSONField(_("envelope recipients"), default=list, blank=True)
    peer = models.CharField(_("sent from"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)

    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    references = models.JSONField(_("References"), default=list, blank=True)
    from_name = models.CharField(_("sender name"), max_length=255, blank=True)
    from_address = models.CharField(_("sender address"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    text = models.TextField(_("text"), blank=True)
    phones = models.JSONField(_("phones found"), default=list, blank=True)
    company = models.CharField(_("company found"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=EmailKind.choices, blank=True)
    kind_reason = models.CharField(_("recognised by"), max_length=255, blank=True)

    status = models.CharField(_("status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.STORED)
    error = models.TextField(_("error"), blank=True)
    submission = models.ForeignKey(
        "intake.Submission", verbose_name=_("submission"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    lead = models.ForeignKey(
        "leads.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incoming e-mail")
        verbose_name_plural = _("incoming e-mails")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_address or self.envelope_from or '?'}: {self.subject or self.key}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # A fresh directory per file: senders' names collide ("image001.png") and may not be trusted as paths.
    try:
        safe = get_valid_filename(PurePosixPath(filename.replace("\\", "/")).name)[-120:]
    except SuspiciousFileOperation:  # "..", or nothing usable left of the sender's name
        safe = "attachment"
    return f"inbox/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{safe}"


class Attachment(models.Model):
    """A file that came with an e-mail, kept under the data directory (MEDIA_ROOT/inbox/)."""

    email = models.ForeignKey(IncomingEmail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename or self.content_type
