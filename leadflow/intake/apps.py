from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "leadflow.intake"
    label = "intake"
