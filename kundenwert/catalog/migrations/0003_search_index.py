from django.db import migrations

from kundenwert.core.search_migrations import SearchIndex


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_tax_rate_presets")]
    operations = [SearchIndex("catalog_product")]
