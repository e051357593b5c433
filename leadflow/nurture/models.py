"""Segments, e-mail templates, sequences with their steps and enrollments, and the mail log."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class Audience(models.TextChoices):
    LEADS = "leads", _("Leads")
    CLIENTS = "clients", _("Clients")


class Language(models.TextChoices):
    RU = "ru", _("Russian")
    EN = "en", _("English")


class Tag(models.Model):
    """A marketer's label on leads and clients; segments filter by tags, sequences add them."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    leads = models.ManyToManyField("leads.Lead", verbose_name=_("leads"), blank=True, related_name="tags")
    clients = models.ManyToManyField("clients.Client", verbose_name=_("clients"), blank=True, related_name="tags")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Segment(models.Model):
    """A saved filter over leads or clients; its members are counted live, never stored."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    audience = models.CharField(_("applies to"), max_length=8, choices=Audience.choices, default=Audience.LEADS)
    # {"field key": value, ...}, validated against nurture.conditions.FIELDS; all conditions must hold.
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from leadflow.core.errors import InvalidInput
        from leadflow.nurture.conditions import validate_conditions

        try:
            self.conditions = validate_conditions(self.audience, self.conditions)
        except InvalidInput as error:
            from django.core.exceptions import ValidationError

            problems = [f"{key}: {' '.join(v)}" for key, v in error.fields.items()]
            raise ValidationError({"conditions": problems}) from None


class MailTemplate(models.Model):
    """One e-mail: subject, HTML and text, per language and optionally per segment."""

    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.RU)
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), null=True, blank=True, on_delete=models.SET_NULL, related_name="templates",
        help_text=_("Optional: the segment this message is written for."),
    )
    subject = models.CharField(_("subject"), max_length=200)
    html_body = models.TextField(_("HTML body"))
    text_body = models.TextField(_("text body"), blank=True, help_text=_("Empty: made from the HTML body."))
    key = models.SlugField(_("key"), max_length=60, blank=True, help_text=_("Set on ready-made templates."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="mailtemplate_name_language"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from leadflow.nurture.rendering import TemplateProblem, check_template

        problems = {}
        for field in ("subject", "html_body", "text_body"):
            try:
                check_template(getattr(self, field))
            except TemplateProblem as error:
                problems[field] = [str(error)]
        if problems:
            raise ValidationError(problems)


class TriggerKind(models.TextChoices):
    SEGMENT_ENTERED = "segment", _("Entered a segment")
    BEHAVIOUR = "behaviour", _("Behaviour event")
    LONG_BROWSING = "browsing", _("Long browsing without a purchase")
    REFUSED = "refused", _("Lead refused")
    DEFERRED = "deferred", _("Lead deferred")
    CONVERTED = "converted", _("Lead converted / client created")
    DEFERRAL_ENDED = "deferral_ended", _("Deferral ended")
    MANUAL = "manual", _("Only by hand")


class Reentry(models.TextChoices):
    ONCE = "once", _("Once per person, ever")
    AFTER_FINISH = "after_finish", _("Again after the previous run ended")
    AFTER_DAYS = "after_days", _("Again, at least N days after the previous start")


class Sequence(models.Model):
    """A trigger and a list of steps run per person (an enrollment) until the end or a stop."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    key = models.SlugField(_("key"), max_length=60, blank=True, help_text=_("Set on ready-made sequences."))
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(_("applies to"), max_length=8, choices=Audience.choices, default=Audience.LEADS)
    is_active = models.BooleanField(_("active"), default=False)
    trigger = models.CharField(_("trigger"), max_length=16, choices=TriggerKind.choices, default=TriggerKind.MANUAL)
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), null=True, blank=True, on_delete=models.PROTECT, related_name="sequences",
        help_text=_("Trigger 'entered a segment': its members; other triggers: only people in it (optional)."),
    )
    event_kind = models.CharField(_("event"), max_length=24, blank=True, help_text=_("For the behaviour trigger."))
    browsing_minutes = models.PositiveIntegerField(_("browsing, minutes"), default=10)
    browsing_days = models.PositiveIntegerField(_("within days"), default=7)
    reentry = models.CharField(_("re-entry"), max_length=12, choices=Reentry.choices, default=Reentry.ONCE)
    reentry_days = models.PositiveIntegerField(_("re-entry after days"), default=30)
    stop_on_reply = models.BooleanField(_("stop on a reply"), default=True)
    stop_on_purchase = models.BooleanField(_("stop on a purchase"), default=True)
    stop_on_conversion = models.BooleanField(_("stop when the lead converts"), default=True)
    stop_on_refusal = models.BooleanField(_("stop when the lead refuses"), default=True)
    only_while_deferred = models.BooleanField(
        _("only while deferred"), default=False, help_text=_("Stop as soon as the lead is no longer deferred."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StepKind(models.TextChoices):
    WAIT = "wait", _("Wait")
    WAIT_HOLIDAY = "wait_holiday", _("Wait for the next holiday")
    SEND = "send", _("Send an e-mail")
    TASK = "task", _("Create a task for the owner")
    TEMPERATURE = "temperature", _("Change temperature")
    TAG = "tag", _("Add a tag")
    REPEAT = "repeat", _("Go back to step")


class Step(models.Model):
    """One step of a sequence; which fields count depends on the kind."""

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=StepKind.choices)
    wait_minutes = models.PositiveIntegerField(_("wait, minutes"), default=0)
    template_name = models.CharField(
        _("template"), max_length=120, blank=True,
        help_text=_("Name of an e-mail template; the version in the person's language is sent."),
    )
    discount_code = models.CharField(_("discount code"), max_length=40, blank=True)
    discount_prefix = models.CharField(
        _("discount code prefix"), max_length=20, blank=True, help_text=_("Set: a code of its own per person."),
    )
    product = models.CharField(_("product"), max_length=120, blank=True, help_text=_("Empty: the lead's interest."))
    task_title = models.CharField(_("task title"), max_length=255, blank=True)
    task_due_hours = models.PositiveIntegerField(_("task due in hours"), default=0)
    temperature = models.CharField(_("temperature"), max_length=5, blank=True)
    tag = models.CharField(_("tag"), max_length=60, blank=True)
    repeat_from = models.PositiveSmallIntegerField(_("go back to step number"), default=1)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["sequence", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_kind_display()}"


class Holiday(models.Model):
    """A date of the greeting calendar (day and month, every year)."""

    name = models.CharField(_("name"), max_length=120)
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        # Not "holidays": the working calendar's days off sit next to it in the admin, and an admin setting
        # non-working days would open this one.
        verbose_name = _("greeting date")
        verbose_name_plural = _("greeting dates")
        ordering = ["month", "day"]

    def __str__(self) -> str:
        return f"{self.day:02d}.{self.month:02d} {self.name}"

    def clean(self) -> None:
        from datetime import date

        from django.core.exceptions import ValidationError

        try:
            date(2024, self.month, self.day)  # a leap year, so 29.02 is allowed
        except (TypeError, ValueError):
            raise ValidationError({"day": _("No such date.")}) from None


class EnrollmentState(models.TextChoices):
    ACTIVE = "active", _("Running")
    FINISHED = "finished", _("Finished")
    STOPPED = "stopped", _("Stopped")


class Enrollment(models.Model):
    """One person going through one sequence."""

    sequence = models.ForeignKey(Sequence, verbose_name=_("sequence"), on_delete=models.CASCADE,
                                 related_name="enrollments")
    lead = models.ForeignKey("leads.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="enrollments")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.CASCADE,
                               related_name="enrollments")
    state = models.CharField(_("state"), max_length=8, choices=EnrollmentState.choices, default=EnrollmentState.ACTIVE)
    step_index = models.PositiveSmallIntegerField(_("next step"), default=0)
    next_run_at = models.DateTimeField(_("next step at"), null=True, blank=True)
    # A worker claims a due enrollment with a conditional UPDATE that sets this; another worker skips it.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    stop_reason = models.CharField(_("stop reason"), max_length=30, blank=True)
    stopped_by = models.ForeignKey(USER, verbose_name=_("stopped by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-started_at", "-id"]
        indexes = [
            # The worker's every-tick question: which running enrollments are due.
            models.Index(fields=["next_run_at"], name="enrollment_due", condition=Q(state="active")),
            models.Index(fields=["lead", "state"], name="enrollment_lead"),
            models.Index(fields=["client", "state"], name="enrollment_client"),
            models.Index(fields=["sequence", "lead", "started_at"], name="enrollment_sequence_lead"),
            models.Index(fields=["sequence", "client", "started_at"], name="enrollment_sequence_client"),
        ]
        constraints = [
            # One running enrollment per sequence and person, settled by the database (two triggers at once).
            models.UniqueConstraint(fields=["sequence", "lead"], condition=Q(state="active", lead__isnull=False),
                                    name="enrollment_one_active_lead"),
            models.UniqueConstraint(fields=["sequence", "client"],
                                    condition=Q(state="active", client__isnull=False),
                                    name="enrollment_one_active_client"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} #{self.pk}"

    @property
    def person(self):  # type: ignore[no-untyped-def]
        return self.lead or self.client

    @property
    def shown_stop_reason(self) -> str:
        """Why it stopped, in the reader's words ("(reply)" showed the code on a Russian card)."""
        return str(STOP_REASONS.get(self.stop_reason, self.stop_reason))


STOP_REASONS = {
    "reply": _("replied"), "purchase": _("purchased"), "unsubscribed": _("unsubscribed"), "bounced": _("mail bounced"),
    "manual": _("stopped by hand"), "converted": _("converted"), "refused": _("refused"),
    "not_deferred": _("no longer deferred"), "no_email": _("no e-mail address"),
    "merged": _("the lead was merged: the person goes through it once"),
}


# Why a message was logged and not sent, written by Leadflow (mail.queue_message) as the English msgid, shown in the
# reader's language (MailMessage.shown_error).
NOT_SUBSCRIBED = gettext_noop("address suppressed (unsubscribed or bounced)")
NO_CONSENT = gettext_noop("no marketing consent")
SUPPRESSED_BECAUSE = frozenset({NOT_SUBSCRIBED, NO_CONSENT})


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    SUPPRESSED = "suppressed", _("Not sent (suppressed)")


class MailMessage(models.Model):
    """The mail log: one row per marketing message, rendered when queued, sent by the worker."""

    enrollment = models.ForeignKey(Enrollment, verbose_name=_("enrollment"), null=True, blank=True,
                                   on_delete=models.SET_NULL,
                                   related_name="messages")
    template = models.ForeignKey(MailTemplate, verbose_name=_("template"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey("leads.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="mail_messages")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.CASCADE,
                               related_name="mail_messages")
    to_email = models.EmailField(_("recipient"))
    domain = models.CharField(_("recipient domain"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    html_body = models.TextField(_("HTML body"), blank=True)
    text_body = models.TextField(_("text body"), blank=True)
    links = models.JSONField(_("links"), default=list, blank=True)  # the URLs of the message, for click tracking
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices,
                              default=MessageStatus.QUEUED)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail sent")
        verbose_name_plural = _("e-mails sent")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"], name="mail_queued", condition=Q(status="queued")),
            # The throttle counts a domain's messages of the last minute.
            models.Index(fields=["domain", "sent_at"], name="mail_domain_sent"),
            models.Index(fields=["to_email", "sent_at"], name="mail_recipient_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.to_email}: {self.subject}"

    @property
    def shown_error(self) -> str:
        """Why it was not sent: a reason Leadflow wrote (SUPPRESSED_BECAUSE) in the reader's language, a mail server's
        answer as it came."""
        return gettext(self.error) if self.error in SUPPRESSED_BECAUSE else self.error


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    MANUAL = "manual", _("Added by hand")


class Suppression(models.Model):
    """An address no marketing mail goes to any more."""

    email = models.EmailField(_("e-mail"), unique=True)
    reason = models.CharField(_("reason"), max_length=12, choices=SuppressionReason.choices)
    message = models.ForeignKey(MailMessage, verbose_name=_("message"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email


class SurveyAnswer(models.Model):
    """A refused lead's answers to the farewell letter's short survey."""

    lead = models.ForeignKey("leads.Lead", verbose_name=_("lead"), on_delete=models.CASCADE,
                             related_name="survey_answers")
    message = models.ForeignKey(MailMessage, verbose_name=_("message"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("main reason"), max_length=20)
    comment = models.TextField(_("comment"), blank=True)
    may_contact_later = models.BooleanField(_("may contact later"), default=False)
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-answered_at"]

    def __str__(self) -> str:
        return f"{self.lead} · {self.answered_at:%Y-%m-%d}"
