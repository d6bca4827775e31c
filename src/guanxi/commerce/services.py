"""Writes for orders: validated, scoped, all-or-nothing and idempotent.

An order is known by ``(source, external_id)``. Recording the same order again
returns the one already stored, unchanged, so a client may retry safely.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.commerce.bulk import (
    ORDER_VALUES,
    OrderBulkWriter,
    OrderLineBulkWriter,
    order_highest_id,
    order_indexes,
    order_line_indexes,
    order_status_bulk_update,
    order_tables_settle,
    orders_exist,
    orders_recorded,
    products_ensure,
)
from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.normalize import parse_amount, parse_datetime
from guanxi.customers.selectors import customer_scope

__all__ = [
    "BULK_LIMIT",
    "ORDER_FIELDS",
    "ORDER_VALUES",
    "ItemError",
    "OrderBulkWriter",
    "OrderLineBulkWriter",
    "OrdersRejected",
    "order_bulk_create",
    "order_create",
    "order_highest_id",
    "order_indexes",
    "order_line_indexes",
    "order_status_bulk_update",
    "order_tables_settle",
    "orders_exist",
    "orders_recorded",
    "products_ensure",
]

BULK_LIMIT = 1000
#: The fields an order is recorded with (anything else in an item is ignored).
ORDER_FIELDS = (
    "source",
    "external_id",
    "customer",
    "ordered_at",
    "amount",
    "currency",
    "store",
    "channel",
    "status",
    "lines",
)
DEFAULT_SOURCE = "api"
_MAX_AMOUNT = Decimal("10000000000")  # DecimalField(max_digits=12, decimal_places=2)


@dataclass(frozen=True)
class ItemError:
    """One problem with one item of a request: where it is and what is wrong."""

    index: int
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


class OrdersRejected(ValidationFailed):
    """At least one order was invalid, so none was written."""

    def __init__(self, errors: list[ItemError]) -> None:
        super().__init__(
            _("no order was recorded: %(n)d problem(s)") % {"n": len(errors)}
        )
        self.errors = errors


@dataclass
class _Clean:
    source: str
    external_id: str
    customer_id: int
    ordered_at: dt.datetime
    amount: Decimal
    currency: str
    store: str
    channel: str
    status: str
    lines: list[dict[str, Any]]


def _text(
    item: dict[str, Any], field: str, *, max_length: int, default: str = ""
) -> str:
    value = item.get(field)
    text = default if value is None else str(value).strip()
    if len(text) > max_length:
        raise ValidationFailed(
            _("too long (at most %(n)d characters)") % {"n": max_length}, field=field
        )
    return text


def _required(item: dict[str, Any], field: str) -> Any:
    value = item.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationFailed(_("this field is required"), field=field)
    return value


def _amount(value: Any, field: str) -> Decimal:
    if isinstance(value, bool):
        raise ValidationFailed(_("not an amount"), field=field)
    try:
        amount = parse_amount(value)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field=field) from None
    if amount >= _MAX_AMOUNT:
        raise ValidationFailed(_("amount is too large"), field=field)
    return amount


def _lines(raw: Any) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationFailed(_("expected a list of order lines"), field="lines")
    lines = []
    for n, line in enumerate(raw):
        where = f"lines[{n}]"
        if not isinstance(line, dict):
            raise ValidationFailed(_("expected an order line object"), field=where)
        sku = _text(line, "sku", max_length=64)
        if not sku:
            raise ValidationFailed(_("this field is required"), field=f"{where}.sku")
        quantity = line.get("quantity", 1)
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int | str)
            or not str(quantity).strip().isdigit()
            or int(quantity) < 1
        ):
            raise ValidationFailed(
                _("quantity must be a whole number of at least 1"),
                field=f"{where}.quantity",
            )
        if line.get("unit_price") in (None, ""):
            raise ValidationFailed(
                _("this field is required"), field=f"{where}.unit_price"
            )
        unit_price = _amount(line["unit_price"], f"{where}.unit_price")
        lines.append(
            {
                "sku": sku,
                "name": str(line.get("name") or "").strip()[:200],
                "quantity": int(quantity),
                "unit_price": unit_price,
            }
        )
    return lines


def _clean_order(item: Any, *, known_customers: set[int]) -> _Clean:
    """Validate one order; raise :class:`ValidationFailed` naming the field."""
    if not isinstance(item, dict):
        raise ValidationFailed(_("expected an order object"))
    external_id = _text(item, "external_id", max_length=128)
    if not external_id:
        raise ValidationFailed(_("this field is required"), field="external_id")
    source = _text(item, "source", max_length=32) or DEFAULT_SOURCE
    raw_customer = _required(item, "customer")
    try:
        customer_id = int(str(raw_customer).strip())
    except ValueError:
        customer_id = -1
    if isinstance(raw_customer, bool) or customer_id not in known_customers:
        raise ValidationFailed(_("unknown customer"), field="customer")
    try:
        ordered_at = parse_datetime(
            _required(item, "ordered_at"), tz=timezone.get_current_timezone()
        )
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="ordered_at") from None
    amount = _amount(_required(item, "amount"), "amount")
    currency = _text(item, "currency", max_length=8) or "CNY"
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise ValidationFailed(
            _("not a currency code (expected three letters, e.g. CNY)"),
            field="currency",
        )
    status = _text(item, "status", max_length=20) or OrderStatus.PAID
    if status not in OrderStatus.values:
        raise ValidationFailed(
            _("not a valid status (expected one of: %(choices)s)")
            % {"choices": ", ".join(OrderStatus.values)},
            field="status",
        )
    return _Clean(
        source=source,
        external_id=external_id,
        customer_id=customer_id,
        ordered_at=ordered_at,
        amount=amount,
        currency=currency.upper(),
        store=_text(item, "store", max_length=64),
        channel=_text(item, "channel", max_length=32),
        status=status,
        lines=_lines(item.get("lines")),
    )


def _customer_ids(*, actor: Any, items: list[Any]) -> set[int]:
    """Which of the customers the items name exist in ``actor``'s scope."""
    wanted = set()
    for item in items:
        raw = item.get("customer") if isinstance(item, dict) else None
        if not isinstance(raw, bool) and str(raw).strip().isdigit():
            wanted.add(int(str(raw).strip()))
    found: set[int] = set()
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):
        found.update(
            customer_scope(actor=actor)
            .filter(pk__in=ids[start : start + 500])
            .values_list("pk", flat=True)
        )
    return found


