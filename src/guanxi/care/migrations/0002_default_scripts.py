"""The seed handbook's scripts, one per signal, for admins to edit."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def add_scripts(apps: Any, schema_editor: Any) -> None:
    from guanxi.care.words import DEFAULT_SCRIPTS

    script = apps.get_model("care", "CareScript")
    for signal, (zh, en) in DEFAULT_SCRIPTS.items():
        script.objects.get_or_create(
            signal=str(signal), defaults={"text_zh": zh, "text_en": en}
        )


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [migrations.RunPython(add_scripts, migrations.RunPython.noop)]
