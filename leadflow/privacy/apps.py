from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "leadflow.privacy"
    label = "privacy"
    verbose_name = _("Consent and personal data")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from leadflow.privacy import rooms  # noqa: F401 (registers the built-in rooms)

        # Any app may keep personal data of its own: its `privacy.py` registers an exporter and an
        # eraser, so an export or an erasure reaches it whether or not its views were ever imported.
        autodiscover_modules("privacy")
