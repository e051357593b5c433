from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "leadflow.scoring"
    label = "scoring"
    verbose_name = _("Predictive score")

    def ready(self) -> None:
        from leadflow.scoring import handlers  # noqa: F401  (registers outbox handlers)
