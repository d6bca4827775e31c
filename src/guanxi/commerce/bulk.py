"""Fast writes into the commerce app's tables: many orders, order lines and
products at once (imports, the demo, bulk API calls).

Values arrive clean: amounts as ``Decimal`` (or their text), moments as aware
datetimes or naive UTC text (see :func:`guanxi.core.bulk.utc_text`). Rows go
in as tuples through :class:`guanxi.core.bulk.RowWriter`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any

from django.db import transaction
from django.db.models import F

from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import (
    Order,
    OrderLine,
    OrdersRevision,
    OrdersRevisionBump,
    Product,
)
from guanxi.commerce.selectors import PURCHASE_STATUSES
from guanxi.commerce.signals import purchases_recorded, purchases_written
from guanxi.core.bulk import (
    RowWriter,
    SecondaryIndexes,
    datetime_adapter,
    highest_id,
    sequences_move_past,
)
from guanxi.customers.services import customer_purchases_refresh

__all__ = [
    "BUMPS_PER_COMPACTION",
    "ORDER_VALUES",
    "OrderBulkWriter",
    "OrderLineBulkWriter",
    "order_highest_id",
    "order_indexes",
    "order_line_indexes",
    "order_purchases_refresh",
    "order_revision_bump",
    "order_revision_compact",
    "order_status_bulk_update",
    "order_tables_settle",
    "orders_exist",
    "orders_recorded",
    "products_ensure",
]

#: A bump of the orders' revision whose id is a multiple of this compacts the
#: bumps after its commit: about this many rows at most (ids lost to rolled
#: back writes can skip a compaction until the next multiple).
BUMPS_PER_COMPACTION = 1000

#: An order's values besides its ids and customer, in this order.
ORDER_VALUES = ("ordered_at", "amount", "currency", "status", "store", "channel")

_ORDER_COLUMNS = (
    "source",
    "external_id",
    "customer",
    "ordered_at",
    "amount",
    "currency",
    "status",
    "store",
    "channel",
    "created_at",
)
_LINE_COLUMNS = ("order", "product", "quantity", "unit_price", "amount")


class OrderBulkWriter:
    """Inserts new orders given as ``(external_id, customer pk, ordered_at,
    amount, currency, status, store, channel)``; blank currency, status, store
    and channel get the defaults (CNY, paid, none)."""

    def __init__(self) -> None:
        self.writer = RowWriter(Order, _ORDER_COLUMNS)

    def reserve(self, count: int) -> list[int]:
        """Primary keys for ``count`` new orders (nobody else will use them)."""
        return self.writer.reserve(count)

    def ids_after_highest(self, count: int) -> list[int]:
        """``count`` ids above the highest order's (see
        :meth:`RowWriter.ids_after_highest`; then :func:`order_tables_settle`)."""
        return self.writer.ids_after_highest(count)

    def insert(
        self,
        *,
        source: str,
        orders: Iterable[tuple[Any, ...]],
        now: dt.datetime,
        pks: Sequence[int] | None = None,
    ) -> None:
        adapt = datetime_adapter()
        created = adapt(now)
        paid = OrderStatus.PAID
        rows = [
            (
                source,
                external_id,
                customer,
                adapt(ordered_at),
                amount,
                currency or "CNY",
                status or paid,
                store or "",
                channel or "",
                created,
            )
            for (
                external_id,
                customer,
                ordered_at,
                amount,
                currency,
                status,
                store,
                channel,
            ) in orders
        ]
        if not rows:
            return
        order_revision_bump()
        if pks is None:
            self.writer.insert(rows)
        else:
            self.writer.insert(
                [(pk, *row) for pk, row in zip(pks, rows, strict=True)], with_pk=True
            )


class OrderLineBulkWriter:
    """Inserts order lines given as ``(order pk, product pk, quantity,
    unit price, amount)``."""

    def __init__(self) -> None:
        self.writer = RowWriter(OrderLine, _LINE_COLUMNS)

    def insert(
        self,
        lines: Iterable[tuple[Any, ...]],
        *,
        pks: Sequence[int] | None = None,
        revised: bool = False,
    ) -> None:
        """``revised``: the lines' orders were written by this transaction,
        which raised the orders' revision then (one query less per request)."""
        rows = iter(
            lines
            if pks is None
            else [(pk, *line) for pk, line in zip(pks, lines, strict=True)]
        )
        first = next(rows, None)
        if first is None:
            return
        if not revised:
            order_revision_bump()
        self.writer.insert(chain((first,), rows), with_pk=pks is not None)