def _existing(cleaned: list[_Clean]) -> dict[tuple[str, str], Order]:
    """Orders already recorded under the keys of ``cleaned``."""
    keys = {(c.source, c.external_id) for c in cleaned}
    ids = sorted({external_id for _source, external_id in keys})
    found: dict[tuple[str, str], Order] = {}
    for start in range(0, len(ids), 500):
        for order in Order.objects.filter(external_id__in=ids[start : start + 500]):
            if (order.source, order.external_id) in keys:
                found[(order.source, order.external_id)] = order
    return found


def _products(new: dict[int, _Clean], errors: list[ItemError]) -> None:
    """Attach ``product`` to every line; unknown SKUs need a name to be created."""
    skus = sorted({line["sku"] for c in new.values() for line in c.lines})
    known: dict[str, Product] = {}
    for start in range(0, len(skus), 500):
        known.update(
            (p.sku, p)
            for p in Product.objects.filter(sku__in=skus[start : start + 500])
        )
    for index, clean in new.items():
        for n, line in enumerate(clean.lines):
            product = known.get(line["sku"])
            if product is None:
                if not line["name"]:
                    errors.append(
                        ItemError(
                            index,
                            f"lines[{n}].sku",
                            _("unknown product (give a name to create it)"),
                        )
                    )
                    continue
                product = Product(sku=line["sku"], name=line["name"])
                known[line["sku"]] = product
            line["product"] = product


