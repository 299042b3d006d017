"""Load the seed catalogue of component and event classes (gridgov.cases.seed).

Adds only the classes that are missing, so running it on a database that already has
some (or that an administrator edited) changes nothing that exists.
"""

from django.db import migrations


def load_catalogue(apps, schema_editor):
    from gridgov.cases import seed

    seed.load(apps.get_model("cases", "CaseClass"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_component_retirement"),
    ]

    operations = [
        migrations.RunPython(load_catalogue, migrations.RunPython.noop),
    ]
