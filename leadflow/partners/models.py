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
