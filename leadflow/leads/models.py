"""Interests, leads and everything that happens to them until they convert or refuse."""

import functools
from datetime import date, datetime

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from leadflow.leads.querysets import LeadQuerySet, TaskQuerySet

USER = settings.AUTH_USER_MODEL


class Channel(models.TextChoices):
    FORM = "form", _("Web form")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call")
    PARTNER = "partner", _("Partner")
    IMPORT = "import", _("File import")
    MANUAL = "manual", _("Manual entry")
    API = "api", _("API")


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won (converted)")
    LOST = "lost", _("Lost (refused)")


# The names the default stages and lost reasons are created with (migration 0002): listed here so the
# catalogue translates them; a name an admin types in is shown as typed.
DEFAULT_NAMES = (
    gettext_noop("New"), gettext_noop("Contacted"), gettext_noop("Qualified"), gettext_noop("Proposal sent"),
    gettext_noop("Negotiation"), gettext_noop("Converted"), gettext_noop("Refused"), gettext_noop("Too expensive"),
    gettext_noop("Chose a competitor"), gettext_noop("No budget now"), gettext_noop("No need"),
    gettext_noop("Could not reach"), gettext_noop("Not a decision maker"),
)

SEEDED_NAME_HELP = _("A name Leadflow set up is shown in each reader's language; a name you type is shown as typed.")


