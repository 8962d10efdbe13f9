from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kundenwert.core"
    label = "core"
    verbose_name = "Core"
