from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "kundenwert.ops"
    label = "ops"
    verbose_name = "Operations (serve, demo, seed)"
