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


# ---------------------------------------------------------------- where events come from


def new_site_key() -> str:
    import secrets

    return f"lft_{secrets.token_urlsafe(16)}"


class TrackingSite(models.Model):
    """A site that runs the tracking snippet: its public key and the origins that may send events."""

    name = models.CharField(_("name"), max_length=120)
    public_key = models.CharField(_("public key"), max_length=40, unique=True, default=new_site_key)
    allowed_origins = models.TextField(
        _("sites that may send events"), blank=True,
        help_text=_("One origin per line, e.g. https://www.example.com; events from anywhere else are refused."),
    )
    form = models.ForeignKey(
        "intake.Form", verbose_name=_("form for sign-ups"), null=True, blank=True, on_delete=models.SET_NULL,
        help_text=_("Subscriptions and registrations that carry a name and an e-mail or phone go through this "
                    "form's intake (journaled, matched) and make a lead, handed to sales as the form says."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("tracking site")
        verbose_name_plural = _("tracking sites")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from leadflow.intake.models import validate_origins

        validate_origins(self.allowed_origins)

    def allows_origin(self, origin: str) -> bool:
        from django.core.exceptions import ValidationError

        from leadflow.intake.models import parse_origin

        try:
            wanted = parse_origin(origin)
        except ValidationError:
            return False
        for line in self.allowed_origins.split():
            try:
                if parse_origin(line) == wanted:
                    return True
            except ValidationError:
                continue
        return False


class Visitor(models.Model):
    """A browser's visitor id known to belong to a lead: later events join the lead at once."""

    visitor_id = models.CharField(_("visitor id"), max_length=64, unique=True)
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    identified_at = models.DateTimeField(default=timezone.now)


# ---------------------------------------------------------------- points


class PointsPolicy(models.Model):
    """The one row of scoring settings: how fast points fade and where warm and hot begin."""

    half_life_days = models.FloatField(
        _("half-life, days"), default=30.0,
        help_text=_("After this many days an action counts half as much; after twice as many, a quarter."),
    )
    warm_at = models.FloatField(_("warm from, points"), default=20.0)
    hot_at = models.FloatField(
        _("hot from, points"), default=50.0,
        help_text=_("A lead with marketing that reaches this is handed to sales (routed, first task)."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points settings")
        verbose_name_plural = _("points settings")

    def __str__(self) -> str:
        return str(_("Points settings"))

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.half_life_days is None or self.half_life_days <= 0:
            errors["half_life_days"] = _("Must be more than zero.")
        if self.warm_at is None or self.warm_at <= 0:
            errors["warm_at"] = _("Must be more than zero.")
        if self.hot_at is None or self.warm_at is None or self.hot_at <= self.warm_at:
            errors["hot_at"] = _("Must be more than the warm threshold.")
        if errors:
            raise ValidationError(errors)


class PointsRule(models.Model):
    """Points for one kind of action, when its conditions hold, at most `cap` points per period."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("event"), max_length=24, choices=EventKind.choices)
    url_contains = models.CharField(_("page address contains"), max_length=200, blank=True)
    path_prefix = models.CharField(_("page path starts with"), max_length=200, blank=True,
                                   help_text=_("e.g. /pricing"))
    min_duration_seconds = models.PositiveIntegerField(_("at least, seconds"), null=True, blank=True)
    property_name = models.CharField(_("property"), max_length=60, blank=True)
    property_value = models.CharField(_("property equals"), max_length=200, blank=True)
    points = models.IntegerField(_("points"), help_text=_("May be negative (e.g. an unsubscribe)."))
    cap_points = models.PositiveIntegerField(
        _("at most, points"), null=True, blank=True, help_text=_("Empty: no cap.")
    )
    cap_days = models.PositiveIntegerField(_("per, days"), default=7)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.points == 0:
            raise ValidationError({"points": _("Zero points change nothing.")})
        if bool(self.property_name) != bool(self.property_value):
            raise ValidationError({"property_value": _("Give both the property and its value.")})
        if self.path_prefix and not self.path_prefix.startswith("/"):
            raise ValidationError({"path_prefix": _("A path starts with /.")})
        if self.cap_points is not None and not self.cap_days:
            raise ValidationError({"cap_days": _("A cap needs a period of at least one day.")})


class FitAttribute(models.TextChoices):
    POSITION = "position", _("Job title contains")
    COMPANY_SIZE = "company_size", _("Company size, employees, between")
    REGION = "region", _("City / region is one of")
    PRODUCT = "product", _("Product interest is one of")


class FitRule(models.Model):
    """Points for who the person is (job title, company size, region, product): they do not fade."""

    name = models.CharField(_("name"), max_length=120)
    attribute = models.CharField(_("attribute"), max_length=20, choices=FitAttribute.choices)
    values = models.TextField(
        _("values"), blank=True,
        help_text=_("Job title, region, product: words or names, one per line (any case)."),
    )
    min_size = models.PositiveIntegerField(_("company size from"), null=True, blank=True)
    max_size = models.PositiveIntegerField(_("company size to"), null=True, blank=True)
    points = models.IntegerField(_("points"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("fit rule")
        verbose_name_plural = _("fit rules")
        ordering = ["attribute", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.points == 0:
            raise ValidationError({"points": _("Zero points change nothing.")})
        if self.attribute == FitAttribute.COMPANY_SIZE:
            if self.min_size is None and self.max_size is None:
                raise ValidationError({"min_size": _("Give a lower or an upper bound.")})
            if self.min_size is not None and self.max_size is not None and self.min_size > self.max_size:
                raise ValidationError({"max_size": _("The upper bound is below the lower one.")})
        elif not self.value_list():
            raise ValidationError({"values": _("Give at least one value.")})

    def value_list(self) -> list[str]:
        return [line.strip().casefold() for line in self.values.splitlines() if line.strip()]


class EntryKind(models.TextChoices):
    BEHAVIOUR = "behaviour", _("Action")
    FIT = "fit", _("Fits the profile")
    UNFIT = "unfit", _("No longer fits")


class ScoreEntry(models.Model):
    """One change of a lead's points, with what earned it: the history the card explains."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="score_entries")
    entry_kind = models.CharField(max_length=10, choices=EntryKind.choices, default=EntryKind.BEHAVIOUR)
    points = models.IntegerField()
    rule = models.ForeignKey(PointsRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fit_rule = models.ForeignKey(FitRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event = models.ForeignKey(BehaviourEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # What earned the points, as an English template and its values: rendered in each reader's language,
    # with the date in the reader's locale and time zone (see `explanation`).
    text_key = models.CharField(max_length=200)
    text_params = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # The card's latest-first history, and a rule's cap: the points it gave a lead in a period.
            models.Index(fields=["lead", "-occurred_at"], name="score_entry_lead"),
            models.Index(fields=["lead", "rule", "occurred_at"], name="score_entry_rule_cap"),
        ]
        constraints = [
            # An event scores once per rule, however often it is replayed (joins, retries).
            models.UniqueConstraint(fields=["event", "rule"], name="score_entry_once_per_event_rule"),
        ]

    @property
    def explanation(self) -> str:
        from django.utils import dateformat, formats
        from django.utils.translation import gettext

        params = dict(self.text_params)
        params["points"] = f"{self.points:+d}"
        if "kind" in params:
            label = dict(EventKind.choices).get(params["kind"], params["kind"])
            params["event"] = str(label).lower()
        # The locale's day-and-month, with the month as a date needs it ("12 марта", not "12 Март").
        month_day = str(formats.get_format("MONTH_DAY_FORMAT")).replace("F", "E")
        params["date"] = dateformat.format(timezone.localtime(self.occurred_at), month_day)
        try:
            return gettext(self.text_key) % params
        except (KeyError, TypeError, ValueError):
            return f"{params['points']} {self.text_key}"


class LeadScore(models.Model):
    """A lead's points now, kept incrementally: fit points plus behaviour points fading since `as_of`.

    The behaviour part is the sum of each entry's points × 0.5^(age / half-life); halving is the same for
    every entry, so the sum can be carried forward from one moment to the next without re-reading them.
    `cools_at` is when the fading points drop below the current temperature's threshold: the periodic pass
    reads only the leads that are due (an index range), not every lead with points."""

    lead = models.OneToOneField("leads.Lead", primary_key=True, on_delete=models.CASCADE, related_name="score")
    behaviour_points = models.FloatField(default=0.0)
    fit_points = models.IntegerField(default=0)
    as_of = models.DateTimeField(default=timezone.now)
    cools_at = models.DateTimeField(null=True, blank=True, db_index=True)
    marketing_qualified_at = models.DateTimeField(null=True, blank=True)
    # log2(|behaviour_points|) + as_of / half-life, time counted in half-lives since 1970 (None: no fading
    # points). The fading part is |b| × 2^(anchor − now / half-life), so "points now ≥ x" is, for the leads
    # of one fit value f < x with b > 0, the plain comparison anchor ≥ log2(x − f) + now / half-life: an index
    # range that stays exact while the points fade (segments, nurture.conditions.PointsAtLeast). Written with
    # the points by warming.services (`_anchor`); a change of the half-life rebuilds it with the points.
    fading_anchor = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("lead points")
        verbose_name_plural = _("lead points")
        indexes = [
            models.Index(fields=["fit_points", "fading_anchor"], name="lead_score_fading_anchor"),
            # Cold leads hottest first read the points earned by anchor, largest first, and stop after a few
            # (leads.querysets._best_by_points); the sign and the fit points are here so the index answers alone.
            models.Index(fields=["fading_anchor", "behaviour_points", "fit_points"], name="lead_score_anchor"),
        ]
