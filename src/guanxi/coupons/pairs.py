"""Co-purchase pairs ("customers who bought A also bought B"), computed in the
database over the order lines.

Each customer counts once per product (however often they bought it);
cancelled and refunded orders do not count. For products A and B, with N the
customers who bought anything, n(A) the buyers of A and n(AB) the buyers of
both:

- support = n(AB) / N
- confidence(A → B) = n(AB) / n(A)
- lift(A → B) = confidence / (n(B) / N)

One ``INSERT … SELECT`` does the work inside the database (SQLite or
PostgreSQL), so memory here stays flat whatever the number of orders; the
pairs replace the previous computation in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from guanxi.commerce.selectors import purchase_line_rows
from guanxi.coupons.models import ProductPair

__all__ = ["PairsComputed", "product_pairs_compute"]

#: Fewer customers than this who bought both make no pair (noise).
MIN_TOGETHER = 3


@dataclass(frozen=True)
class PairsComputed:
    pairs: int
    customers: int
    seconds: float


def product_pairs_compute(
    *, min_together: int = MIN_TOGETHER, now: dt.datetime | None = None
) -> PairsComputed:
    """Compute every product pair bought together by at least
    ``min_together`` customers, replacing the pairs stored before."""
    started = timezone.now()
    moment = now or started
    buys_sql, buys_params = (
        purchase_line_rows()
        .values_list("order__customer_id", "product_id")
        .order_by()
        .distinct()
        .query.sql_with_params()
    )
    table = ProductPair._meta.db_table
    sql = f"""
        WITH buys (c, p) AS ({buys_sql}),
        total AS (SELECT COUNT(DISTINCT c) AS n FROM buys),
        counts AS (
            SELECT p, COUNT(*) AS n FROM buys GROUP BY p HAVING COUNT(*) >= %s
        ),
        pairs AS (
            SELECT a.p AS x, b.p AS y, COUNT(*) AS n
            FROM buys a JOIN buys b ON a.c = b.c AND a.p <> b.p
            WHERE a.p IN (SELECT p FROM counts) AND b.p IN (SELECT p FROM counts)
            GROUP BY a.p, b.p
            HAVING COUNT(*) >= %s
        )
        INSERT INTO {table}
            (antecedent_id, consequent_id, together, support, confidence, lift,
             computed_at)
        SELECT pairs.x, pairs.y, pairs.n,
            1.0 * pairs.n / total.n,
            1.0 * pairs.n / cx.n,
            (1.0 * pairs.n / cx.n) / (1.0 * cy.n / total.n),
            %s
        FROM pairs
        JOIN counts cx ON cx.p = pairs.x
        JOIN counts cy ON cy.p = pairs.y
        CROSS JOIN total
    """
    with transaction.atomic():
        ProductPair.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(sql, [*buys_params, min_together, min_together, moment])
        # SQLite reports no row count for an INSERT with a WITH clause.
        made = ProductPair.objects.count()
        customers = (
            purchase_line_rows()
            .values("order__customer_id")
            .order_by()
            .distinct()
            .count()
        )
    seconds = (timezone.now() - started).total_seconds()
    return PairsComputed(pairs=made, customers=customers, seconds=seconds)
