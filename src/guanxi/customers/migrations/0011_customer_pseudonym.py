"""Customers' pseudonyms stored, so that pseudonymous lists are ordered by them.

The backfill computes the keyed hash of every customer's id (what the pages
showed already) in batches by id, one UPDATE per customer of a batch.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

BATCH = 2000


def backfill(apps: Any, schema_editor: Any) -> None:
    from guanxi.core.crypto import pseudonym

    Customer = apps.get_model("customers", "Customer")
    last = 0
    while True:
        ids = list(
            Customer.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return
        Customer.objects.bulk_update(
            [Customer(pk=pk, pseudonym=pseudonym(pk)) for pk in ids],
            ["pseudonym"],
            batch_size=500,
        )
        last = ids[-1]


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_bulk_actions")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="pseudonym",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=24,
                null=True,
                verbose_name="pseudonym",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["pseudonym", "id"], name="customer_pseudonym_idx"
            ),
        ),
    ]
