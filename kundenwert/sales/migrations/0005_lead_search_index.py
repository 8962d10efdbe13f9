from django.db import migrations

from kundenwert.core.search_migrations import SearchIndex


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_lead")]
    operations = [SearchIndex("sales_lead")]
