from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "leadflow.core"
    verbose_name = _("Leadflow")
    label = "leadflow_core"

    def ready(self) -> None:
        from leadflow.core import encryption  # noqa: F401  (registers the check of LEADFLOW_ENCRYPTION_KEYS)
