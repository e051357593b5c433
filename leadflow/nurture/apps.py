from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NurtureConfig(AppConfig):
    name = "leadflow.nurture"
    label = "nurture"
    verbose_name = _("Segments and e-mail sequences")

    def ready(self) -> None:
        from leadflow.nurture import handlers, privacy  # noqa: F401  (outbox handlers, exporter and eraser)
