from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "leadflow.clients"
    label = "clients"
