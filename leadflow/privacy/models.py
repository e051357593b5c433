"""Consent as its own record (152-FZ): what was agreed to, in which words, when, from where."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    PROCESSING = "processing", _("Processing of personal data")
    MARKETING = "marketing", _("Marketing e-mail")
    PARTNERS = "partners", _("Transfer to partners")


class Consent(models.Model):
    """One consent given or withdrawn; the latest record per person and purpose is what holds."""

    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    given = models.BooleanField(_("given"), default=True, help_text=_("Off: this record withdraws the consent."))
    text_version = models.CharField(_("text version"), max_length=60, blank=True)
    text = models.TextField(_("text shown"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=60, blank=True)
    lead = models.ForeignKey(
        "leads.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE, related_name="consents"
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="consents",
    )
    # Normalised e-mail (lower case) so an address's consent holds whichever card it is on.
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["lead", "purpose", "at"], name="consent_lead_purpose")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {'+' if self.given else '−'} {self.at:%Y-%m-%d}"


class ErasureLog(models.Model):
    """One erasure on request: who, when, which cards, how many rows per room; no personal data."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("erased by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    lead_ids = models.JSONField(_("leads"), default=list, blank=True)
    client_ids = models.JSONField(_("clients"), default=list, blank=True)
    counts = models.JSONField(_("rows changed per room"), default=dict, blank=True)
    tombstones = models.PositiveIntegerField(_("tombstones"), default=0)
    # Cards that share a contact with the person but were not erased: [{"card": "lead:7", "contact": "+7916*****33",
    # "removed": true}] (removed: taken off that card's other contacts); the contact masked, never stored whole again.
    left_out = models.JSONField(_("cards left out"), default=list, blank=True)
    # Other people's rows whose texts named the person and were redacted, not erased (a note on a colleague's card
    # quoting their phone, a colleague's letter copying them): [{"row": "activity:12", "card": "lead:7",
    # "fields": ["body"]}]; what the texts said is not kept.
    redacted = models.JSONField(_("mentions redacted in other people's rows"), default=list, blank=True)
    # A reference to the person's request (a ticket or letter number), never their name or address.
    reference = models.CharField(_("request reference"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M}"


class TombstoneKind(models.TextChoices):
    EMAIL = "email", _("e-mail")
    PHONE = "phone", _("phone")
    TELEGRAM = "telegram", _("Telegram account")


class Tombstone(models.Model):
    """A keyed hash of an erased person's normalised e-mail, phone or Telegram account: the person cannot be
    re-imported, and nobody can read the address back from it."""

    kind = models.CharField(_("kind"), max_length=8, choices=TombstoneKind.choices)
    digest = models.CharField(_("keyed hash"), max_length=64, db_index=True)
    erasure = models.ForeignKey(ErasureLog, verbose_name=_("erasure"), on_delete=models.CASCADE,
                                related_name="tombstone_rows")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The person came back by themselves with a fresh consent: the tombstone no longer blocks them.
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by_submission = models.BigIntegerField(_("lifted by submission"), null=True, blank=True)

    class Meta:
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")

    def __str__(self) -> str:
        return f"{self.kind}:{self.digest[:12]}…"


class MessageAddress(models.Model):
    """A mailbox a stored e-mail's head names (From, To, Cc, Reply-To, a Message-ID built from an address, the first
    16 KB of the raw message), in its canonical form, written when the message is stored: an erasure finds the
    letters copying the person by an index lookup instead of reading every message. It follows the raw message:
    rewritten with it when an erasure takes the person out or drops it. "" stands for a head naming no mailbox, or no
    raw message left (the message is indexed all the same)."""

    email = models.ForeignKey("inbox.IncomingEmail", verbose_name=_("e-mail"), on_delete=models.CASCADE,
                              related_name="+")
    mailbox = models.CharField(_("mailbox"), max_length=254, db_index=True)

    class Meta:
        verbose_name = _("address in a stored e-mail")
        verbose_name_plural = _("addresses in stored e-mails")
        constraints = [models.UniqueConstraint(fields=["email", "mailbox"], name="message_address_unique")]

    def __str__(self) -> str:
        return f"{self.email_id}: {self.mailbox}"

