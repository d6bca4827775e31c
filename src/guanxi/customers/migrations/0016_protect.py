"""Imported interactions' generated ids keyed (guanxi.ingest.rowids): each
``h:<digest>`` becomes ``h2:<blind-index key id>:<HMAC of the digest>``, the id
an import of the same file now computes, so re-importing stays idempotent.

The HMAC is written out here (not imported) so that this migration computes
the same ids whatever the code becomes. Not reversible: the digest is gone.
"""

import hmac

from django.conf import settings
from django.db import migrations

BATCH = 2000
CONTEXT = "ingest.interaction_id"


def key_ids(apps, schema_editor):
    Interaction = apps.get_model("customers", "Interaction")
    key = settings.GUANXI_BLIND_INDEX_KEY
    key_id = str(getattr(settings, "GUANXI_BLIND_INDEX_KEY_ID", "") or "b1")
    rows = Interaction.objects.filter(external_id__startswith="h:").order_by("pk")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last).only("pk", "external_id")[:BATCH])
        if not batch:
            return
        for row in batch:
            digest = row.external_id[2:]
            msg = f"{CONTEXT}\x00{digest}".encode()
            mac = hmac.digest(key, msg, "sha256").hex()[:32]
            row.external_id = f"h2:{key_id}:{mac}"
        Interaction.objects.bulk_update(batch, ["external_id"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0015_segs"),
    ]

    operations = [
        migrations.RunPython(key_ids, migrations.RunPython.noop, elidable=False),
    ]
