from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "leadflow.partners"
    label = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        from leadflow.partners import handlers  # noqa: F401  (registers outbox handlers)
