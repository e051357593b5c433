from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "leadflow.matching"
    label = "matching"