class Stage(models.Model):
    """A step of the sales pipeline; edited in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80, help_text=SEEDED_NAME_HELP)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=StageKind.choices, default=StageKind.OPEN)
    is_qualified = models.BooleanField(
        _("counts as qualified"), default=False, help_text=_("Leads at this stage or later are sales-qualified.")
    )

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["position"]

    def __str__(self) -> str:
        return shown_name(self.name)


# A lead's "stage reach" packs two facts from its stage history into one number the funnel can group by:
# REACH_QUALIFIED if it ever stood at a qualified stage, plus the furthest position it reached (a lost stage
# counts as position 0, so a refusal does not read as progress). Positions are small integers (< 32768).
REACH_QUALIFIED = 100_000


def reach_of(stage: Stage) -> int:
    return (REACH_QUALIFIED if stage.is_qualified else 0) + (0 if stage.kind == StageKind.LOST else stage.position)


def combine_reach(first: int, second: int) -> int:
    return max(first // REACH_QUALIFIED, second // REACH_QUALIFIED) * REACH_QUALIFIED + max(
        first % REACH_QUALIFIED, second % REACH_QUALIFIED)


class LostReason(models.Model):
    """Why a lead refused; every refusal names one."""

    name = models.CharField(_("name"), max_length=120, unique=True, help_text=SEEDED_NAME_HELP)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["name"]

    def __str__(self) -> str:
        return shown_name(self.name)


class LeadState(models.TextChoices):
    # With marketing: nurtured until hot (warming), then handed to sales. Not in the pool, not routed, no SLA.
    NURTURING = "nurturing", _("With marketing")
    OPEN = "open", _("Open")
    DEFERRED = "deferred", _("Deferred")
    REFUSED = "refused", _("Refused")
    CONVERTED = "converted", _("Converted")
    MERGED = "merged", _("Merged into another lead")


class Temperature(models.TextChoices):
    COLD = "cold", _("Cold")
    WARM = "warm", _("Warm")
    HOT = "hot", _("Hot")


class DealType(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    RETAIL = "retail", _("Retail")
    WHOLESALE = "wholesale", _("Wholesale")


def shown_name(name: str) -> str:
    """A seeded default's name (a stage, a lost reason) in the reader's language; a name an admin typed as typed.

    Only the names Leadflow seeds are translated (DEFAULT_NAMES): an admin's "Open" or "Demo" is theirs, even
    when the catalogue happens to hold the same English word."""
    return gettext(name) if name in _DEFAULT_NAME_SET else name


def seeded_name(name: str) -> object:
    """A configured name as a system text's parameter: a seeded default is kept as its key, so each reader sees
    it in their own language ("Отказ: Дорого", not "Отказ: Too expensive"); a typed name is kept as typed."""
    return {"key": name} if name in _DEFAULT_NAME_SET else name


_DEFAULT_NAME_SET = frozenset(DEFAULT_NAMES)


def render_system_text(template: str, params: dict) -> str:
    """A system text in the active language, its nested texts (a task's title, a channel) too."""
    return gettext(template) % {key: _shown_param(value, key=key) for key, value in params.items()}


# Parameters that hold a phone (a caller's number): kept as E.164, as the open callback for a number is found by it
# (telephony._callback_for_unknown), and shown as people write it ("8 (912) 345-67-89"), in the task list and in
# the notification's e-mail alike.
PHONE_PARAMS = frozenset({"number"})


def _shown_param(value: object, *, key: str = "") -> object:
    if key in PHONE_PARAMS and isinstance(value, str):
        from leadflow.matching.normalize import shown_phone

        return shown_phone(value, region=settings.LEADFLOW_DEFAULT_REGION)
    if isinstance(value, dict) and isinstance(value.get("key"), str):
        return render_system_text(value["key"], value.get("params") or {})
    if isinstance(value, dict) and isinstance(value.get("date"), str):
        # A day in the reader's format ("08.01.2027" in Russian, "01/08/2027" in English), not ISO for everyone.
        return date_format(date.fromisoformat(value["date"]), "SHORT_DATE_FORMAT")
    return value


def _stored_param(value: object) -> object:
    """A parameter as kept in text_params: a lazy translation (a channel's label) as its English msgid and a day as
    {"date": ISO}, so each is worded for the reader, not frozen in the writer's language and format."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return {"date": value.isoformat()}
    if isinstance(value, Promise):
        with translation.override(None):  # no catalogue: the msgid itself
            return {"key": str(value)}
    if isinstance(value, dict) and isinstance(value.get("key"), str):
        return {"key": value["key"], "params": {k: _stored_param(v) for k, v in (value.get("params") or {}).items()}}
    return value


class SystemText(models.Model):
    """Texts Leadflow writes itself (task titles, notifications, timeline entries) keep their English
    template and values, so each reader sees them in their own language, not the writer's.

    text_key is the template's msgid, a stable code; a parameter that is itself a system text (a task's title
    in "Task due: %(title)s", a channel, a seeded reason) is kept as {"key": msgid, "params": {...}} and worded
    when shown too. A text a person typed has no key and is shown as typed."""

    text_key = models.CharField(max_length=200, blank=True, editable=False)
    text_params = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        abstract = True

    def in_reader_language(self, stored: str) -> str:
        if not self.text_key:
            return stored
        try:
            return render_system_text(self.text_key, self.text_params)
        except (KeyError, TypeError, ValueError):
            return stored


def system_text(field: str, template: str, **params: object) -> dict[str, object]:
    """Field values for a system text: rendered now, re-rendered for each reader later."""
    stored = {key: _stored_param(value) for key, value in params.items()}
    return {field: render_system_text(template, stored), "text_key": template, "text_params": stored}


def nested_text(template: str, **params: object) -> dict[str, object]:
    """A system text as another one's parameter (worded for each reader when the outer one is shown)."""
    return {"key": template, "params": params}


