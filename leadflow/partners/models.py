"""Partner postbacks and dealers' regions; the partner itself (key, terms) lives in intake."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def region_key(name: str) -> str:
    """How a name from a partner's list is compared: case, ё/е and spacing do not matter."""
    return " ".join(name.casefold().replace("ё", "е").split())


def place_key(name: str) -> str:
    """How a city or region is compared: "г. Москва", "Moscow", "мск" and 77 are one place (matching.normalize)."""
    from leadflow.matching.normalize import place_key as key

    return key(name)


class DealerRegion(models.Model):
    """A city or region a dealer covers: leads from there go to the dealer's team (DOMAIN.md 4, 10)."""

    partner = models.ForeignKey(
        "intake.Partner", verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="regions"
    )
    name = models.CharField(_("city or region"), max_length=120)
    # One dealer per region: two would make routing a coin toss. Indexed: looked up for every submission.
    key = models.CharField(max_length=120, unique=True, editable=False)

    class Meta:
        verbose_name = _("dealer region")
        verbose_name_plural = _("dealer regions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.key = place_key(self.name)
        super().save(*args, **kwargs)

    def validate_unique(self, exclude=None):  # type: ignore[no-untyped-def]
        from django.core.exceptions import ValidationError

        super().validate_unique(exclude)
        taken = DealerRegion.objects.filter(key=place_key(self.name)).exclude(pk=self.pk).select_related("partner")
        other = taken.first()
        if other is not None:
            raise ValidationError({"name": _("%(region)s is already covered by %(dealer)s.")
                                   % {"region": self.name, "dealer": other.partner.name}})


class PostbackStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    QUALIFIED = "qualified", _("Qualified")
    CONVERTED = "converted", _("Converted")
    REFUSED = "refused", _("Refused")
    # An accepted lead a later merge found to be a person who was a lead already: not paid after all (payout 0).
    DUPLICATE = "duplicate", _("Duplicate found later")


class PostbackState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, gave up")
    REFUSED = "refused", _("Refused: unsafe address")


class Postback(models.Model):
    """One status notification to a partner's URL, with its delivery attempts."""

    partner = models.ForeignKey("intake.Partner", verbose_name=_("partner"), on_delete=models.CASCADE,
                                related_name="postbacks")
    submission = models.ForeignKey("intake.Submission", verbose_name=_("submission"), on_delete=models.CASCADE,
                                   related_name="postbacks")
    lead = models.ForeignKey("leads.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=PostbackStatus.choices)
    payout = models.DecimalField(_("payout"), max_digits=12, decimal_places=2, default=0)
    url = models.CharField(_("URL"), max_length=2000)
    state = models.CharField(_("delivery"), max_length=8, choices=PostbackState.choices,
                             default=PostbackState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("postback")
        verbose_name_plural = _("postbacks")
        constraints = [
            # Each status is posted once per accepted submission, however often the event repeats.
            models.UniqueConstraint(fields=["submission", "status"], name="postback_once_per_status"),
        ]
        indexes = [
            # The sender reads only what is due; the partial index keeps that cheap.
            models.Index(fields=["next_at"], name="postback_due", condition=models.Q(state="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.status} #{self.submission_id}"


class PaidPeriod(models.Model):
    """Dates of a partner's work marked paid, with the amount then shown and who marked it (DOMAIN.md 22).

    A paid period's figures stay what was paid: a lead found to be a duplicate later, or a conversion undone, no
    longer rewrites a month already settled; the difference is listed as an adjustment in the first open period
    (partners.paid). Periods of one partner follow each other without a gap, so the paid dates are one stretch.
    Dates are days in the site's zone, as the partner's own report counts them.
    """

    partner = models.ForeignKey("intake.Partner", verbose_name=_("partner"), on_delete=models.PROTECT,
                                related_name="paid_periods")
    start = models.DateField(_("from"))
    end = models.DateField(_("to (inclusive)"))
    amount = models.DecimalField(_("amount paid"), max_digits=14, decimal_places=2)
    closed_at = models.DateTimeField(_("marked paid at"), default=timezone.now)
    # Kept: who declared money paid is part of the record (a user who did is deactivated, not deleted).
    closed_by = models.ForeignKey("accounts.User", verbose_name=_("marked paid by"), on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        verbose_name = _("paid period")
        verbose_name_plural = _("paid periods")
        ordering = ["partner", "start"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "start"], name="paid_period_once"),
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="paid_period_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.start.isoformat()}…{self.end.isoformat()}"


class PaidEarning(models.TextChoices):
    LEAD = "lead", _("Accepted lead")
    CLIENT = "client", _("Converted client")


class PaidOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DUPLICATE = "duplicate", _("Duplicate")
    FOUND_LATER = "found_later", _("Duplicate found after acceptance")
    INVALID = "invalid", _("Invalid")
    OTHER = "other", _("Not processed")
    CONVERTED = "converted", _("Converted")
    ADJUSTMENT = "adjustment", _("Adjustment")


class PaidItem(models.Model):
    """One line of a paid period, as it was when paid: a submission that arrived in it (with what it was then), a
    conversion in it, or an adjustment to an earlier paid period settled with it. The report reads a paid period's
    figures from these lines, never again from the submissions."""

    period = models.ForeignKey(PaidPeriod, verbose_name=_("paid period"), on_delete=models.CASCADE,
                               related_name="items")
    submission = models.ForeignKey("intake.Submission", verbose_name=_("submission"), on_delete=models.PROTECT,
                                   related_name="+")
    earning = models.CharField(_("paid for"), max_length=6, choices=PaidEarning.choices)
    outcome = models.CharField(_("outcome"), max_length=11, choices=PaidOutcome.choices)
    # The moment the line counts in: the arrival, the conversion, or (an adjustment) the paid period's first day.
    at = models.DateTimeField(_("counted at"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("paid line")
        verbose_name_plural = _("paid lines")
        indexes = [
            # What was paid for one submission's lead or client, summed when looking for adjustments.
            models.Index(fields=["submission", "earning"], name="paid_item_submission"),
            models.Index(fields=["period", "at"], name="paid_item_period"),
        ]

    def __str__(self) -> str:
        return f"{self.period} #{self.submission_id} {self.outcome} {self.amount}"
