from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "leadflow.events"
    label = "events"
