"""What a visitor or lead does on the site and in our mail: the facts points and sequences feed on."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    PAGE_VIEW = "page_view", _("Page view")
    ADD_TO_CART = "add_to_cart", _("Added to cart")
    CART_ABANDONED = "cart_abandoned", _("Cart abandoned")
    PURCHASE = "purchase", _("Purchase")
    SUBSCRIPTION = "subscription", _("Subscription")
    REGISTRATION = "registration", _("Registration")
    WEBINAR_REGISTERED = "webinar_registered", _("Webinar registration")
    WEBINAR_ATTENDED = "webinar_attended", _("Webinar attended")
    VIDEO_VIEW = "video_view", _("Video view")
    TRIAL_STARTED = "trial_started", _("Trial started")
    TRIAL_ENDING = "trial_ending", _("Trial ending")
    EMAIL_OPENED = "email_opened", _("E-mail opened")
    EMAIL_CLICKED = "email_clicked", _("E-mail link clicked")


class BehaviourEvent(models.Model):
    """One thing a visitor did; anonymous (visitor id only) until the person identifies themselves."""

    kind = models.CharField(_("event"), max_length=24, choices=EventKind.choices)
    lead = models.ForeignKey(
        "leads.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="behaviour_events",
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="behaviour_events",
    )
    visitor_id = models.CharField(_("visitor id"), max_length=64, blank=True, db_index=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    url = models.URLField(_("page"), max_length=1000, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration, seconds"), null=True, blank=True)
    properties = models.JSONField(_("properties"), default=dict, blank=True)

    class Meta:
        verbose_name = _("behaviour event")
        verbose_name_plural = _("behaviour events")
        indexes = [
            models.Index(fields=["lead", "kind", "occurred_at"], name="behaviour_lead_kind"),
            models.Index(fields=["client", "kind", "occurred_at"], name="behaviour_client_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"
