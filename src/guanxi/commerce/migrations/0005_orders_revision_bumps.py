"""The orders' revision as its row plus a count of bump rows (decision 0009):
writers insert a bump instead of updating the one row."""

from django.db import migrations, models


def bumps_fold(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Going back: the bumps not yet folded go into the row before their table
    is dropped (the number must never go back to one the pairs stored)."""
    bumps = apps.get_model("commerce", "OrdersRevisionBump").objects.all()
    folded = bumps.count()
    if not folded:
        return
    revision = apps.get_model("commerce", "OrdersRevision").objects
    revision.get_or_create(pk=1, defaults={"revision": 0})
    revision.filter(pk=1).update(revision=models.F("revision") + folded)
    bumps.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("commerce", "0004_tidy2"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrdersRevisionBump",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
            ],
            options={
                "verbose_name": "orders revision bump",
                "verbose_name_plural": "orders revision bumps",
            },
        ),
        # Reversed before the table is dropped.
        migrations.RunPython(migrations.RunPython.noop, bumps_fold),
    ]
