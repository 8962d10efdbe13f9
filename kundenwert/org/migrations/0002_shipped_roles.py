from django.db import migrations


def create_roles(apps, schema_editor):
    from kundenwert.org.models import SHIPPED_ROLES

    Role = apps.get_model("org", "Role")
    for key, spec in SHIPPED_ROLES.items():
        Role.objects.update_or_create(
            key=key,
            defaults={
                "name": spec["name"],
                "is_admin": spec.get("is_admin", False),
                "permissions": {
                    entity: {action: int(level) for action, level in actions.items()}
                    for entity, actions in spec["permissions"].items()
                },
            },
        )


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
