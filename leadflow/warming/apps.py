from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarmingConfig(AppConfig):
    name = "leadflow.warming"
    label = "warming"
    verbose_name = _("Warming")

    def ready(self) -> None:
        from leadflow.warming import handlers  # noqa: F401  (registers outbox handlers)
