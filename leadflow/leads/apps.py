from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leadflow.leads"
    verbose_name = _("Leads")
    label = "leads"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from leadflow.leads import handlers  # noqa: F401  (registers outbox handlers)

        # Each room that keeps rows keyed by lead registers its part of a merge in its `lead_merge.py`.
        autodiscover_modules("lead_merge")
