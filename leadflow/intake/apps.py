from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "leadflow.intake"
    verbose_name = _("Intake: submissions, forms, partners")
    label = "intake"