class TouchFields(models.Model):
    """Where a touch came from: channel, source, campaign and the UTM trail."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # PROTECT, here and on the other keys reports count by (team, owner, assignee, author): deleting the source
    # would empty the link on years of leads and requests, and past periods' figures would change without a trace.
    # Retire it instead (core.history says so in the admin); the database refuses the DELETE too.
    source = models.ForeignKey(
        "marketing.Source", verbose_name=_("source"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        "marketing.Campaign", verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    utm_source = models.CharField(_("UTM source"), max_length=120, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=120, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=160, blank=True)
    utm_content = models.CharField(_("UTM content"), max_length=160, blank=True)
    utm_term = models.CharField(_("UTM term"), max_length=160, blank=True)
    referrer = models.URLField(_("referrer"), max_length=1000, blank=True)
    landing_page = models.URLField(_("landing page"), max_length=1000, blank=True)
    # The id a web form's script keeps for the visitor from the first visit (first-party storage), so
    # site events can be joined with the person later.
    visitor_id = models.CharField(_("visitor id"), max_length=64, blank=True)

    class Meta:
        abstract = True


class Lead(TouchFields):
    """A concrete person with a usable contact who may buy (DOMAIN.md 1); never deleted."""

    last_name = models.CharField(_("surname"), max_length=120, blank=True)
    first_name = models.CharField(_("first name"), max_length=120, blank=True)
    middle_name = models.CharField(_("patronymic"), max_length=120, blank=True)
    full_name = models.CharField(_("full name"), max_length=255)
    company_name = models.CharField(_("company"), max_length=255, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=20, blank=True)
    position = models.CharField(_("position"), max_length=160, blank=True)
    company_size = models.PositiveIntegerField(_("company size, employees"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164"))
    phone_ext = models.CharField(_("extension"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # Further phones (E.164, " ext. N" when there is one) and e-mail addresses a manager added to the card from
    # what the person gave in their requests ("Also gave"); the card's phone and e-mail stay the main ones.
    other_contacts = models.JSONField(_("other contacts"), default=list, blank=True)
    # The person's Telegram account as requests keep one ("t.me/ivan_petrov", matching.normalize.normalize_telegram):
    # given on intake or typed by a manager. Indexed: an erasure finds the person's cards by it (privacy.services).
    telegram = models.CharField(_("Telegram"), max_length=40, blank=True, db_index=True)
    # The e-mail a manager checked and found right although it looks like a slip ("ivan@gmail.co" is real):
    # the card stops suggesting another address for it (until the e-mail changes).
    email_checked = models.CharField(_("e-mail checked as right"), max_length=254, blank=True)
    city = models.CharField(_("city / region"), max_length=120, blank=True)
    product_interest = models.CharField(_("product interest"), max_length=120, blank=True)
    deal_type = models.CharField(_("deal type"), max_length=10, choices=DealType.choices, blank=True, default="")
    message = models.TextField(_("first message"), blank=True)

    state = models.CharField(_("state"), max_length=10, choices=LeadState.choices, default=LeadState.OPEN)
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="leads")
    temperature = models.CharField(
        _("temperature"), max_length=5, choices=Temperature.choices, default=Temperature.COLD
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    owner = models.ForeignKey(
        USER, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    first_contacted_at = models.DateTimeField(_("first contacted at"), null=True, blank=True)
    # The speed-to-lead deadline set when the lead was first routed (its first task's due time), kept on the
    # card so the speed report reads it from an index instead of looking up each lead's first task.
    sla_due_at = models.DateTimeField(_("first contact due by"), null=True, blank=True, editable=False)
    # When sales got the lead (set with sla_due_at): its creation, or for a lead that stayed with marketing first,
    # the hand-off. Speed to lead counts from here, so weeks of warming are not a slow call.
    sales_since = models.DateTimeField(_("with sales since"), null=True, blank=True, editable=False)
    sla_warned_at = models.DateTimeField(_("SLA warning sent at"), null=True, blank=True)

    consent_given = models.BooleanField(_("consent to be contacted"), default=False)
    consent_text_version = models.CharField(_("consent text version"), max_length=60, blank=True)
    consent_channel = models.CharField(_("consent given via"), max_length=60, blank=True)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    # Set when the person's data was erased on request: the row stays (anonymised) so counts hold.
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)

    lost_reason = models.ForeignKey(
        LostReason, verbose_name=_("lost reason"), null=True, blank=True, on_delete=models.PROTECT
    )
    lost_note = models.TextField(_("refusal note"), blank=True)
    refused_at = models.DateTimeField(_("refused at"), null=True, blank=True)
    deferred_until = models.DateField(_("deferred until"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    is_possible_duplicate = models.BooleanField(_("possible duplicate"), default=False)
    # Kept by every stage change (see REACH_QUALIFIED), recomputed from the history when stages are reconfigured.
    stage_reach = models.PositiveIntegerField(_("stage reach"), default=0, editable=False)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Case-folded name, company, e-mail and phone: SQLite's LIKE folds ASCII only, so searching
    # "сидорова" needs a folded copy to find "Сидорова" on every database.
    search_text = models.TextField(editable=False, blank=True, default="")

    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["owner", "state", "-created_at"], name="lead_owner_state"),
            models.Index(fields=["team", "state", "-created_at"], name="lead_team_state"),
            # The pool is read on every manager's start page: unowned open leads, newest first.
            models.Index(
                fields=["team", "-created_at"], name="lead_pool",
                condition=models.Q(owner__isnull=True, state="open"),
            ),
            models.Index(fields=["state", "deferred_until"], name="lead_deferred"),
            # Newest-first lists filtered by state (team page, SLA breaches) and by stage (board columns)
            # read these in order instead of sorting every open lead.
            models.Index(fields=["state", "-created_at"], name="lead_state_created"),
            models.Index(fields=["state", "stage", "-created_at"], name="lead_state_stage_created"),
            # "My leads" shows open and deferred leads together, newest first: read the owner's leads in
            # that order and stop after a page, instead of sorting all of a busy manager's leads.
            models.Index(fields=["owner", "-created_at", "-id"], name="lead_owner_created"),
            # "Hottest first" reads a list tier by tier (hot, warm, cold), each newest first: a range of these
            # per tier, also when a tier is rare, instead of walking every lead of the owner or team.
            # The state at the end: the lists leave closed leads out, and a tier computed over all its leads
            # (cold leads by their points now) reads them from the index alone instead of every lead's row.
            models.Index(fields=["owner", "temperature", "-created_at", "state"], name="lead_owner_temperature"),
            models.Index(fields=["team", "temperature", "-created_at", "state"], name="lead_team_temperature"),
            # The board counts and ages a team's open leads per stage from this index alone.
            models.Index(fields=["team", "state", "stage", "created_at"], name="lead_team_stage"),
            # Who is waiting for assignment in a team, and the head's check for leads outside any team.
            models.Index(fields=["team", "owner"], name="lead_team_owner"),
            # Analytics: the refusals of a period (a manager's leads of a period read lead_owner_created).
            models.Index(fields=["state", "refused_at"], name="lead_state_refused"),
            # The SLA warnings: leads not contacted nor warned whose first contact is due about now.
            models.Index(fields=["sla_due_at"], condition=models.Q(first_contacted_at__isnull=True,
                                                                   sla_warned_at__isnull=True),
                         name="lead_sla_unwarned"),
            # Analytics reads a period's leads grouped by these from the index alone (no row lookups; the id
            # is in it for PostgreSQL, whose indexes do not carry the primary key as SQLite's carry the rowid).
            # The channel leaves imported files out of speed to lead; the product interest is conversion per offer.
            models.Index(fields=["created_at", "state", "team", "owner", "source", "campaign", "converted_at",
                                 "first_contacted_at", "stage_reach", "sla_due_at", "sales_since", "channel",
                                 "product_interest", "id"],
                         name="lead_analytics_offer"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.before_insert()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "search_text" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "search_text"]
        super().save(*args, **kwargs)

    def before_insert(self) -> None:
        """What save() adds to a new row (leadflow.core.rows calls it when it inserts one)."""
        self.search_text = self.folded_search_text()

    def folded_search_text(self) -> str:
        return " ".join(
            part for part in (self.full_name, self.company_name, self.email, self.phone) if part
        ).casefold()

    @property
    def is_open(self) -> bool:
        return self.state == LeadState.OPEN

    @property
    def telegram_shown(self) -> str:
        """The Telegram account as people write it ("@ivan_petrov")."""
        from leadflow.matching.normalize import telegram_shown

        return telegram_shown(self.telegram)

    @property
    def company_display(self) -> str:
        """'ООО «Ромашка»', 'Acme Ltd': the legal form where its language puts it."""
        from leadflow.matching.normalize import CompanyName

        return CompanyName(self.company_name, self.legal_form).display if self.company_name else ""

    @property
    def phone_text(self) -> str:
        """The card's phone as requests and other contacts keep one ("+74951234567 ext. 12"); "" without one."""
        from leadflow.matching.normalize import Phone, phone_text

        return phone_text(Phone(self.phone, self.phone_ext)) if self.phone else ""

    @property
    def consent_channel_label(self) -> str:
        """Where the consent summed up on the card came from, worded as the consent history words it (a partner's
        repeat request stores "partner:ЛидМаркет", which the card showed as it was stored)."""
        from leadflow.privacy.services import channel_label  # privacy imports the leads' models

        return str(channel_label(self.consent_channel))


