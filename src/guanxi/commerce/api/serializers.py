"""Order serializers: the declared input schema of every order write, and the
shape of the answers.

The write serializers validate (through :mod:`guanxi.core.values`, the same
rules the import uses) and hand the services clean :class:`OrderInput` values;
what needs the database (scope, ids taken, products) is the services' part.
Responses show the customer as the requesting role knows it (a pseudonym for
analysts).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import Order, OrderLine
from guanxi.commerce.services import (
    BULK_LIMIT,
    DEFAULT_SOURCE,
    LineInput,
    OrderInput,
)
from guanxi.core.errors import ValidationFailed
from guanxi.core.serializers import (
    AmountField,
    DeclaredSerializer,
    IdField,
    LineField,
    MomentField,
    QuantityField,
    StoredMomentField,
)
from guanxi.core.values import line_total
from guanxi.coupons.services import coupon_code_parse
from guanxi.customers.presenters import customer_ref

__all__ = [
    "BulkErrorSerializer",
    "OrderBulkResultSerializer",
    "OrderBulkWriteSerializer",
    "OrderSerializer",
    "OrderWriteSerializer",
]

#: The most lines one order may hold.
LINES_LIMIT = 1000


class _StatusField(serializers.ChoiceField):
    """An order status; blank means paid."""

    def to_internal_value(self, data: Any) -> str:
        if data == "":
            return str(OrderStatus.PAID)
        if not isinstance(data, str) or data not in OrderStatus.values:
            raise serializers.ValidationError(
                gettext("not a valid status (expected one of: %(choices)s)")
                % {"choices": ", ".join(OrderStatus.values)}
            )
        return data


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
    ordered_at = StoredMomentField()
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


class OrderLineWriteSerializer(DeclaredSerializer):
    """One order line; quantity × unit price must fit the amount column."""

    default_error_messages = {"invalid": _("expected an order line object")}

    sku = LineField(kind="sku")
    name = LineField(
        kind="product_name",
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Needed only to create a product the SKU does not name yet."),
    )
    quantity = QuantityField(required=False, default=1)
    unit_price = AmountField(help_text=_("e.g. 64.00, ¥64 or 1,299.50"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            line_total(attrs["quantity"], attrs["unit_price"])
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.message) from None
        return attrs


class OrderWriteSerializer(DeclaredSerializer):
    """What an order is recorded with; ``to_input`` gives the clean order."""

    default_error_messages = {"invalid": _("expected an order object")}

    source = LineField(  # type: ignore[assignment]
        kind="source",
        required=False,
        allow_blank=True,
        default=DEFAULT_SOURCE,
        help_text=_("The system the order comes from (default: api)."),
    )
    external_id = LineField(
        kind="external_id",
        help_text=_("The order's id in its source; (source, external_id) is unique."),
    )
    customer = IdField(
        invalid_message=_("unknown customer"), help_text=_("Customer number.")
    )
    ordered_at = MomentField()
    amount = AmountField()
    currency = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=3,
        default="CNY",
        error_messages={
            "max_length": _("not a currency code (expected three letters, e.g. CNY)")
        },
    )
    store = LineField(kind="store", required=False, allow_blank=True, default="")
    channel = LineField(kind="channel", required=False, allow_blank=True, default="")
    status = _StatusField(
        choices=OrderStatus.choices,
        required=False,
        allow_blank=True,
        default=OrderStatus.PAID,
    )
    lines = OrderLineWriteSerializer(  # type: ignore[call-arg]
        many=True,
        required=False,
        allow_null=True,
        max_length=LINES_LIMIT,
        error_messages={
            "not_a_list": _("expected a list of order lines"),
            "max_length": _("too many lines in one order (at most {max_length})"),
        },
    )

    coupon = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=40,
        error_messages={"max_length": _("not a coupon code (10 letters and digits)")},
        help_text=_(
            "A coupon code issued to this customer, redeemed with the order "
            "(letters in any case; spaces and dashes are ignored)."
        ),
    )

    def validate_coupon(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return coupon_code_parse(value)
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.message) from None

    def validate_currency(self, value: str) -> str:
        code = value.strip() or "CNY"
        if not (len(code) == 3 and code.isascii() and code.isalpha()):
            raise serializers.ValidationError(
                _("not a currency code (expected three letters, e.g. CNY)")
            )
        return code.upper()

    def validate_source(self, value: str) -> str:
        return value or DEFAULT_SOURCE

    @staticmethod
    def to_input(data: dict[str, Any]) -> OrderInput:
        """The clean order from ``validated_data``."""
        return OrderInput(
            source=data["source"],
            external_id=data["external_id"],
            customer_id=data["customer"],
            ordered_at=data["ordered_at"],
            amount=data["amount"],
            currency=data["currency"],
            store=data["store"],
            channel=data["channel"],
            status=data["status"],
            lines=tuple(
                LineInput(
                    sku=line["sku"],
                    name=line["name"],
                    quantity=line["quantity"],
                    unit_price=line["unit_price"],
                )
                for line in data.get("lines") or ()
            ),
            coupon=data.get("coupon", ""),
        )


class OrderBulkWriteSerializer(serializers.Serializer[Any]):
    """The envelope of a bulk request (each item is an :class:`OrderWriteSerializer`)."""

    orders = OrderWriteSerializer(  # type: ignore[call-arg]
        many=True,
        max_length=BULK_LIMIT,
        error_messages={
            "not_a_list": _("expected a list of orders"),
            "max_length": _("too many orders in one request (at most {max_length})"),
            "required": _("expected a list of orders"),
            "null": _("expected a list of orders"),
        },
    )


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
