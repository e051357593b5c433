from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "leadflow.marketing"
    verbose_name = _("Sources and campaigns")
    label = "marketing"
