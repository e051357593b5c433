from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "leadflow.telephony"
    label = "telephony"
