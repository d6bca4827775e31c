"""The orders' revision with writers at the same moment (real threads, each
with its own connection): a writer of orders never waits for another
writer's open transaction because of it, and a writer's raise is never lost,
whatever the others do meanwhile."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from tests.transactions import at_once, no_lock_waits, open_transaction

from guanxi.commerce.admin import OrderAdmin
from guanxi.commerce.bulk import BUMPS_PER_COMPACTION
from guanxi.commerce.models import Order, OrdersRevisionBump
from guanxi.commerce.selectors import order_revision
from guanxi.commerce.services import (
    LineInput,
    OrderBulkWriter,
    OrderInput,
    OrderLineBulkWriter,
    order_create,
    order_revision_bump,
    order_revision_compact,
    order_status_bulk_update,
    orders_pseudonymise,
    products_ensure,
)

pytestmark = pytest.mark.django_db(transaction=True)

WHEN = dt.datetime(2026, 10, 3, 4, 0, tzinfo=dt.UTC)


def _import_like(customer_id: int) -> Callable[[], None]:
    """What an import writes in its transaction: new orders, their lines and
    a status change, through the import's bulk writers."""

    def write() -> None:
        product = products_ensure(products={"IMP-1": ("铁观音", "")})["IMP-1"]
        writer = OrderBulkWriter()
        pks = writer.reserve(2)
        orders = [
            (f"IMP-{n}", customer_id, WHEN, Decimal("30.00"), "", "", "", "")
            for n in (1, 2)
        ]
        writer.insert(source="import", orders=orders, now=WHEN, pks=pks)
        OrderLineBulkWriter().insert(
            [(pk, product, 1, Decimal("30.00"), Decimal("30.00")) for pk in pks]
        )
        order_status_bulk_update(changes=[(pks[1], "cancelled")])

    return write


def _order(
    actor: Any, external_id: str, customer_id: int, with_line: bool = False
) -> int:
    """An order written through the API's service; its id."""
    line = LineInput("API-TEA", 1, Decimal("12.00"), name="龙井")
    order = OrderInput(
        external_id=external_id,
        customer_id=customer_id,
        ordered_at=WHEN,
        amount=Decimal("12.00"),
        lines=(line,) if with_line else (),
    )
    return order_create(actor=actor, order=order)[0].pk


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer in at a time, whatever the tables",
)
def test_writers_of_orders_do_not_wait_for_an_open_import(
    users: dict[str, Any], make_customer: Any
) -> None:
    importer, buyer, erased, tombstone = (make_customer() for _ in range(4))
    kept = _order(users["admin"], "K-1", buyer.pk)
    gone = _order(users["admin"], "G-1", erased.pk)
    before = order_revision()
    with open_transaction(_import_like(importer.pk)):
        # Every kind of writer of orders, each in its own transaction, while
        # the import's transaction is open: an order through the API's
        # service, a status change, an erasure moving orders, an edit and a
        # deletion in the admin.
        with no_lock_waits():
            _order(users["admin"], "API-1", buyer.pk, with_line=True)
        with no_lock_waits():
            order_status_bulk_update(changes=[(kept, "refunded")])
        with no_lock_waits():
            assert orders_pseudonymise(erased.pk, tombstone.pk) == 1
        edited = Order.objects.get(pk=kept)
        edited.store = "西湖店"
        with no_lock_waits():
            OrderAdmin(Order, admin.site).save_model(None, edited, None, True)
        with no_lock_waits():
            OrderAdmin(Order, admin.site).delete_queryset(
                None, Order.objects.filter(pk=gone)
            )
        # The import's raises are not seen before it commits; a compaction
        # does not wait for it either, nor lose its raises.
        assert order_revision() == before + 5
        with no_lock_waits():
            order_revision_compact()
        assert order_revision() == before + 5
    # The import's three writes (orders, lines, a status change) and the
    # five others: each raised it once.
    assert order_revision() == before + 8
    assert sorted(Order.objects.values_list("external_id", "status", "store")) == [
        ("API-1", "paid", ""),
        ("IMP-1", "paid", ""),
        ("IMP-2", "cancelled", ""),
        ("K-1", "refunded", "西湖店"),
    ]


def test_bumps_of_a_write_open_during_a_compaction_count_after_its_commit(
    make_customer: Any,
) -> None:
    """The import's bumps are written before the compaction runs and commit
    after it (PostgreSQL; SQLite lets no compaction in while a writer is
    open): the compaction folds the committed bumps only, and the import's
    count once it commits, never lost and never twice."""
    for _ in range(5):
        order_revision_bump()
    before = order_revision()
    with open_transaction(_import_like(make_customer().pk)) as commit:
        if connection.vendor == "postgresql":
            assert order_revision_compact() == 5
            assert order_revision() == before
        commit()
    assert order_revision() == before + 3
    order_revision_compact()
    assert order_revision() == before + 3
    assert not OrdersRevisionBump.objects.exists()


def test_two_compactions_at_once_fold_each_bump_once() -> None:
    for _ in range(40):
        order_revision_bump()
    before = order_revision()
    assert sum(at_once(order_revision_compact)) == 40
    assert order_revision() == before
    assert not OrdersRevisionBump.objects.exists()


def test_the_bumps_stay_few_however_many_writes() -> None:
    """Every thousandth bump compacts once its write has committed (here each
    write is its own transaction): the rows stay under a compaction's worth,
    and the number counts every write."""
    before = order_revision()
    writes = 2 * BUMPS_PER_COMPACTION + 500
    for _ in range(writes):
        order_revision_bump()
    assert order_revision() == before + writes
    assert OrdersRevisionBump.objects.count() <= BUMPS_PER_COMPACTION