@transaction.atomic
def order_bulk_create(*, actor: Any, items: Any) -> list[tuple[Order, bool]]:
    """Record many orders at once: all of them, or none with every problem listed.

    Returns ``(order, created)`` per item, in order. An item whose
    ``(source, external_id)`` is already recorded for a customer in scope comes
    back unchanged with ``created=False``.
    """
    policy = policy_for(actor)
    if not policy.may_write_orders:
        raise PermissionDenied(_("your role may not record orders"))
    if not isinstance(items, list):
        raise ValidationFailed(_("expected a list of orders"), field="orders")
    if len(items) > BULK_LIMIT:
        raise ValidationFailed(
            _("too many orders in one request (at most %(n)d)") % {"n": BULK_LIMIT},
            field="orders",
        )
    known_customers = _customer_ids(actor=actor, items=items)
    errors: list[ItemError] = []
    cleaned: dict[int, _Clean] = {}
    first_seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        try:
            clean = _clean_order(item, known_customers=known_customers)
        except ValidationFailed as exc:
            errors.append(ItemError(index, exc.field, exc.message))
            continue
        key = (clean.source, clean.external_id)
        if key in first_seen:
            errors.append(
                ItemError(
                    index,
                    "external_id",
                    _("this order appears more than once (first at item %(i)d)")
                    % {"i": first_seen[key]},
                )
            )
            continue
        first_seen[key] = index
        cleaned[index] = clean
    existing = _existing(list(cleaned.values()))
    visible = set(
        Order.objects.filter(
            pk__in=[o.pk for o in existing.values()],
            customer__in=customer_scope(actor=actor),
        ).values_list("pk", flat=True)
    )
    for index, clean in cleaned.items():
        found = existing.get((clean.source, clean.external_id))
        if found is not None and found.pk not in visible:
            errors.append(
                ItemError(index, "external_id", _("this order id is already taken"))
            )
    _products(
        {
            index: clean
            for index, clean in cleaned.items()
            if (clean.source, clean.external_id) not in existing
        },
        errors,
    )
    if errors:
        raise OrdersRejected(sorted(errors, key=lambda e: e.index))
    return _write(cleaned, existing, count=len(items))


def _write(
    cleaned: dict[int, _Clean], existing: dict[tuple[str, str], Order], *, count: int
) -> list[tuple[Order, bool]]:
    new: dict[int, Order] = {}
    for index, c in cleaned.items():
        if (c.source, c.external_id) in existing:
            continue
        new[index] = Order(
            source=c.source,
            external_id=c.external_id,
            customer_id=c.customer_id,
            ordered_at=c.ordered_at,
            amount=c.amount,
            currency=c.currency,
            store=c.store,
            channel=c.channel,
            status=c.status,
        )
    products = {
        line["product"].sku: line["product"]
        for index in new
        for line in cleaned[index].lines
        if line["product"].pk is None
    }
    try:
        with transaction.atomic():
            Order.objects.bulk_create(list(new.values()))
            Product.objects.bulk_create(list(products.values()))
    except IntegrityError:
        # Another request recorded one of these orders (or products) a moment
        # ago; a retry then gets the stored orders back.
        raise ValidationFailed(
            _("some of these orders were recorded at the same time; please retry")
        ) from None
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=products.get(line["sku"], line["product"]),
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                amount=line["unit_price"] * line["quantity"],
            )
            for index, order in new.items()
            for line in cleaned[index].lines
        ]
    )
    results: list[tuple[Order, bool]] = []
    for index in range(count):
        if index in new:
            results.append((new[index], True))
        else:
            c = cleaned[index]
            results.append((existing[(c.source, c.external_id)], False))
    return results


def order_create(*, actor: Any, **values: Any) -> tuple[Order, bool]:
    """Record one order (see :func:`order_bulk_create`); returns ``(order, created)``.

    Raises :class:`ValidationFailed` naming the first field that is wrong.
    """
    try:
        return order_bulk_create(actor=actor, items=[values])[0]
    except OrdersRejected as exc:
        first = exc.errors[0]
        raise ValidationFailed(first.message, field=first.field) from None
