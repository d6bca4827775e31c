"""Writes for orders: clean input, scoped, all-or-nothing, idempotent, in bulk.

The caller hands over clean values (:class:`OrderInput`, built by the API's
declared input schema in ``commerce/api/serializers.py`` or by the import,
both through :mod:`guanxi.core.values`); what is left to check here needs the
database: that the customer is in the actor's scope, that an order id is not
someone else's, that a product exists. An order is known by ``(source,
external_id)``: recording the same order again returns the one already stored,
unchanged, so a client may retry safely.

A bulk of orders costs a fixed number of queries whatever its size: the
customers in one query, the orders already recorded in one, the products in
one, then the new products, the orders and their lines written in one
transaction through the same bulk writers the import and the demo use
(:mod:`guanxi.commerce.bulk`: many rows per statement on SQLite, ``COPY`` on
PostgreSQL), so the tables have one write path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.access.policies import policy_for
from guanxi.audit.services import durable_events
from guanxi.commerce.bulk import (
    ORDER_VALUES,
    OrderBulkWriter,
    OrderLineBulkWriter,
    order_highest_id,
    order_indexes,
    order_line_indexes,
    order_purchases_refresh,
    order_revision_bump,
    order_revision_compact,
    order_status_bulk_update,
    order_tables_settle,
    orders_exist,
    orders_recorded,
    products_ensure,
)
from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.commerce.signals import purchases_recorded, purchases_written
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.values import line_total
from guanxi.coupons.services import CouponRedeemer
from guanxi.customers.selectors import customer_scope
from guanxi.customers.services import scope_conflict, scope_conflict_gate

__all__ = [
    "BULK_LIMIT",
    "DEFAULT_SOURCE",
    "ORDER_VALUES",
    "ItemError",
    "LineInput",
    "OrderBulkWriter",
    "OrderInput",
    "OrderLineBulkWriter",
    "OrdersRejected",
    "order_bulk_create",
    "order_create",
    "order_highest_id",
    "order_indexes",
    "order_line_indexes",
    "order_purchases_refresh",
    "order_revision_bump",
    "order_revision_compact",
    "order_status_bulk_update",
    "order_tables_settle",
    "order_write_check",
    "orders_exist",
    "orders_pseudonymise",
    "orders_recorded",
    "products_ensure",
    "purchases_recorded",
    "purchases_written",
]

#: The most orders one bulk request may hold.
BULK_LIMIT = 1000
DEFAULT_SOURCE = "api"


@dataclass(frozen=True, slots=True)
class LineInput:
    """One clean order line (``quantity × unit_price`` fits the amount column)."""

    sku: str
    quantity: int
    unit_price: Decimal
    name: str = ""


@dataclass(frozen=True, slots=True)
class OrderInput:
    """One clean order, as :mod:`guanxi.core.values` accepts its values."""

    external_id: str
    customer_id: int
    ordered_at: dt.datetime
    amount: Decimal
    source: str = DEFAULT_SOURCE
    currency: str = "CNY"
    store: str = ""
    channel: str = ""
    status: str = OrderStatus.PAID
    lines: tuple[LineInput, ...] = ()
    #: A coupon code (stored form) redeemed with the order, or "".
    coupon: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.external_id)


@dataclass(frozen=True)
class ItemError:
    """One problem with one item of a request: where it is and what is wrong."""

    index: int | None
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


def order_write_check(*, actor: Any) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may record orders.

    Edges call it before they validate, so a role that may not write learns
    nothing more than that.
    """
    if not policy_for(actor).may_write_orders:
        raise PermissionDenied(_("your role may not record orders"))


def _in_scope(*, actor: Any, customer_ids: set[int]) -> set[int]:
    """Which of ``customer_ids`` are customers in ``actor``'s scope (one query)."""
    if not customer_ids:
        return set()
    return set(
        customer_scope(actor=actor)
        .filter(pk__in=sorted(customer_ids))
        .order_by()
        .values_list("pk", flat=True)
    )


