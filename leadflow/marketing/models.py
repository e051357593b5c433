"""Sources and campaigns: where leads come from, so every channel can be measured."""

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
    source = models.ForeignKey(Source, verbose_name=_("source"), null=True, blank=True, on_delete=models.SET_NULL)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
