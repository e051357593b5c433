"""The outbox: domain events written in the same transaction as the change they describe."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.core.encryption import EncryptedCharField


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


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    """An address an integration gave for Leadflow's events (accounting, a data warehouse, a chat bot): each event
    it subscribed to is POSTed there as JSON, signed, and retried until it is taken (events.webhooks)."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(
        _("URL"), max_length=1000,
        help_text=_("Called with POST and a JSON body for each event. Only public http:// or https:// addresses."))
    events = models.JSONField(_("events"), default=list)
    # Encrypted, not hashed: signing each body needs the key itself.
    secret = EncryptedCharField(
        _("signing secret"), max_length=128, default=new_secret,
        help_text=_("Each call is signed with it: the header X-Leadflow-Signature is sha256= followed by the hex "
                    "HMAC-SHA256 of the timestamp header's value, a dot, and the body."))
    is_active = models.BooleanField(_("active"), default=True)
    # Set when a delivery was given up (the admins are told then), cleared by the next one taken.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, gave up")


class WebhookDelivery(models.Model):
    """One event for one webhook: its attempts and the last answer."""

    webhook = models.ForeignKey(Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE,
                                related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="+")
    state = models.CharField(_("state"), max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [models.UniqueConstraint(fields=["webhook", "event"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["next_at"], name="webhook_delivery_due",
                                condition=models.Q(state="pending"))]

    def __str__(self) -> str:
        return f"{self.webhook} · {self.event}"
