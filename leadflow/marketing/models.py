"""Sources and campaigns: where leads come from, so every channel can be measured."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.Model):
    """A marketing source (SEO, social, e-mail, ads, partner, exhibition ...), matched by UTM source."""

    name = models.CharField(_("name"), max_length=120)
    utm_source = models.CharField(
        _("UTM source"), max_length=120, unique=True, help_text=_("utm_source value that maps here")
    )
    medium = models.CharField(_("default medium"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A marketing campaign, matched by UTM campaign; its costs come in the analytics issue."""

    name = models.CharField(_("name"), max_length=160)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=160, unique=True)
    # PROTECT: a source's campaigns are its history (reports per source); a campaign is ended, not deleted.
    source = models.ForeignKey(Source, verbose_name=_("source"), null=True, blank=True, on_delete=models.PROTECT)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CampaignSpend(models.Model):
    """What a campaign cost and the clicks it bought on one day (entered by hand or imported from CSV)."""

    # PROTECT: deleting a campaign must not take the clicks and costs of past periods with it (cost per lead).
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="spend")
    day = models.DateField(_("day"))
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("campaign spend")
        verbose_name_plural = _("campaign spend")
        ordering = ["-day", "campaign"]
        constraints = [models.UniqueConstraint(fields=["campaign", "day"], name="campaign_spend_day")]
        # Cost reports sum a period across campaigns.
        indexes = [models.Index(fields=["day", "campaign"], name="campaign_spend_by_day")]

    def __str__(self) -> str:
        return f"{self.campaign} {self.day}"

    def clean(self) -> None:
        if self.cost is not None and self.cost < 0:
            raise ValidationError({"cost": _("A cost cannot be negative.")})


class ExtraCost(models.Model):
    """A cost outside the ad accounts (software, salaries) added to the marketing budget for a period."""

    name = models.CharField(_("name"), max_length=160)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to (inclusive)"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("extra cost")
        verbose_name_plural = _("extra costs")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Reports spread the amount over these days: a range ending before it starts would drop it unseen.
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The last day is before the first.")})
        if self.amount is not None and self.amount < 0:
            raise ValidationError({"amount": _("An amount cannot be negative.")})
