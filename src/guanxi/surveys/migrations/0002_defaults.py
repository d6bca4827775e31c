"""The four surveys as shipped (texts from the seed documents)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def create(apps: Any, schema_editor: Any) -> None:
    from guanxi.surveys.defaults import default_rows

    survey = apps.get_model("surveys", "Survey")
    for row in default_rows():
        survey.objects.get_or_create(kind=row["kind"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
