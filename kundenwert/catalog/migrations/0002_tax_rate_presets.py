from decimal import Decimal

from django.db import migrations

# The German VAT rates of § 12 UStG and 0 % for exempt supplies (§ 4 UStG). The names are the
# English source texts of TaxRate.PRESET_NAMES, shown translated (kundenwert/catalog/models.py).
PRESETS = (
    ("standard", "Standard rate (19 %)", Decimal("19.00"), True),
    ("reduced", "Reduced rate (7 %)", Decimal("7.00"), False),
    ("exempt", "Tax-exempt (0 %)", Decimal("0.00"), False),
)


def create_presets(apps, schema_editor):
    """Create the preset rates that are missing; never touch rates an administrator changed."""
    TaxRate = apps.get_model("catalog", "TaxRate")
    has_default = TaxRate.objects.filter(is_default=True).exists()
    for preset, name, rate, is_default in PRESETS:
        if TaxRate.objects.filter(preset=preset).exists():
            continue
        if TaxRate.objects.filter(name__iexact=name).exists():
            continue
        TaxRate.objects.create(
            preset=preset, name=name, rate=rate, is_default=is_default and not has_default
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create_presets, migrations.RunPython.noop)]
