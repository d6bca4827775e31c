"""The orders' revision: every writer of orders and order lines raises it in
the transaction of its write (what depends on the orders as a whole, the
co-purchase pairs, reads it instead of the orders), and nothing else does;
compacting its bumps never changes it. (Writers at the same moment:
test_revision_concurrency.py.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from guanxi.commerce.bulk import BUMPS_PER_COMPACTION
from guanxi.commerce.models import (
    Order,
    OrderLine,
    OrdersRevision,
    OrdersRevisionBump,
    Product,
)
from guanxi.commerce.selectors import order_revision
from guanxi.commerce.services import (
    LineInput,
    OrderBulkWriter,
    OrderInput,
    OrderLineBulkWriter,
    order_bulk_create,
    order_create,
    order_revision_bump,
    order_revision_compact,
    order_status_bulk_update,
    orders_pseudonymise,
)
from guanxi.ingest.readers import open_table
from guanxi.ingest.services import import_run

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 10, 3, 4, 0, tzinfo=dt.UTC)


def _raised(write: Any) -> int:
    """By how much ``write()`` raised the orders' revision."""
    before = order_revision()
    write()
    return order_revision() - before


def _order(customer: Any, external_id: str = "A-1") -> Order:
    return Order.objects.create(
        source="pos",
        external_id=external_id,
        customer=customer,
        ordered_at=WHEN,
        amount=Decimal("10.00"),
    )


def test_the_bulk_writers_raise_it_once_per_write_and_not_for_nothing(
    make_customer: Any,
) -> None:
    who = make_customer().pk
    tea = Product.objects.create(sku="TEA-1", name="龙井").pk
    writer = OrderBulkWriter()
    row = ("A-1", who, WHEN, Decimal("10.00"), "", "", "", "")
    assert _raised(lambda: writer.insert(source="pos", orders=[row], now=WHEN)) == 1
    assert _raised(lambda: writer.insert(source="pos", orders=[], now=WHEN)) == 0
    order = Order.objects.get().pk
    lines = OrderLineBulkWriter()
    line = (order, tea, 1, Decimal("10.00"), Decimal("10.00"))
    assert _raised(lambda: lines.insert([line, line])) == 1
    assert _raised(lambda: lines.insert(iter([]))) == 0
    assert _raised(lambda: lines.insert([line], pks=[900])) == 1
    assert _raised(lambda: lines.insert([line], revised=True)) == 0
    assert OrderLine.objects.count() == 4


def test_a_status_change_raises_it_and_no_change_does_not(make_customer: Any) -> None:
    order = _order(make_customer()).pk
    assert (
        _raised(lambda: order_status_bulk_update(changes=[(order, "cancelled")])) == 1
    )
    assert Order.objects.get().status == "cancelled"
    assert _raised(lambda: order_status_bulk_update(changes=[])) == 0
    assert _raised(lambda: order_status_bulk_update(changes=[(order + 9, "paid")])) == 0


def test_an_erasure_moving_orders_raises_it(make_customer: Any) -> None:
    person, tombstone = make_customer(), make_customer(name="已删除")
    _order(person)
    assert _raised(lambda: orders_pseudonymise(person.pk, tombstone.pk)) == 1
    assert Order.objects.get().customer_id == tombstone.pk
    # Nothing to move: nothing changed.
    assert _raised(lambda: orders_pseudonymise(person.pk, tombstone.pk)) == 0


def test_orders_written_by_the_api_services_raise_it(
    users: dict[str, Any], make_customer: Any
) -> None:
    who = make_customer().pk
    one = OrderInput(
        external_id="E-1",
        customer_id=who,
        ordered_at=WHEN,
        amount=Decimal("99.00"),
        lines=(LineInput("TEA-1", 1, Decimal("99.00"), name="龙井"),),
    )
    # One order with its line: once (the lines come with their orders).
    assert _raised(lambda: order_create(actor=users["admin"], order=one)) == 1
    assert OrderLine.objects.count() == 1
    # The same order again is recorded already: nothing written.
    assert _raised(lambda: order_create(actor=users["admin"], order=one)) == 0
    two = OrderInput(
        external_id="E-2", customer_id=who, ordered_at=WHEN, amount=Decimal("5.00")
    )
    assert _raised(lambda: order_bulk_create(actor=users["admin"], orders=[two])) == 1


