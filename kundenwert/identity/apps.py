from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "kundenwert.identity"
    label = "identity"
    verbose_name = "Identity"
