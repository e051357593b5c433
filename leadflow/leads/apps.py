from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leadflow.leads"
    label = "leads"

    def ready(self) -> None:
        from leadflow.leads import handlers  # noqa: F401  (registers outbox handlers)
