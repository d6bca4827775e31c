"""The orders' revision (one row), raised by every writer of orders."""

from django.db import migrations, models


def first_revision(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("commerce", "OrdersRevision").objects.create(pk=1, revision=0)


class Migration(migrations.Migration):

    dependencies = [
        ("commerce", "0003_order_store_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrdersRevision",
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
                (
                    "revision",
                    models.PositiveBigIntegerField(default=0, verbose_name="revision"),
                ),
            ],
            options={
                "verbose_name": "orders revision",
                "verbose_name_plural": "orders revisions",
            },
        ),
        migrations.RunPython(first_revision, migrations.RunPython.noop),
    ]