def _recorded(keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """``(order id, customer id)`` of the orders already recorded under ``keys``.

    Unscoped on purpose: an id taken by someone else's customer must be refused
    too. Its customer then goes through the same scope as every other
    (:func:`_in_scope`, ``customer_scope``), and an order outside it is
    answered as "taken", never shown.
    """
    if not keys:
        return {}
    # Both columns, so the lookup walks the unique (source, external_id) index
    # instead of every order (10 million in a large database).
    rows = (
        Order.objects.filter(
            source__in=sorted({source for source, _external_id in keys}),
            external_id__in=sorted({external_id for _source, external_id in keys}),
        )
        .order_by()
        .values_list("source", "external_id", "pk", "customer_id")
    )
    return {
        (source, external_id): (pk, customer_id)
        for source, external_id, pk, customer_id in rows
        if (source, external_id) in keys
    }


def _products(
    new: dict[int, OrderInput], errors: list[ItemError]
) -> dict[str, Product]:
    """The products the new lines name (one query); unknown SKUs need a name and
    become new, unsaved products."""
    skus = sorted({line.sku for order in new.values() for line in order.lines})
    known = {p.sku: p for p in Product.objects.filter(sku__in=skus)} if skus else {}
    for index, order in new.items():
        for n, line in enumerate(order.lines):
            if line.sku in known:
                continue
            if not line.name:
                errors.append(
                    ItemError(
                        index,
                        f"lines[{n}].sku",
                        _("unknown product (give a name to create it)"),
                    )
                )
                continue
            known[line.sku] = Product(sku=line.sku, name=line.name)
    return known


def _line_totals(new: dict[int, OrderInput], errors: list[ItemError]) -> None:
    # The schema checked these already; a caller that built OrderInput by
    # hand gets the same rule (and message) before anything is written.
    for index, order in new.items():
        for n, line in enumerate(order.lines):
            try:
                line_total(line.quantity, line.unit_price)
            except ValidationFailed as exc:
                errors.append(ItemError(index, f"lines[{n}]", exc.message))


_ORDER_HELD = gettext_noop(
    "This order number cannot be saved; an administrator has been asked to resolve it."
)


@durable_events
@transaction.atomic
def order_bulk_create(
    *, actor: Any, orders: Sequence[OrderInput | None]
) -> list[tuple[Order, bool]]:
    """Record many orders at once: all of them, or none with every problem listed.

    Returns ``(order, created)`` per item, in order. An item whose
    ``(source, external_id)`` is already recorded for a customer in scope comes
    back unchanged (with its lines) and ``created=False``. ``None`` stands for
    an item the caller already refused: the others are still checked, so that
    one answer lists every problem, and nothing is written.
    """
    order_write_check(actor=actor)
    if len(orders) > BULK_LIMIT:
        raise ValidationFailed(
            _("too many orders in one request (at most %(n)d)") % {"n": BULK_LIMIT},
            field="orders",
        )
    errors: list[ItemError] = []
    first_seen: dict[tuple[str, str], int] = {}
    valid: dict[int, OrderInput] = {}
    for index, order in enumerate(orders):
        if order is None:
            continue
        if order.key in first_seen:
            errors.append(
                ItemError(
                    index,
                    "external_id",
                    _("this order appears more than once (first at item %(i)d)")
                    % {"i": first_seen[order.key]},
                )
            )
            continue
        first_seen[order.key] = index
        valid[index] = order
    recorded = _recorded(set(first_seen))
    visible = _in_scope(
        actor=actor,
        customer_ids={o.customer_id for o in valid.values()}
        | {customer_id for _pk, customer_id in recorded.values()},
    )
    new: dict[int, OrderInput] = {}
    # An order number another manager's customer holds is answered neither
    # "taken" nor with the order: counted, logged for an administrator, and
    # past the hour's limit every order write waits (else a number that
    # exists would be told from one that does not by whether it saves).
    scope_conflict_gate(actor=actor)
    for index, order in valid.items():
        stored = recorded.get(order.key)
        if stored is not None:
            if stored[1] not in visible:
                scope_conflict(
                    actor=actor,
                    what="order_id",
                    object_type="order",
                    object_id=stored[0],
                )
                errors.append(ItemError(index, "external_id", _(_ORDER_HELD)))
        elif order.customer_id not in visible:
            errors.append(ItemError(index, "customer", _("unknown customer")))
        else:
            new[index] = order
    _line_totals(new, errors)
    products = _products(new, errors)
    coupons = _coupons(new, errors)
    if errors or len(valid) + len(errors) < len(orders):
        raise OrdersRejected(sorted(errors, key=lambda e: e.index or 0))
    return _write(orders, new, recorded, products, coupons)


def _coupons(
    new: dict[int, OrderInput], errors: list[ItemError]
) -> CouponRedeemer | None:
    """The checked coupons of the new orders (one query), their problems as
    errors of the field ``coupon``."""
    coded = {index: o for index, o in new.items() if o.coupon}
    if not coded:
        return None
    redeemer = CouponRedeemer()
    redeemer.load(o.coupon for o in coded.values())
    for index, order in coded.items():
        problem = redeemer.refusal(
            order.coupon,
            customer_id=order.customer_id,
            amount=order.amount,
            ordered_at=order.ordered_at,
            key=index,
            label=index,
            repeated=_("this coupon is already used by item %(at)s"),
        )
        if problem is not None:
            errors.append(ItemError(index, "coupon", problem))
    return redeemer


def _write(
    orders: Sequence[OrderInput | None],
    new: dict[int, OrderInput],
    recorded: dict[tuple[str, str], tuple[int, int]],
    products: dict[str, Product],
    coupons: CouponRedeemer | None = None,
) -> list[tuple[Order, bool]]:
    now = timezone.now()
    try:
        with transaction.atomic():
            _products_create(products)
            ids = dict(
                zip(
                    new,
                    _orders_insert(list(new.values()), products, now=now),
                    strict=True,
                )
            )
            if coupons is not None:
                coupons.write(ids)
            order_purchases_refresh(
                customer_ids={order.customer_id for order in new.values()}
            )
    except IntegrityError:
        # Another request recorded one of these orders a moment ago; a retry
        # then gets the stored orders back.
        raise ValidationFailed(
            _("some of these orders were recorded at the same time; please retry")
        ) from None
    made = {
        index: _answer(o, pk=ids[index], now=now, products=products)
        for index, o in new.items()
    }
    stored = _stored_orders([pk for pk, _customer in recorded.values()])
    results: list[tuple[Order, bool]] = []
    for index, item in enumerate(orders):
        assert item is not None
        if index in made:
            results.append((made[index], True))
        else:
            results.append((stored[recorded[item.key][0]], False))
    return results


def _products_create(products: dict[str, Product]) -> None:
    """Record the products of ``products`` not yet saved, and put the stored ones
    in their place (a product recorded meanwhile keeps its own name)."""
    unsaved = {sku: (p.name, "") for sku, p in products.items() if p.pk is None}
    if not unsaved:
        return
    products_ensure(products=unsaved)
    products.update({p.sku: p for p in Product.objects.filter(sku__in=list(unsaved))})


def _orders_insert(
    new: list[OrderInput], products: dict[str, Product], *, now: dt.datetime
) -> list[int]:
    """Write the new orders and their lines through the bulk writers (the
    import's and the demo's), in the caller's transaction; their ids, in order.

    The ids are reserved first (PostgreSQL: the id sequence; SQLite: this
    transaction holds the write lock), so lines point at their orders without
    reading the orders back.
    """
    if not new:
        return []
    writer = OrderBulkWriter()
    ids = writer.reserve(len(new))
    by_source: dict[str, list[int]] = {}
    for n, order in enumerate(new):
        by_source.setdefault(order.source, []).append(n)
    for source, positions in by_source.items():
        writer.insert(
            source=source,
            orders=[
                (
                    o.external_id,
                    o.customer_id,
                    o.ordered_at,
                    o.amount,
                    o.currency,
                    o.status,
                    o.store,
                    o.channel,
                )
                for o in (new[n] for n in positions)
            ],
            now=now,
            pks=[ids[n] for n in positions],
        )
    OrderLineBulkWriter().insert(
        (
            (
                pk,
                products[line.sku].pk,
                line.quantity,
                line.unit_price,
                line.unit_price * line.quantity,
            )
            for pk, o in zip(ids, new, strict=True)
            for line in o.lines
        ),
        revised=True,
    )
    return ids


# Instances are built as a read builds them (Model.from_db, all columns in the
# table's order): half the CPU of keyword arguments, which a bulk answer of
# 1,000 orders and their lines pays 2,000 times.
_ORDER_FIELDS = tuple(f.attname for f in Order._meta.concrete_fields)
_LINE_FIELDS = tuple(f.attname for f in OrderLine._meta.concrete_fields)
_LINE_PRODUCT = OrderLine._meta.get_field("product")
_LINE_ORDER = OrderLine._meta.get_field("order")


def _answer(
    o: OrderInput, *, pk: int, now: dt.datetime, products: dict[str, Product]
) -> Order:
    """The order just written, with its lines, as a read would give it."""
    db = Order.objects.db
    values = {
        "id": pk,
        "source": o.source,
        "external_id": o.external_id,
        "customer_id": o.customer_id,
        "ordered_at": o.ordered_at,
        "amount": o.amount,
        "currency": o.currency,
        "store": o.store,
        "channel": o.channel,
        "status": o.status,
        "created_at": now,
    }
    order = Order.from_db(db, _ORDER_FIELDS, [values[name] for name in _ORDER_FIELDS])
    lines = []
    for line in o.lines:
        product = products[line.sku]
        written = {
            "id": None,  # not read back: the answer does not show it
            "order_id": pk,
            "product_id": product.pk,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "amount": line.unit_price * line.quantity,
        }
        made = OrderLine.from_db(db, _LINE_FIELDS, [written[n] for n in _LINE_FIELDS])
        _LINE_PRODUCT.set_cached_value(made, product)
        _LINE_ORDER.set_cached_value(made, order)
        lines.append(made)
    # The lines are known: answer with them without reading them back.
    order._prefetched_objects_cache = {"lines": _Lines(lines)}  # type: ignore[attr-defined]
    return order


class _Lines(list[OrderLine]):
    """The lines of a just-written order, standing in for ``order.lines.all()``."""

    def all(self) -> _Lines:
        return self


def _stored_orders(pks: list[int]) -> dict[int, Order]:
    if not pks:
        return {}
    return {
        o.pk: o
        for o in Order.objects.filter(pk__in=pks).prefetch_related("lines__product")
    }


def order_create(*, actor: Any, order: OrderInput) -> tuple[Order, bool]:
    """Record one order (see :func:`order_bulk_create`); returns ``(order, created)``.

    Raises :class:`ValidationFailed` naming the first field that is wrong.
    """
    try:
        return order_bulk_create(actor=actor, orders=[order])[0]
    except OrdersRejected as exc:
        first = exc.errors[0]
        raise ValidationFailed(first.message, field=first.field) from None


@transaction.atomic
def orders_pseudonymise(customer_id: int, tombstone_id: int) -> int:
    """Move the customer's orders to ``tombstone_id`` (data-subject erasure):
    the orders, their lines and amounts stay for the books, linked to a
    customer with no name, phone or address. The number of orders moved."""
    moved = Order.objects.filter(customer_id=customer_id).update(
        customer_id=tombstone_id
    )
    if moved:
        order_revision_bump()
    return moved
