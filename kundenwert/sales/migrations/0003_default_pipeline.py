from django.db import migrations

# Frozen copies of kundenwert.sales.models.PRESET_PIPELINE / PRESET_STAGES as of this migration.
PRESET_PIPELINE = "Sales"
PRESET_STAGES = (
    ("Qualification", 10, "open"),
    ("Needs analysis", 25, "open"),
    ("Proposal", 50, "open"),
    ("Negotiation", 75, "open"),
    ("Won", 100, "won"),
    ("Lost", 0, "lost"),
)


def create_default_pipeline(apps, schema_editor):
    """Create the pipeline "Sales" with the preset stages, unless a default pipeline exists.

    Names are stored in English; they are msgids, shown in the reader's language (see
    kundenwert.sales.models.SHIPPED_NAMES).
    """
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    if Pipeline.objects.filter(is_default=True).exists():
        return
    pipeline = Pipeline.objects.create(name=PRESET_PIPELINE, position=0, is_default=True)
    Stage.objects.bulk_create(
        Stage(pipeline=pipeline, name=name, position=position, probability=probability, kind=kind)
        for position, (name, probability, kind) in enumerate(PRESET_STAGES)
    )


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_search_index")]
    operations = [migrations.RunPython(create_default_pipeline, migrations.RunPython.noop)]