def products_ensure(*, products: Mapping[str, tuple[str, str]]) -> dict[str, int]:
    """Primary keys of the products with these SKUs; the missing ones are
    created from ``{sku: (name, category)}`` (recorded ones are left as they
    are)."""
    skus = sorted(products)
    found: dict[str, int] = {}
    for chunk in _chunks(skus, 500):
        found.update(Product.objects.filter(sku__in=chunk).values_list("sku", "pk"))
    missing = [
        Product(sku=sku, name=name[:200], category=category[:64])
        for sku, (name, category) in products.items()
        if sku not in found
    ]
    if missing:
        Product.objects.bulk_create(missing, batch_size=2000, ignore_conflicts=True)
        for chunk in _chunks([p.sku for p in missing], 500):
            found.update(Product.objects.filter(sku__in=chunk).values_list("sku", "pk"))
    return found


def order_status_bulk_update(*, changes: Iterable[tuple[int, str]]) -> None:
    """Set the status of recorded orders: ``(order pk, status)``."""
    changed = 0
    for pk, status in changes:
        changed += Order.objects.filter(pk=pk).update(status=status)
    if changed:
        order_revision_bump()


def order_revision_bump() -> None:
    """Raise the orders' revision, in the caller's transaction: every write of
    orders or order lines calls it. It adds one row
    (:class:`OrdersRevisionBump`), which counts once the write commits and
    never if it rolls back. Writers only insert, so none waits for another
    (an update of one shared row kept it locked until the writer committed:
    on PostgreSQL every writer of orders waited for an open import; decision
    0009). Every :data:`BUMPS_PER_COMPACTION`-th bump folds the bumps into
    the revision's row once its transaction has committed."""
    bump = OrdersRevisionBump.objects.create()
    if bump.pk % BUMPS_PER_COMPACTION == 0:
        transaction.on_commit(order_revision_compact, robust=True)


def order_revision_compact() -> int:
    """Fold the committed bumps into the revision's row (:class:`OrdersRevision`)
    in one transaction, so the number every reader sees stays the same; the
    number of bumps folded. A writer's bump not yet committed is not seen
    and stays for the next compaction.

    Call it outside a transaction: the revision's row stays locked until the
    caller commits (another compaction waits for it; writers of orders never
    touch that row)."""
    with transaction.atomic():
        folded, _by_model = OrdersRevisionBump.objects.all().delete()
        if folded:
            # The row is missing in a database emptied by hand or by a test.
            OrdersRevision.objects.bulk_create(
                [OrdersRevision(pk=1, revision=0)], ignore_conflicts=True
            )
            OrdersRevision.objects.filter(pk=1).update(revision=F("revision") + folded)
    return folded


def order_purchases_refresh(
    *, customer_ids: Iterable[int] | range | None = None, announce: bool = True
) -> None:
    """Bring the customers' kept purchase aggregates (total spend, orders,
    first and last purchase) in line with their orders, in the caller's
    transaction: every writer of orders calls it with the customers it
    touched (None: everyone, for repair). A purchase is an order whose
    status is in :data:`~guanxi.commerce.selectors.PURCHASE_STATUSES`, as the
    analytics count them.

    ``announce=False`` (the demo's made-up history) tells no one: no journey,
    warning or survey reacts to orders that never happened."""
    customer_purchases_refresh(
        orders_table=str(Order._meta.db_table),
        statuses=PURCHASE_STATUSES,
        customer_ids=customer_ids,
    )
    ids = None if customer_ids is None else set(customer_ids)
    if announce and (ids is None or ids):
        # In the transaction: the journeys record the work to do (so it is
        # committed with the orders, or not at all).
        purchases_recorded.send(sender=None, customer_ids=ids)
        # After the commit, once per write: care checks who came back.
        transaction.on_commit(
            lambda: purchases_written.send(sender=None, customer_ids=ids), robust=True
        )


def orders_recorded(
    *, source: str, external_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """The recorded orders of ``source`` among these ids: ``pk``,
    ``external_id``, ``customer_id`` and :data:`ORDER_VALUES` by id."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(external_ids)), 500):
        rows = Order.objects.filter(source=source, external_id__in=chunk).values(
            "pk", "external_id", "customer_id", *ORDER_VALUES
        )
        for row in rows:
            found[row["external_id"]] = row
    return found


def orders_exist(*, source: str) -> bool:
    return Order.objects.filter(source=source).exists()


def order_highest_id() -> int:
    return highest_id(Order)


def order_indexes() -> SecondaryIndexes:
    """The orders table's secondary indexes, to build once after a large
    insert (see :class:`SecondaryIndexes`)."""
    return SecondaryIndexes(Order)


def order_line_indexes() -> SecondaryIndexes:
    return SecondaryIndexes(OrderLine)


def order_tables_settle() -> None:
    """After orders were written under ids of the writer's choosing: move the
    id sequences past them and refresh the planner's statistics."""
    sequences_move_past([Product, Order, OrderLine])


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
