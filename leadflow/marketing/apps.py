from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "leadflow.marketing"
    label = "marketing"
