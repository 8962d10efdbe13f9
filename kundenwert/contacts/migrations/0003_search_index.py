from django.db import migrations

from kundenwert.core.search_migrations import SearchIndex


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_initial")]
    operations = [
        SearchIndex("contacts_organization"),
        SearchIndex("contacts_person"),
    ]
