from django.db import migrations

NEW_ENTITIES = ("product", "deal", "lead")


def grant_new_entities(apps, schema_editor):
    """Give the shipped roles their levels for the catalogue, deals and leads.

    Only entities a role has no levels for yet are added: an administrator's own changes to
    a role stay as they are.
    """
    from kundenwert.org.models import SHIPPED_ROLES

    Role = apps.get_model("org", "Role")
    for role in Role.objects.filter(key__in=SHIPPED_ROLES):
        spec = SHIPPED_ROLES[role.key]["permissions"]
        permissions = dict(role.permissions)
        for entity in NEW_ENTITIES:
            if entity not in permissions and entity in spec:
                permissions[entity] = {action: int(level) for action, level in spec[entity].items()}
        if permissions != role.permissions:
            role.permissions = permissions
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("org", "0002_shipped_roles")]
    operations = [migrations.RunPython(grant_new_entities, migrations.RunPython.noop)]
