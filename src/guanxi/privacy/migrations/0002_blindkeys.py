"""Erased contacts record the id of the blind-index key they were hashed with:
the rows from before are under the key configured now."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import migrations, models


def _current_key(apps: Any, schema_editor: Any) -> None:
    erased = apps.get_model("privacy", "ErasedContact")
    erased.objects.using(schema_editor.connection.alias).update(
        key_id=getattr(settings, "GUANXI_BLIND_INDEX_KEY_ID", "b1")
    )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="erasedcontact",
            name="key_id",
            field=models.CharField(
                default="b1", max_length=16, verbose_name="blind-index key"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(_current_key, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="erasedcontact",
            index=models.Index(fields=["key_id"], name="erasedcontact_key_idx"),
        ),
    ]
