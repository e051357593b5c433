"""The outbox: domain events written in the same transaction as the change they describe."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    """One domain event (lead.created, request.attached, ...), delivered later by the worker."""

    name = models.CharField(_("event"), max_length=64, db_index=True)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        indexes = [
            # The worker scans only undelivered events; the partial index keeps that cheap.
            models.Index(fields=["id"], name="outbox_pending", condition=models.Q(delivered_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"
