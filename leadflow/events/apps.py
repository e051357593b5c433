from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "leadflow.events"
    verbose_name = _("Events and webhooks")
    label = "events"

    def ready(self) -> None:
        from leadflow.events import webhooks  # noqa: F401  (registers the outbox handler that queues deliveries)
