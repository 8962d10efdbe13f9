from django.db import migrations

from kundenwert.core.search_migrations import SearchIndex


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_initial")]
    operations = [SearchIndex("activities_activity")]
