"""The journal of every submission, and the keys channels submit with (forms, partners)."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import hash_token, new_token


def new_form_key() -> str:
    return f"lff_{secrets.token_urlsafe(16)}"


class Form(models.Model):
    """A web form; its public key may be embedded in pages, so it only allows submitting."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    public_key = models.CharField(_("public key"), max_length=40, unique=True, default=new_form_key)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("owner team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.ForeignKey(
        "marketing.Source", verbose_name=_("source"), null=True, blank=True, on_delete=models.SET_NULL
    )
    product_interest = models.CharField(_("product interest"), max_length=120, blank=True)
    consent_text = models.TextField(_("consent text"), blank=True)
    consent_text_version = models.CharField(_("consent text version"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("form")
        verbose_name_plural = _("forms")

    def __str__(self) -> str:
        return self.name


class PayoutModel(models.TextChoices):
    PER_LEAD = "lead", _("Each accepted lead")
    PER_CLIENT = "client", _("Each converted client")


class Partner(models.Model):
    """A lead-generation contractor, CPA network or dealer submitting through the API."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    key_prefix = models.CharField(max_length=12, editable=False, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False, null=True)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.ForeignKey(
        "marketing.Source", verbose_name=_("source"), null=True, blank=True, on_delete=models.SET_NULL
    )
    price_per_lead = models.DecimalField(_("price per accepted lead"), max_digits=12, decimal_places=2, default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Terms (DOMAIN.md 22): what is paid for, and which leads are accepted at all.
    payout_model = models.CharField(
        _("paid for"), max_length=10, choices=PayoutModel.choices, default=PayoutModel.PER_LEAD
    )
    price_per_client = models.DecimalField(
        _("price per converted client"), max_digits=12, decimal_places=2, default=0
    )
    required_fields = models.JSONField(
        _("required fields"), default=list, blank=True,
        help_text=_("A lead missing any of these is answered invalid (not paid)."),
    )
    allowed_regions = models.TextField(
        _("accepted cities or regions"), blank=True,
        help_text=_("One per line or comma-separated; empty accepts any. Compared with the lead's city."),
    )
    allowed_products = models.TextField(
        _("accepted products"), blank=True,
        help_text=_("One per line or comma-separated; empty accepts any. Compared with the product interest."),
    )
    daily_cap = models.PositiveIntegerField(
        _("daily cap"), null=True, blank=True,
        help_text=_("Most accepted leads per day; beyond it submissions are answered invalid. Empty: no cap."),
    )
    postback_url = models.CharField(
        _("postback URL"), max_length=1000, blank=True,
        help_text=_("Called on each status, e.g. https://tracker.example/pb?cid={click_id}&status={status}"
                    "&payout={payout}. Macros: {click_id}, {status}, {payout}, {lead_id}, {submission_id}."),
    )
    postback_statuses = models.JSONField(
        _("statuses to post back"), default=list, blank=True,
        help_text=_("accepted, qualified, converted, refused"),
    )

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name

    def issue_key(self) -> str:
        """Make a new API key; only its hash is kept, so the caller shows it once."""
        raw = new_token("lfp")
        self.key_hash = hash_token(raw)
        self.key_prefix = raw[:10]
        self.save(update_fields=["key_hash", "key_prefix"])
        return raw


class SubmissionStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    INVALID = "invalid", _("Invalid")
    SPAM = "spam", _("Spam")
    INTEREST = "interest", _("Interest (not a lead)")
    CREATED = "created", _("New lead created")
    ATTACHED = "attached", _("Attached to an existing card")
    FAILED = "failed", _("Processing failed")


class Submission(models.Model):
    """The raw payload of every accepted submission, stored before any processing: nothing is lost."""

    channel = models.CharField(_("channel"), max_length=10)
    payload = models.JSONField(_("raw payload"), default=dict)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    form = models.ForeignKey(Form, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions")
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    submitted_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender = models.CharField(max_length=40, blank=True, help_text="form:ID, partner:ID or user:ID")
    idempotency_key = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.RECEIVED
    )
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    interest = models.ForeignKey(
        "leads.Interest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        indexes = [
            # The partner report counts per partner, status and time, and finds the converted leads, from this
            # index alone; partial, so web forms and other channels do not pay for it on the intake path.
            models.Index(fields=["partner", "status", "received_at", "lead"], name="submission_partner_report",
                         condition=models.Q(partner__isnull=False)),
        ]
        constraints = [
            # A retried submission with the same Idempotency-Key from the same sender is the same one.
            models.UniqueConstraint(
                fields=["sender", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="submission_idempotency",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} ({self.status})"
