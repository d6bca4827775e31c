"""Order serializers: shapes for the API, no business rules.

Requests are validated by :mod:`guanxi.commerce.services` (the write serializers
here document them for the OpenAPI schema); responses show the customer as the
requesting role knows it (a pseudonym for analysts).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import Order, OrderLine
from guanxi.commerce.services import BULK_LIMIT
from guanxi.customers.presenters import customer_ref

__all__ = [
    "BulkErrorSerializer",
    "OrderBulkResultSerializer",
    "OrderBulkWriteSerializer",
    "OrderSerializer",
    "OrderWriteSerializer",
]


class OrderLineSerializer(serializers.Serializer[OrderLine]):
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class OrderSerializer(serializers.Serializer[Order]):
    """An order as the API returns it."""

    id = serializers.IntegerField()
    source = serializers.CharField()  # type: ignore[assignment]
    external_id = serializers.CharField()
    customer = serializers.CharField(
        source="customer_id",
        help_text=_("Customer number, or a pseudonymous id for analysts."),
    )
    ordered_at = serializers.DateTimeField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    store = serializers.CharField()
    channel = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    lines = OrderLineSerializer(many=True, source="lines.all")

    def to_representation(self, instance: Order) -> dict[str, Any]:
        # Built by hand: DRF's field-by-field path costs more than the query on
        # a page of orders, and a bulk answer holds up to a thousand of them.
        # The declared fields above still describe the shape in the schema.
        return {
            "id": instance.pk,
            "source": instance.source,
            "external_id": instance.external_id,
            "customer": customer_ref(
                instance.customer_id, policy=self.context["policy"]
            ),
            "ordered_at": self.fields["ordered_at"].to_representation(
                instance.ordered_at
            ),
            "amount": _money(instance.amount),
            "currency": instance.currency,
            "store": instance.store,
            "channel": instance.channel,
            "status": instance.status,
            "lines": [
                {
                    "sku": line.product.sku,
                    "name": line.product.name,
                    "quantity": line.quantity,
                    "unit_price": _money(line.unit_price),
                    "amount": _money(line.amount),
                }
                for line in instance.lines.all()
            ],
        }


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


class OrderLineWriteSerializer(serializers.Serializer[OrderLine]):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(
        required=False,
        max_length=200,
        help_text=_("Needed only to create a product the SKU does not name yet."),
    )
    quantity = serializers.IntegerField(required=False, min_value=1, default=1)
    unit_price = serializers.CharField(help_text=_("e.g. 64.00, ¥64 or 1,299.50"))


class OrderWriteSerializer(serializers.Serializer[Order]):
    """What an order is recorded with (validated by the commerce services)."""

    source = serializers.CharField(  # type: ignore[assignment]
        required=False,
        max_length=32,
        help_text=_("The system the order comes from (default: api)."),
    )
    external_id = serializers.CharField(
        max_length=128,
        help_text=_("The order's id in its source; (source, external_id) is unique."),
    )
    customer = serializers.IntegerField(help_text=_("Customer number."))
    ordered_at = serializers.CharField(
        help_text=_("ISO 8601, or 2024-01-05 14:30 in the server's time zone.")
    )
    amount = serializers.CharField(
        help_text=_("Not negative; e.g. 128.00, ¥128 or 1,299.50.")
    )
    currency = serializers.CharField(required=False, max_length=3, default="CNY")
    store = serializers.CharField(required=False, allow_blank=True, max_length=64)
    channel = serializers.CharField(required=False, allow_blank=True, max_length=32)
    status = serializers.ChoiceField(
        choices=OrderStatus.choices, required=False, default=OrderStatus.PAID
    )
    lines = OrderLineWriteSerializer(many=True, required=False)


class OrderBulkWriteSerializer(serializers.Serializer[Any]):
    orders = OrderWriteSerializer(many=True, max_length=BULK_LIMIT)  # type: ignore[call-arg]


class OrderBulkResultSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    orders = OrderSerializer(many=True)


class ItemErrorSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField(allow_null=True)
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class BulkErrorSerializer(serializers.Serializer[Any]):
    errors = ItemErrorSerializer(many=True)  # type: ignore[assignment]
