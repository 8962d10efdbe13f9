from django.db import migrations

from kundenwert.org.migrations._grants import grant_missing

NEW_ENTITIES = ("product", "deal", "lead")


def grant_new_entities(apps, schema_editor):
    """Give the shipped roles their levels for the catalogue, deals and leads."""
    grant_missing(apps, NEW_ENTITIES)


class Migration(migrations.Migration):
    dependencies = [("org", "0002_shipped_roles")]
    operations = [migrations.RunPython(grant_new_entities, migrations.RunPython.noop)]
