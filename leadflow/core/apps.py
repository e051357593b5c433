from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "leadflow.core"
    label = "leadflow_core"

    def ready(self) -> None:
        from leadflow.core import encryption  # noqa: F401  (registers the check of LEADFLOW_ENCRYPTION_KEYS)
