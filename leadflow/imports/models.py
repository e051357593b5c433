"""Import jobs: a file of leads or clients, its column mapping, and what became of every row."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STALLED_AFTER = timedelta(minutes=10)


class ImportKind(models.TextChoices):
    LEADS = "leads", _("Leads")
    CLIENTS = "clients", _("Clients")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded: map the columns")
    CHECKING = "checking", _("Dry run in progress")
    CHECKED = "checked", _("Dry run done")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded file and its import: mapping, dry-run and real-run counts, progress, error file.

    The file lives under the data directory (MEDIA_ROOT), never under a public URL: it is served
    only through the job's pages, which check who is asking.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=ImportKind.choices, default=ImportKind.LEADS)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=4)  # csv | xlsx
    encoding = models.CharField(_("encoding"), max_length=40, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    headers = models.JSONField(_("columns"), default=list)
    mapping = models.JSONField(_("column mapping"), default=dict, help_text="column index -> field name")
    source = models.ForeignKey("marketing.Source", verbose_name=_("source"), null=True, blank=True,
                               on_delete=models.PROTECT)
    campaign = models.ForeignKey("marketing.Campaign", verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.PROTECT)
    region = models.CharField(_("phone region"), max_length=2, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    dry_counts = models.JSONField(_("dry-run counts"), default=dict, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    report = models.JSONField(_("row report"), default=list, blank=True)
    error_file = models.FileField(_("error file"), upload_to="imports/%Y/%m/", max_length=255, blank=True)
    failure = models.TextField(_("failure"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Moved on every chunk: a busy job whose heartbeat stopped lost its worker and may be started again.
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in (ImportStatus.DONE, ImportStatus.CHECKED) else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def is_busy(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.RUNNING)

    @property
    def is_stalled(self) -> bool:
        """Busy, but no progress for STALLED_AFTER: its worker stopped (killed, machine restarted)."""
        moment = self.heartbeat_at or self.started_at
        return self.is_busy and moment is not None and timezone.now() - moment > STALLED_AFTER