def test_an_import_of_new_and_cancelled_orders_raises_it(
    make_customer: Any, tmp_path: Path
) -> None:
    make_customer(name="张伟", phone="+8613800138000")

    def imported(text: str) -> None:
        path = tmp_path / "orders.csv"
        path.write_text(text, encoding="utf-8")
        table = open_table(path)
        try:
            assert import_run(kind="orders", table=table).ok
        finally:
            table.close()

    head = "订单号,下单时间,金额,状态,手机号\n"
    assert (
        _raised(
            lambda: imported(head + "A-1,2026-10-01 10:00:00,10,paid,13800138000\n")
        )
        >= 1
    )
    assert Order.objects.get().status == "paid"
    cancel = head + "A-1,2026-10-01 10:00:00,10,cancelled,13800138000\n"
    assert _raised(lambda: imported(cancel)) >= 1
    assert Order.objects.get().status == "cancelled"
    # The same file again changes no order: the revision stays.
    assert _raised(lambda: imported(cancel)) == 0


def test_edits_and_deletions_in_the_admin_raise_it(
    make_customer: Any, client: Any
) -> None:
    root = get_user_model().objects.create_superuser("root", password="root-pass-7")
    client.force_login(root)
    customer = make_customer()
    order = _order(customer)
    form = {
        "source": "pos",
        "external_id": "A-1",
        "customer": customer.pk,
        "ordered_at_0": "2026-10-03",
        "ordered_at_1": "12:00:00",
        "amount": "12.00",
        "currency": "CNY",
        "store": "",
        "channel": "",
        "status": "refunded",
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    url = f"/admin/commerce/order/{order.pk}/change/"

    def edit() -> None:
        assert client.post(url, form).status_code == 302

    assert _raised(edit) >= 1
    assert Order.objects.get().status == "refunded"
    delete = f"/admin/commerce/order/{order.pk}/delete/"
    assert _raised(lambda: client.post(delete, {"post": "yes"})) >= 1
    assert not Order.objects.exists()
    _order(customer, "A-2")
    _order(customer, "A-3")
    chosen = {
        "action": "delete_selected",
        "post": "yes",
        "_selected_action": list(Order.objects.values_list("pk", flat=True)),
    }
    assert _raised(lambda: client.post("/admin/commerce/order/", chosen)) == 1
    assert not Order.objects.exists()


def test_it_is_raised_in_the_writers_transaction(make_customer: Any) -> None:
    order = _order(make_customer()).pk
    before = order_revision()
    with pytest.raises(RuntimeError), transaction.atomic():
        order_status_bulk_update(changes=[(order, "refunded")])
        assert order_revision() == before + 1
        raise RuntimeError("the write fails after the revision was raised")
    assert (order_revision(), Order.objects.get().status) == (before, "paid")


def test_a_compaction_folds_the_bumps_and_keeps_the_number(
    make_customer: Any,
) -> None:
    order = _order(make_customer()).pk
    for status in ("pending", "paid", "refunded"):
        order_status_bulk_update(changes=[(order, status)])
    before = order_revision()
    assert OrdersRevisionBump.objects.count() == 3
    assert order_revision_compact() == 3
    assert order_revision() == before
    assert not OrdersRevisionBump.objects.exists()
    # Nothing to fold: nothing changes.
    assert order_revision_compact() == 0
    assert order_revision() == before
    assert _raised(lambda: order_status_bulk_update(changes=[(order, "paid")])) == 1


def test_a_write_rolled_back_after_a_compaction_counts_nothing(
    make_customer: Any,
) -> None:
    order = _order(make_customer()).pk
    order_revision_bump()
    before = order_revision()
    with pytest.raises(RuntimeError), transaction.atomic():
        order_status_bulk_update(changes=[(order, "refunded")])
        order_revision_compact()
        assert order_revision() == before + 1
        raise RuntimeError("the write fails after a compaction in its transaction")
    assert order_revision() == before
    assert OrdersRevisionBump.objects.count() == 1


def test_every_thousandth_bump_compacts_once_its_write_commits(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as compactions:
        for _ in range(BUMPS_PER_COMPACTION):
            order_revision_bump()
    assert compactions == [order_revision_compact]
    assert OrdersRevisionBump.objects.count() == BUMPS_PER_COMPACTION


def test_without_its_row_the_first_compaction_makes_it() -> None:
    OrdersRevision.objects.all().delete()
    OrdersRevisionBump.objects.all().delete()
    assert order_revision() == 0
    order_revision_bump()
    assert order_revision() == 1
    order_revision_bump()
    assert order_revision_compact() == 2
    assert list(OrdersRevision.objects.values_list("pk", "revision")) == [(1, 2)]
    order_revision_bump()
    assert order_revision() == 3
