from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kundenwert.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal receivers)
