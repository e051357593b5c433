"""Phone calls: the PBX / cloud telephony lines Leadflow listens to, and the calls they report."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.core.encryption import EncryptedCharField


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Provider(models.TextChoices):
    GENERIC = "generic", _("Generic JSON (any PBX: Asterisk, FreePBX, a script)")
    ZADARMA = "zadarma", _("Zadarma (NOTIFY_* webhooks)")


class Integration(models.Model):
    """A telephony account posting call events to Leadflow; its secret checks every webhook."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices, default=Provider.GENERIC)
    # Encrypted, not hashed: checking an HMAC signature needs the key itself.
    secret = EncryptedCharField(
        _("secret"), max_length=128, default=new_secret,
        help_text=_("Generic: the bearer token / HMAC-SHA256 key. Zadarma: the API secret key its signatures use."),
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Gets calls to lines not listed below."),
    )
    time_zone = models.CharField(
        _("time zone of the PBX"), max_length=64, blank=True,
        help_text=_("Zone of times the provider sends without one (Zadarma's call_start). Empty: the site's zone."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("telephony integration")
        verbose_name_plural = _("telephony integrations")

    def __str__(self) -> str:
        return self.name


class Line(models.Model):
    """A called number (the company's line) and the team whose calls it takes."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="lines")
    number = models.CharField(_("number"), max_length=64, help_text=_("As the PBX sends it; matched in E.164."))
    number_e164 = models.CharField(max_length=20, editable=False, blank=True)
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        constraints = [
            models.UniqueConstraint(fields=["integration", "number_e164"], name="telephony_line_unique"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from leadflow.telephony.numbers import line_key

        self.number_e164 = line_key(self.number)
        super().save(*args, **kwargs)


class Extension(models.Model):
    """A PBX extension (internal number) and the manager who answers on it."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="extensions")
    extension = models.CharField(_("extension"), max_length=20)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        constraints = [
            models.UniqueConstraint(fields=["integration", "extension"], name="telephony_extension_unique"),
        ]

    def __str__(self) -> str:
        return self.extension


class Direction(models.TextChoices):
    INCOMING = "in", _("Incoming")
    OUTGOING = "out", _("Outgoing")


class CallState(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    MISSED = "missed", _("Missed")
    FINISHED = "finished", _("Finished")


class Call(models.Model):
    """One call as the provider reports it, event by event; linked to the card it was about."""

    integration = models.ForeignKey(Integration, verbose_name=_("integration"), on_delete=models.PROTECT,
                                    related_name="calls")
    provider_call_id = models.CharField(_("provider's call id"), max_length=128)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.INCOMING)
    caller = models.CharField(_("client's number"), max_length=20, blank=True,
                              help_text=_("E.164; empty for a hidden or unparseable number."))
    caller_raw = models.CharField(_("number as sent"), max_length=64, blank=True)
    called_line = models.CharField(_("our line"), max_length=64, blank=True)
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=CallState.choices, default=CallState.RINGING)
    timeline = models.JSONField(_("state timeline"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration, s"), null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=1000, blank=True)
    recording_id = models.CharField(_("provider's recording id"), max_length=128, blank=True)
    lead = models.ForeignKey("leads.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="calls")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.SET_NULL,
                               related_name="calls")
    interest = models.ForeignKey("leads.Interest", verbose_name=_("interest"), null=True, blank=True,
                                 on_delete=models.SET_NULL,
                                 related_name="+")
    activity = models.ForeignKey("leads.Activity", verbose_name=_("activity"), null=True, blank=True,
                                 on_delete=models.SET_NULL,
                                 related_name="+")
    callback_task = models.ForeignKey("leads.Task", verbose_name=_("callback task"), null=True, blank=True,
                                      on_delete=models.SET_NULL,
                                      related_name="+")
    submission_id = models.BigIntegerField(_("submission id"), null=True, blank=True)
    processed_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        constraints = [
            # Providers retry and may report one call in several events: one row per call.
            models.UniqueConstraint(fields=["integration", "provider_call_id"], name="telephony_call_unique"),
        ]
        indexes = [
            models.Index(fields=["caller", "-started_at"]),
            # The calls page: the newest calls of a period, a team's or by state.
            models.Index(fields=["-started_at", "-id"], name="call_started"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.caller or self.caller_raw or '?'} ({self.state})"


class CallEvent(models.Model):
    """The raw body of every accepted webhook, stored before processing; its key makes retries no-ops."""

    integration = models.ForeignKey(Integration, verbose_name=_("integration"), on_delete=models.PROTECT,
                                    related_name="events")
    event_key = models.CharField(_("event key"), max_length=255)
    kind = models.CharField(_("kind"), max_length=30)
    payload = models.JSONField(_("raw body"), default=dict)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    call = models.ForeignKey(Call, verbose_name=_("call"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="events")
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "event_key"], name="telephony_event_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_key}"
