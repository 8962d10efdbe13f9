from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kundenwert.api"
    label = "api"
    verbose_name = "REST API"
