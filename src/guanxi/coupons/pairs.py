"""Co-purchase pairs ("customers who bought A also bought B") from the order
lines, for the customer page's suggestions and the journeys' ``recommend``.

Each customer counts once per product (however often they bought it);
cancelled and refunded orders do not count. For products A and B, with N the
customers who bought anything, n(A) the buyers of A and n(AB) the buyers of
both: support = n(AB) / N, confidence(A → B) = n(AB) / n(A), lift(A → B) =
confidence / (n(B) / N) (:mod:`guanxi.analytics.copurchase` counts them).

The database gives each customer's distinct products; numpy counts the
pairs. On the embedded SQLite (outside a transaction) the order lines and
orders are read as Arrow columns on a connection of their own and joined in
numpy, the lines a range of ids at a time; elsewhere (PostgreSQL, or inside a
transaction) the database groups the lines by customer and product and the
rows are read in batches. The old way, one self-join of the order lines in
SQL, took 259 CPU seconds and 4.2 GB at 16.7 million lines
(docs/benchmarks/score.md).

The revision of the orders (:func:`guanxi.commerce.selectors.order_revision`,
raised by every writer of orders and order lines, and changed by every such
write that commits, even one begun before it was read) is kept with the
pairs: :func:`product_pairs_compute` with ``only_if_changed=True`` (the task
queued after a scoring run) reads it first and does nothing while it is
unchanged. (It once read a checksum of every purchase order instead: 3.7 CPU
seconds at 10 million orders for each check.)
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from guanxi.analytics.copurchase import CoPurchase, buys_from_lines, co_purchase_pairs
from guanxi.commerce.selectors import (
    line_rows,
    order_revision,
    purchase_line_rows,
    purchase_rows,
)
from guanxi.core.arrow import sqlite_arrow_reader
from guanxi.coupons.models import PairsComputation, ProductPair

__all__ = ["PairsComputed", "product_pairs_compute"]

logger = logging.getLogger(__name__)

#: Fewer customers than this who bought both make no pair (noise).
MIN_TOGETHER = 3
#: A customer's pairs are taken among their this many most bought products
#: (order lines): k products make k(k-1)/2 pairs, and one wholesale buyer of
#: 5,000 products would otherwise make 12.5 million.
PRODUCTS_PER_CUSTOMER = 50
#: The best partners kept per product (suggestions read the best first).
PARTNERS_PER_PRODUCT = 100
#: Order lines read at once on the Arrow path (ids in a range).
LINES_PER_READ = 2_000_000
#: Changes when the way pairs are computed changes (then they are again).
_METHOD = "pairs-3"


@dataclass(frozen=True)
class PairsComputed:
    pairs: int
    customers: int
    seconds: float
    #: True when nothing was computed: no purchase changed since the last time.
    unchanged: bool = False


def product_pairs_compute(
    *,
    min_together: int = MIN_TOGETHER,
    per_customer: int = PRODUCTS_PER_CUSTOMER,
    per_product: int = PARTNERS_PER_PRODUCT,
    only_if_changed: bool = False,
    now: dt.datetime | None = None,
) -> PairsComputed:
    """Compute every product pair bought together by at least
    ``min_together`` customers, replacing the pairs stored before; with
    ``only_if_changed``, nothing when no purchase changed since then."""
    started = time.perf_counter()
    moment = now or timezone.now()
    # Read before the orders: an order added meanwhile changes the next one.
    fingerprint = (
        f"{_METHOD}:{min_together}:{per_customer}:{per_product}:r{order_revision()}"
    )
    last = PairsComputation.objects.filter(pk=1).first()
    if only_if_changed and last is not None and last.fingerprint == fingerprint:
        seconds = time.perf_counter() - started
        logger.info("co-purchase pairs: no purchase changed (%.2f s)", seconds)
        return PairsComputed(
            pairs=last.pairs, customers=last.customers, seconds=seconds, unchanged=True
        )
    customer, product, lines = _buys()
    found = co_purchase_pairs(
        customer,
        product,
        lines,
        min_together=min_together,
        per_customer=per_customer,
        per_product=per_product,
    )
    del customer, product, lines
    with transaction.atomic():
        ProductPair.objects.all().delete()
        ProductPair.objects.bulk_create(_rows(found, moment), batch_size=2000)
        PairsComputation.objects.update_or_create(
            pk=1,
            defaults={
                "fingerprint": fingerprint,
                "customers": found.customers,
                "pairs": len(found),
                "computed_at": moment,
            },
        )
    seconds = time.perf_counter() - started
    logger.info(
        "co-purchase pairs: %d pairs from %d customers in %.2f s",
        len(found),
        found.customers,
        seconds,
    )
    return PairsComputed(pairs=len(found), customers=found.customers, seconds=seconds)


def _buys() -> tuple[Any, Any, Any]:
    """``(customer, product, lines)`` arrays: each customer's distinct
    purchased products with their number of order lines."""
    with sqlite_arrow_reader() as read:
        if read is not None:
            return buys_from_lines(_arrow_lines(read))
    sql, params = (
        purchase_line_rows()
        .values_list("order__customer_id", "product_id")
        .order_by()
        .annotate(lines=Count("id"))
        .query.sql_with_params()
    )
    parts: list[np.ndarray[Any, Any]] = []
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(100_000):
            parts.append(np.array(rows, dtype=np.int64).reshape(-1, 3))
    table = np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.int64)
    return table[:, 0], table[:, 1], table[:, 2]


def _arrow_lines(read: Any) -> Iterator[tuple[Any, Any]]:
    """``(customer, product)`` of every purchase's order line, a range of
    line ids at a time: the purchase orders' customers in an array indexed by
    order id (-1: not a purchase), each range of lines looked up in it."""
    sql, params = (
        purchase_rows().order_by().values_list("id", "customer_id").query
    ).sql_with_params()
    orders = read(sql, params)
    ids = orders.column(0).to_numpy()
    if not len(ids):
        return
    customer_of = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    customer_of[ids] = orders.column(1).to_numpy()
    del orders, ids
    top_sql, top_params = (
        line_rows().order_by().values_list("id").query.sql_with_params()
    )
    top = read(f"SELECT MAX(l.id) FROM ({top_sql}) l", top_params).column(0)[0]
    highest = int(top.as_py() or 0)
    for start in range(0, highest, LINES_PER_READ):
        sql, params = (
            line_rows()
            .filter(id__gt=start, id__lte=start + LINES_PER_READ)
            .order_by()
            .values_list("order_id", "product_id")
            .query.sql_with_params()
        )
        lines = read(sql, params)
        order = lines.column(0).to_numpy()
        product = lines.column(1).to_numpy()
        known = order < len(customer_of)
        customer = np.full(len(order), -1, dtype=np.int64)
        customer[known] = customer_of[order[known]]
        bought = customer >= 0
        yield customer[bought], product[bought]


def _rows(found: CoPurchase, moment: dt.datetime) -> Iterator[ProductPair]:
    for a, b, n, support, confidence, lift in zip(
        found.antecedent.tolist(),
        found.consequent.tolist(),
        found.together.tolist(),
        found.support.tolist(),
        found.confidence.tolist(),
        found.lift.tolist(),
        strict=True,
    ):
        yield ProductPair(
            antecedent_id=a,
            consequent_id=b,
            together=n,
            support=support,
            confidence=confidence,
            lift=lift,
            computed_at=moment,
        )
