from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leadflow.leads"
    label = "leads"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from leadflow.leads import handlers  # noqa: F401  (registers outbox handlers)

        # Each room that keeps rows keyed by lead registers its part of a merge in its `lead_merge.py`.
        autodiscover_modules("lead_merge")
