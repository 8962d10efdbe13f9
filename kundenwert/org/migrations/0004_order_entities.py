from django.db import migrations

from kundenwert.org.migrations._grants import grant_missing

NEW_ENTITIES = ("order", "invoice")


def grant_new_entities(apps, schema_editor):
    """Give the shipped roles their levels for orders and invoices (see 0003)."""
    grant_missing(apps, NEW_ENTITIES)


class Migration(migrations.Migration):
    dependencies = [("org", "0003_offer_entities")]
    operations = [migrations.RunPython(grant_new_entities, migrations.RunPython.noop)]
