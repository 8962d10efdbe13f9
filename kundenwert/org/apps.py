from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "kundenwert.org"
    label = "org"
    verbose_name = "Organisation (teams and roles)"
