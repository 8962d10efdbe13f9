from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "kundenwert.org"
    label = "org"
    verbose_name = "Organisation (teams and roles)"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the permission-key receivers)
