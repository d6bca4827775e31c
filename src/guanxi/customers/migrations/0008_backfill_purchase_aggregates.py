"""Purchase aggregates for the customers recorded before they were kept.

One set-based pass over the orders (the same statements every writer of
orders runs for the customers it touched, here for everyone). A purchase is
an order that is paid or partially refunded (``PURCHASE_STATUSES`` as of this
migration).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

PURCHASE_STATUSES = ("paid", "partially_refunded")


def backfill(apps: Any, schema_editor: Any) -> None:
    from guanxi.customers.bulk import customer_purchases_refresh

    Order = apps.get_model("commerce", "Order")
    customer_purchases_refresh(
        orders_table=Order._meta.db_table, statuses=PURCHASE_STATUSES
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_purchase_aggregates"),
        ("commerce", "0002_alter_order_customer"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