# Why an interest is no lead when the name given is only words like "Test Test" or "asdf qwerty" (intake.pipeline):
# someone trying the form, not a person's attention. Counted nowhere, like spam: not in the leads, not in the interests.
TEST_ENTRY_REASON = gettext_noop("a test of the form, not a person's name")


class Interest(TouchFields):
    """Attention without a concrete person to talk to (DOMAIN.md 1); promoted when data arrives."""

    name = models.CharField(_("name as given"), max_length=255, blank=True)
    company_name = models.CharField(_("company"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_ext = models.CharField(_("extension"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    message = models.TextField(_("message"), blank=True)
    reason = models.CharField(_("why not a lead"), max_length=255)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    promoted_to = models.ForeignKey(
        Lead, verbose_name=_("promoted to lead"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="interests",
    )
    # The client the person already was when the interest was promoted: its requests went to that card, no lead was
    # made (DOMAIN.md 8). A known lead is `promoted_to`; a client may have no lead to point at (an imported one).
    promoted_to_client = models.ForeignKey(
        "clients.Client", verbose_name=_("attached to client"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="interests",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")

    def __str__(self) -> str:
        return self.name or self.company_name or self.phone or self.email or f"#{self.pk}"

    @property
    def is_promoted(self) -> bool:
        """Whether a manager already took it to a card: a new lead, or the lead or client that knew the person."""
        return bool(self.promoted_to_id or self.promoted_to_client_id)

    @property
    def shown_reason(self) -> str:
        """Why it is no lead, in the reader's language (the pipeline stores its reasons untranslated, as keys)."""
        return gettext(self.reason) if self.reason else ""


class Request(TouchFields):
    """One incoming touch (form, e-mail, call, partner), attached to a lead, a client or an interest."""

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="requests")
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="requests"
    )
    interest = models.ForeignKey(Interest, verbose_name=_("interest"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="requests")
    submission_id = models.BigIntegerField(_("submission"), null=True, blank=True, db_index=True)
    message = models.TextField(_("message"), blank=True)
    facts = models.JSONField(_("normalised facts"), default=dict, blank=True)
    matched_by = models.CharField(_("matched by"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        """"Request #73 · Web form" in the admin (it read "Request object (73)")."""
        return f"{capfirst(gettext('request'))} #{self.pk} · {self.get_channel_display()}"


class StageChange(models.Model):
    """Stage history with timestamps: conversion speed and funnels are computed from it."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10, blank=True)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["changed_at", "id"]
        # Analytics reads "which stages did this lead reach" from the index alone.
        indexes = [models.Index(fields=["lead", "to_stage"], name="stage_change_lead_stage")]

    def from_state_label(self) -> str:
        return str(LeadState(self.from_state).label) if self.from_state in LeadState.values else ""

    def to_state_label(self) -> str:
        return str(LeadState(self.to_state).label) if self.to_state in LeadState.values else ""


OWNER_CHANGE_REASONS = {
    "claim": _("claimed from the pool"), "assign": _("assigned"), "reassign": _("reassigned"),
    "rule": _("routed by a rule"), "routing": _("routed by the team's scheme"), "convert": _("conversion"),
    "marketing": _("back to marketing"), "deferred": _("deferred again"),
}


class OwnerChange(models.Model):
    """Who owned a lead when, and why it moved."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="owner_changes")
    from_owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=20)  # claim | assign | rule | reassign | convert
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["changed_at", "id"]

    def reason_label(self) -> str:
        return str(OWNER_CHANGE_REASONS.get(self.reason, self.reason))


# Audited fields that hold a phone (E.164, "+74951234567 ext. 12"), or among a card's other contacts a phone or an
# e-mail: the card's history shows them as people write them, as the card itself does.
PHONE_FIELDS = frozenset({"phone", "company_phone", "other_contacts"})


class FieldChange(models.Model):
    """Audit of a key field on a lead or client, or of a team's routing set by its head: who, when, old value, new
    value."""

    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="field_changes")
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="field_changes"
    )
    # A team's routing (scheme, SLA, managers' weights, rules): leads.routing_setup writes and reads these.
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="field_changes"
    )
    field = models.CharField(max_length=60)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["changed_at", "id"]

    def _model_field(self) -> models.Field | None:
        """The field the change is of: the lead's; for a client's, the client's own, else its contact's (an
        e-mail), its company's, or the lead's it came from (a stage)."""
        if self.client_id and "." in self.field:  # "company.inn", "contact.email": an edit of the client's card
            owner, _dot, name = self.field.partition(".")
            if owner in ("company", "contact"):
                try:
                    return apps.get_model("clients", owner.capitalize())._meta.get_field(name)
                except FieldDoesNotExist:
                    return None
        if self.lead_id or not self.client_id:
            models_in_turn = [Lead]
        else:
            models_in_turn = [apps.get_model("clients", name) for name in ("Client", "Contact", "Company")] + [Lead]
        for model in models_in_turn:
            try:
                return model._meta.get_field(self.field)
            except FieldDoesNotExist:
                continue
        return None

    @property
    def field_label(self) -> str:
        """The field as the card names it ("статус"), not its code ("state")."""
        field = self._model_field()
        if field is None or not hasattr(field, "verbose_name"):
            return self.field
        if "." in self.field:  # "компания: ИНН", "контакт: e-mail"
            return f"{field.model._meta.verbose_name}: {field.verbose_name}"
        return str(field.verbose_name)

    def _value_label(self, value: str) -> str:
        if not value:
            return value
        if self.field == "stage":
            stage = Stage.objects.filter(code=value).first()
            return str(stage) if stage else value
        if self.field.rpartition(".")[2] in PHONE_FIELDS and "@" not in value:
            from leadflow.matching.normalize import shown_phone

            return shown_phone(value, region=settings.LEADFLOW_DEFAULT_REGION)  # kept E.164, read as people write it
        field = self._model_field()
        if isinstance(field, models.BooleanField) and value in ("True", "False"):
            yes, no = gettext("yes,no,maybe").split(",")[:2]  # Django's own catalogue has this one
            return yes if value == "True" else no
        if isinstance(field, models.ForeignKey):  # a row kept by its id, a person by their id or login
            related = field.related_model._default_manager
            row = related.filter(pk=int(value)).first() if value.isdigit() else None
            if row is None and hasattr(field.related_model, "USERNAME_FIELD"):
                row = related.filter(**{field.related_model.USERNAME_FIELD: value}).first()
            if row is not None:
                return row.display_name() if hasattr(row, "display_name") else str(row)
        if field is None or not getattr(field, "choices", None):
            return value
        return str(dict(field.flatchoices).get(value, value))

    @property
    def old_label(self) -> str:
        return self._value_label(self.old_value)

    @property
    def new_label(self) -> str:
        return self._value_label(self.new_value)


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Meeting")
    PROPOSAL = "proposal", _("Proposal sent")
    NOTE = "note", _("Note")
    SYSTEM = "system", _("System")


class Activity(SystemText):
    """One entry of a card's timeline: call, e-mail, meeting, proposal, note."""

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="activities")
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"), blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration, s"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    author = models.ForeignKey(USER, verbose_name=_("author"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="activities")

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-occurred_at"]), models.Index(fields=["client", "-occurred_at"]),
            # Analytics: activities a manager logged in a period, counted from the index alone.
            models.Index(fields=["author", "occurred_at", "kind", "lead", "client"], name="activity_author_cover"),
        ]

    def __str__(self) -> str:
        """"Call: First call" in the admin (it read "Activity object (51)")."""
        subject = self.shown_subject
        return f"{self.get_kind_display()}: {subject}" if subject else str(self.get_kind_display())

    @property
    def shown_subject(self) -> str:
        return self.in_reader_language(self.subject)

    @property
    def shown_body(self) -> str:
        """The text as typed; lines Leadflow wrote ("Line: ...", "Manager: ..." of a call, kept in
        text_params["body"] as system texts) in the reader's language."""
        lines = self.text_params.get("body") if isinstance(self.text_params, dict) else None
        if not isinstance(lines, list):
            return self.body
        try:
            return "\n".join(render_system_text(line["key"], line.get("params") or {}) for line in lines)
        except (KeyError, TypeError, ValueError):
            return self.body


class TaskKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Answer the e-mail")
    ASSIGN = "assign", _("Assign a responsible person")
    CALLBACK = "callback", _("Call back")
    MEETING = "meeting", _("Meeting")
    PROPOSAL = "proposal", _("Send a proposal")
    FOLLOW_UP = "follow_up", _("Follow up")
    OTHER = "other", _("Other")


# Results Leadflow writes when it closes a task itself (its card was refused, converted, deferred...): stored in
# the language of whoever did that, shown in the reader's (Task.shown_result). Rooms add theirs (system_result).
SYSTEM_RESULTS: set[str] = {
    gettext_noop("Lead refused"), gettext_noop("Lead deferred"), gettext_noop("Converted into a client"),
}


def system_result_fields(template: str, **params: object) -> dict[str, object]:
    """Field values for a result Leadflow writes with values in it: worded now, re-worded for each reader."""
    return {"result": render_system_text(template, params), "result_key": template, "result_params": params}


def system_result(template: str) -> str:
    """Register a result a room writes when it closes tasks itself (an English msgid); returns it."""
    SYSTEM_RESULTS.add(template)
    return template


@functools.lru_cache(maxsize=8)
def _system_result_keys(templates: frozenset[str]) -> dict[str, str]:
    """Each system result as it may have been stored (in every language Leadflow speaks) -> its English msgid."""
    keys = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            keys.update({gettext(template): template for template in templates})
    return keys


class Task(SystemText):
    """A to-do on a card; a finished task records its result and usually sets the next one."""

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="tasks")
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="tasks"
    )
    assignee = models.ForeignKey(
        USER, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TaskKind.choices, default=TaskKind.CALL)
    title = models.CharField(_("title"), max_length=255)
    due_at = models.DateTimeField(_("due"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    # A result Leadflow wrote with a name in it ("Assigned to Alice"): its template and values, so it is worded for
    # each reader as the title is (system_result_fields); empty for a result a person typed.
    result_key = models.CharField(max_length=200, blank=True, editable=False)
    result_params = models.JSONField(default=dict, blank=True, editable=False)
    # Closed by Leadflow because its card moved on (refused, converted, deferred, erased...), not done by anyone:
    # the managers' report counts only the tasks people did.
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    previous = models.ForeignKey(
        "self", verbose_name=_("follows"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["assignee", "due_at"], name="task_open_by_assignee",
                condition=models.Q(completed_at__isnull=True),
            ),
            # Analytics: tasks a manager finished in a period or left overdue, counted from the index alone.
            models.Index(fields=["assignee", "completed_at", "due_at", "lead", "client", "is_cancelled"],
                         name="task_assignee_done_cover"),
            # Analytics: a lead's first task (its SLA deadline) read from the index alone.
            models.Index(fields=["lead", "id", "due_at"], name="task_first_by_lead"),
        ]

    def __str__(self) -> str:
        # The admin's lists, titles and selects: a system task's title in the reader's language, as on the cards.
        return self.shown_title

    @property
    def shown_title(self) -> str:
        return self.in_reader_language(self.title)

    @property
    def title_text(self) -> object:
        """The title as another system text's parameter ("Task due: %(title)s"): a system title worded for each
        reader, a typed one as typed."""
        return nested_text(self.text_key, **self.text_params) if self.text_key else self.title

    @property
    def shown_result(self) -> str:
        """The result as typed; one Leadflow wrote itself in the reader's language."""
        if self.result_key:
            try:
                return render_system_text(self.result_key, self.result_params)
            except (KeyError, TypeError, ValueError):
                return self.result
        if not self.is_cancelled:
            return self.result
        template = _system_result_keys(frozenset(SYSTEM_RESULTS)).get(self.result)
        return gettext(template) if template else self.result

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None

    @property
    def status_label(self) -> str:
        """Open, overdue, done or cancelled (closed by Leadflow), for a reader."""
        if self.is_cancelled:
            return pgettext_lazy("task", "Cancelled")
        if self.completed_at is not None:
            return pgettext_lazy("task", "Done")
        return pgettext_lazy("task", "Overdue") if self.due_at < timezone.now() else pgettext_lazy("task", "Open")


class Notification(SystemText):
    """An in-app message to one user (new lead, request attached, task due, SLA)."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30)
    text = models.CharField(max_length=500)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    @property
    def shown_text(self) -> str:
        return self.in_reader_language(self.text)


class RoutingStrategy(models.TextChoices):
    PERSON = "person", _("To one person")
    LEAST_LOADED = "least_loaded", _("Least loaded of the candidates")
    ROUND_ROBIN = "round_robin", _("Weighted round robin over the candidates")


class RoutingRule(models.Model):
    """For teams on the rules scheme: the first active rule whose conditions fit picks the owner."""

    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE,
                             related_name="routing_rules")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=120)
    product_interest = models.CharField(_("product interest is"), max_length=120, blank=True)
    deal_type = models.CharField(_("deal type is"), max_length=10, choices=DealType.choices, blank=True)
    region = models.CharField(_("city / region is"), max_length=120, blank=True)
    strategy = models.CharField(
        _("strategy"), max_length=15, choices=RoutingStrategy.choices, default=RoutingStrategy.LEAST_LOADED
    )
    assignee = models.ForeignKey(
        USER, verbose_name=_("person"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    candidates = models.ManyToManyField(
        USER, verbose_name=_("candidates"), blank=True, related_name="+",
        help_text=_("Empty means every manager of the team."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["team", "position", "id"]

    def __str__(self) -> str:
        return self.name


class LeadMerge(models.Model):
    """A merge of leads into a survivor, with everything needed to undo it."""

    survivor = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="merges")
    merged = models.JSONField(_("merged lead ids"), default=list)
    choices = models.JSONField(_("field choices"), default=dict, help_text=_("field -> lead id whose value won"))
    snapshot = models.JSONField(default=dict, help_text="values and moved rows before the merge, for undo")
    merged_at = models.DateTimeField(default=timezone.now)
    merged_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("lead merge")
        verbose_name_plural = _("lead merges")
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged} -> {self.survivor_id}"
