"""The journal of every submission, and the keys channels submit with (forms, partners)."""

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import hash_token, new_token


def new_form_key() -> str:
    return f"lff_{secrets.token_urlsafe(16)}"


# The pipeline's fields a web form may show, with their input type and default label (DOMAIN.md 1-3).
FORM_FIELDS: dict[str, tuple[str, Any]] = {
    "name": ("text", _("Your name")),
    "last_name": ("text", _("Surname")),
    "first_name": ("text", _("First name")),
    "middle_name": ("text", _("Patronymic")),
    "phone": ("tel", _("Phone")),
    "email": ("email", _("E-mail")),
    "company": ("text", _("Company")),
    "position": ("text", _("Position")),
    "city": ("text", _("City")),
    "product_interest": ("text", _("Product you are interested in")),
    "company_size": ("number", _("Company size, employees")),
    "message": ("textarea", _("Message")),
}


def default_form_fields() -> list[dict[str, Any]]:
    return [
        {"name": "name", "required": True},
        {"name": "phone", "required": True},
        {"name": "email", "required": False},
        {"name": "message", "required": False},
    ]


def validate_form_fields(value: Any) -> None:
    """The admin types the field list as JSON: name it, point at the bad entry."""
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Give a list of fields, e.g. [{\"name\": \"phone\", \"required\": true}]."))
    seen: set[str] = set()
    for position, entry in enumerate(value, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ValidationError(_("Field %(n)d: an object with a \"name\" is needed.") % {"n": position})
        if entry["name"] not in FORM_FIELDS:
            raise ValidationError(_("Field %(n)d: unknown field \"%(name)s\"; known: %(known)s.") % {
                "n": position, "name": entry["name"], "known": ", ".join(FORM_FIELDS)})
        if entry["name"] in seen:
            raise ValidationError(_("Field \"%(name)s\" is listed twice.") % {"name": entry["name"]})
        seen.add(entry["name"])
        if not isinstance(entry.get("required", False), bool):
            raise ValidationError(_("Field %(n)d: \"required\" must be true or false.") % {"n": position})
        if not isinstance(entry.get("label", ""), str) or len(entry.get("label", "")) > 200:
            raise ValidationError(_("Field %(n)d: \"label\" must be text of at most 200 characters.") % {
                "n": position})
        extra = set(entry) - {"name", "required", "label"}
        if extra:
            raise ValidationError(_("Field %(n)d: unknown keys %(keys)s.") % {
                "n": position, "keys": ", ".join(sorted(extra))})


def validate_http_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(_("Must be an http:// or https:// address."))


def parse_origin(value: str) -> str:
    """'https://Example.com:443/' -> 'https://example.com'; raises ValidationError if it is not an origin."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or (
        parts.query or parts.fragment or parts.username or parts.password
    ):
        raise ValidationError(_("“%(value)s” is not an origin like https://www.example.com") % {"value": value})
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    port = "" if parts.port in (None, default_port) else f":{parts.port}"
    return f"{parts.scheme}://{host}{port}"


def validate_origins(value: str) -> None:
    for line in value.split():
        parse_origin(line)


class FormLanguage(models.TextChoices):
    EN = "en", "English"
    RU = "ru", "Русский"


def site_form_language() -> str:
    """A new form speaks the site's language (LEADFLOW_LANGUAGE) when it is one forms have, else English."""
    code = (settings.LANGUAGE_CODE or "").split("-")[0]
    return code if code in FormLanguage.values else FormLanguage.EN


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
    consent_text = models.TextField(
        _("consent text (processing of personal data)"), blank=True,
        help_text=_("When set, the form shows a required box with this text: the consent to process personal data."),
    )
    consent_text_version = models.CharField(_("consent text version"), max_length=60, blank=True)
    consent_document_url = models.CharField(
        _("personal data policy (link)"), max_length=1000, blank=True, validators=[validate_http_url],
        help_text=_("An http(s) address of the full document; the form links to it next to the consent box."),
    )
    # 152-FZ: each purpose is its own consent with its own text, shown as its own unticked box.
    marketing_consent_text = models.TextField(
        _("marketing e-mail consent text"), blank=True,
        help_text=_("When set, the form shows an optional box for advertising and newsletter e-mail."),
    )
    marketing_consent_text_version = models.CharField(_("marketing consent text version"), max_length=60,
                                                      blank=True)
    partners_consent_text = models.TextField(
        _("transfer to partners consent text"), blank=True,
        help_text=_("When set, the form shows an optional box for passing the contacts to partners and dealers."),
    )
    partners_consent_text_version = models.CharField(_("partners consent text version"), max_length=60,
                                                     blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    language = models.CharField(_("language"), max_length=5, choices=FormLanguage.choices, default=site_form_language)
    title = models.CharField(_("title shown above the form"), max_length=200, blank=True)
    fields = models.JSONField(
        _("fields"), default=default_form_fields, validators=[validate_form_fields],
        help_text=format_lazy(
            _("A list of {{\"name\", \"required\", \"label\"}}; names: {names}. The label is optional."),
            names=", ".join(FORM_FIELDS),
        ),
    )
    submit_label = models.CharField(_("button text"), max_length=60, blank=True)
    thank_you_text = models.TextField(_("thank-you text"), blank=True)
    redirect_url = models.CharField(
        _("redirect after submitting"), max_length=1000, blank=True, validators=[validate_http_url],
        help_text=_("An http(s) address; when set, the visitor goes there instead of seeing the thank-you text."),
    )
    allowed_origins = models.TextField(
        _("sites that may embed the form"), blank=True, validators=[validate_origins],
        help_text=_("One origin per line, e.g. https://www.example.com; the embedded form works only there."),
    )
    hand_to_sales = models.CharField(
        _("hand leads to sales"), max_length=10, default="at_once",
        choices=[("at_once", _("at once")), ("when_hot", _("when hot (marketing nurtures them first)"))],
        help_text=_("When hot: a new lead stays with marketing (not in the pool, no task) until its points make "
                    "it hot; then it is routed and gets its first task."),
    )
    min_fill_seconds = models.PositiveSmallIntegerField(
        _("minimum fill time, s"), default=3,
        help_text=_("A form sent sooner after it was shown is taken for a bot and journaled as spam."),
    )
    # A website builder's webhook posts every visitor's submission from the builder's few servers: counted per
    # visitor address, a busy form would be refused (429) after 20 leads, and builders do not send them again.
    server_token_hash = models.CharField(_("builder webhook token (hash)"), max_length=64, blank=True,
                                         editable=False)

    class Meta:
        verbose_name = _("form")
        verbose_name_plural = _("forms")

    def __str__(self) -> str:
        return self.name

    def issue_server_token(self) -> str:
        """A new secret for the builder's webhook address (shown once; the previous one stops working)."""
        raw = new_token("lfs")
        self.server_token_hash = hash_token(raw)
        self.save(update_fields=["server_token_hash"])
        return raw

    def is_server_token(self, raw: str) -> bool:
        return bool(self.server_token_hash) and secrets.compare_digest(self.server_token_hash, hash_token(raw))

    def origins(self) -> set[str]:
        found = set()
        for line in self.allowed_origins.split():
            try:
                found.add(parse_origin(line))
            except ValidationError:
                continue
        return found

    def allows_origin(self, origin: str) -> bool:
        try:
            return parse_origin(origin) in self.origins()
        except ValidationError:
            return False

    def shown_fields(self) -> list[dict[str, Any]]:
        """The field list as the page shows it: type, label (the admin's or the default, in the active
        language) and whether it is required; unknown entries are skipped."""
        shown = []
        entries = self.fields if isinstance(self.fields, list) else default_form_fields()
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("name") not in FORM_FIELDS:
                continue
            kind, default_label = FORM_FIELDS[entry["name"]]
            shown.append({
                "name": entry["name"], "type": kind, "required": entry.get("required") is True,
                "label": str(entry.get("label") or default_label),
            })
        return shown

    def required_fields(self) -> list[str]:
        return [entry["name"] for entry in self.shown_fields() if entry["required"]]


class PayoutModel(models.TextChoices):
    PER_LEAD = "lead", _("Each accepted lead")
    PER_CLIENT = "client", _("Each converted client")


class Partner(models.Model):
    """A lead-generation contractor, CPA network or dealer submitting through the API."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    key_prefix = models.CharField(_("key prefix"), max_length=12, editable=False, blank=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False, null=True)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.ForeignKey(
        "marketing.Source", verbose_name=_("source"), null=True, blank=True, on_delete=models.SET_NULL
    )
    price_per_lead = models.DecimalField(_("price per accepted lead"), max_digits=12, decimal_places=2, default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
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
        help_text=_("accepted, qualified, converted, refused, duplicate"),
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
    remote_addr = models.GenericIPAddressField(_("sender's address"), null=True, blank=True)
    form = models.ForeignKey(Form, verbose_name=_("form"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="submissions")
    # PROTECT: a partner's submissions are what it was paid for, and a person's entered ones their work.
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="submissions"
    )
    submitted_by = models.ForeignKey(
        "accounts.User", verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+"
    )
    sender = models.CharField(_("sender"), max_length=40, blank=True, help_text="form:ID, partner:ID or user:ID")
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.RECEIVED
    )
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    lead = models.ForeignKey("leads.Lead", verbose_name=_("lead"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    interest = models.ForeignKey(
        "leads.Interest", verbose_name=_("interest"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+"
    )
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    # Processing attempts that failed (an error, not a refusal): the worker tries a failed or crash-abandoned
    # submission again after a growing pause, and tells the admins when it gives up (pipeline.retry_due).
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    # What a partner earns, at the prices of its terms when it was earned (a later change of the terms
    # does not rewrite what is owed): per accepted lead, set on acceptance; per converted client, set
    # when the lead converts. Empty: not earned yet (or not a partner's submission).
    payout_lead = models.DecimalField(_("payout for the lead"), max_digits=12, decimal_places=2, null=True,
                                      blank=True)
    payout_client = models.DecimalField(_("payout for the client"), max_digits=12, decimal_places=2, null=True,
                                        blank=True)
    # A partner's accepted lead that a later merge (by hand or the batch de-duplication) found to be a person who was
    # a lead already: when, by whom, and the submission that brought the person first (the partner's own earlier
    # one, or another channel's), so the partner and the marketer see why it is not paid (DOMAIN.md 22). Whether it
    # is paid is decided by intake.attribution (it did not create its lead); these say when and why. Empty again
    # when the merge is undone.
    duplicate_found_at = models.DateTimeField(_("found to be a duplicate at"), null=True, blank=True)
    duplicate_found_by = models.ForeignKey(
        "accounts.User", verbose_name=_("found to be a duplicate by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("duplicate of"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        indexes = [
            # The partner report counts per partner, status and time, and finds the converted leads, from this
            # index alone; partial, so web forms and other channels do not pay for it on the intake path.
            models.Index(fields=["partner", "status", "received_at", "lead"], name="submission_partner_report",
                         condition=models.Q(partner__isnull=False)),
            # The worker's sweep of what is not finished (left received by a crash, or failed): a few rows
            # among millions, found without reading the journal.
            models.Index(fields=["received_at"], name="submission_unfinished",
                         condition=models.Q(status__in=["received", "failed"])),
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


class RateCounter(models.Model):
    """Hits on one rate-limit key (per IP, per form) in one fixed window.

    Kept in the database rather than Django's cache: the embedded server's local-memory cache is per
    process, production runs several web processes, and the database cache's incr is a read then a
    write; an UPDATE ... SET hits = hits + 1 is atomic on every database.
    """

    key = models.CharField(max_length=120)
    window_start = models.BigIntegerField()  # Unix seconds, a multiple of the window length
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="rate_counter_window")]
