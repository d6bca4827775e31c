"""What the order import does differently for many rows: customers resolved once
per distinct set of values, indexes built at the end, keys reused."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from guanxi.ingest.readers import open_table
from guanxi.ingest.services import import_run


def _import(path: Any, **kwargs: Any) -> Any:
    table = open_table(path)
    try:
        return import_run(kind="orders", table=table, **kwargs)
    finally:
        table.close()


def test_every_row_of_a_repeat_customer_gets_its_own_notice(
    write_file: Any, make_customer: Any, db: Any
) -> None:
    make_customer(name="张伟", phone="+8613800138000")
    path = write_file(
        "o.csv",
        "订单号,下单时间,金额,手机号,姓名\n"
        "A-1,2024-01-05 10:00:00,10,13800138000,张三\n"
        "A-2,2024-01-06 10:00:00,10,138 0013 8000,张三\n"
        "A-3,2024-01-07 10:00:00,10,13800138000,张伟\n"
        "A-4,2024-01-08 10:00:00,10,13800138000,张三\n",
    )
    report = _import(path)
    assert report.ok
    assert [(n.line, n.column, n.value) for n in report.notices] == [
        (2, "姓名", None),  # a name is not repeated in a notice
        (3, "姓名", None),
        (5, "姓名", None),
    ]
    assert {n.message for n in report.notices} == {
        "differs from the value already recorded; the recorded value was kept"
    }


def test_a_conflict_is_reported_on_every_row_that_has_it(
    write_file: Any, make_customer: Any, db: Any, counts: Any
) -> None:
    make_customer(phone="+8613800138000", email="a@example.com")
    make_customer(phone="+8613900139000", email="b@example.com")
    before = counts()
    path = write_file(
        "o.csv",
        "订单号,下单时间,金额,手机号,邮箱\n"
        "A-1,2024-01-05 10:00:00,10,13800138000,b@example.com\n"
        "A-2,2024-01-06 10:00:00,10,13800138000,a@example.com\n"
        "A-3,2024-01-07 10:00:00,10,13800138000,B@example.com\n",
    )
    report = _import(path)
    assert [(e.line, e.column, e.value, e.message) for e in report.errors] == [
        (
            2,
            "邮箱",
            "b***@example.com",
            "belongs to another customer than the phone number of this row",
        ),
        (
            4,
            "邮箱",
            "B***@example.com",
            "belongs to another customer than the phone number of this row",
        ),
    ]
    assert counts() == before


def _indexes(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = %s AND sql IS NOT NULL ORDER BY name",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def _order_indexes() -> list[str]:
    return _indexes("commerce_order") + _indexes("customers_customer")


ROWS = "".join(
    f"B-{i},2024-01-{1 + i % 28:02d} 10:00:00,{i}.50,1380013{i:04d},客户{i}\n"
    for i in range(40)
)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_large_imports_build_the_order_indexes_at_the_end(
    write_file: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guanxi.commerce.models import Order
    from guanxi.core import bulk
    from guanxi.ingest import pipeline
    from guanxi.ingest.importers import orders

    indexes = _order_indexes()
    assert indexes == [
        "order_customer_idx",
        "order_recent_idx",
        "order_store_idx",
        "customer_birth_month_idx",
        "customer_birth_year_idx",
        "customer_email_unique",
        "customer_gender_city_idx",
        "customer_last_purchase_idx",
        "customer_manager_idx",
        "customer_orders_idx",
        "customer_phone_unique",
        "customer_pseudonym_idx",
        "customer_spend_idx",
        "customers_customer_city_56690332",
    ]
    monkeypatch.setattr(orders, "DEFER_INDEXES_FROM", 10)
    monkeypatch.setattr(pipeline, "BATCH", 7)
    dropped: list[list[str]] = []
    restore = bulk.SecondaryIndexes.restore

    def watch(self: Any) -> None:
        dropped.append(_order_indexes())
        restore(self)

    monkeypatch.setattr(bulk.SecondaryIndexes, "restore", watch)
    report = _import(write_file("o.csv", "订单号,下单时间,金额,手机号,姓名\n" + ROWS))
    assert report.ok and report.created == 40
    # gone while the rows went in (restored one table after the other); the
    # customers table's unique ones too: it was empty, and the import keeps
    # one customer per phone and email itself (checked again when built)
    assert dropped == [[], _indexes("commerce_order")]
    assert _order_indexes() == indexes
    assert Order.objects.count() == 40
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA integrity_check")
        assert cursor.fetchone()[0] == "ok"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_a_rejected_large_import_keeps_the_indexes_and_writes_nothing(
    write_file: Any, db: Any, counts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guanxi.ingest import pipeline
    from guanxi.ingest.importers import orders

    monkeypatch.setattr(orders, "DEFER_INDEXES_FROM", 10)
    monkeypatch.setattr(pipeline, "BATCH", 7)
    before, indexes = counts(), _order_indexes()
    bad = ROWS + "B-99,2024-01-05 10:00:00,free,13800130099,客户99\n"
    report = _import(write_file("o.csv", "订单号,下单时间,金额,手机号,姓名\n" + bad))
    assert [(e.line, e.value, e.message) for e in report.errors] == [
        (42, "free", "not an amount")
    ]
    assert counts() == before
    assert _order_indexes() == indexes


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_indexes_stay_when_the_table_is_larger_than_the_import(
    write_file: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guanxi.core import bulk
    from guanxi.ingest.importers import orders

    monkeypatch.setattr(orders, "DEFER_INDEXES_FROM", 10)
    _import(write_file("o.csv", "订单号,下单时间,金额,手机号,姓名\n" + ROWS))
    dropped: list[bool] = []
    monkeypatch.setattr(
        bulk.SecondaryIndexes, "drop", lambda self: dropped.append(True)
    )
    small = "".join(
        f"C-{i},2024-02-01 10:00:00,1,1390013{i:04d},客户{i}\n" for i in range(12)
    )
    report = _import(write_file("p.csv", "订单号,下单时间,金额,手机号,姓名\n" + small))
    assert report.ok and report.created == 12
    assert dropped == []


def test_created_customers_carry_the_keys_customer_apply_contact_computes(
    write_file: Any, db: Any
) -> None:
    from guanxi.customers.models import Customer
    from guanxi.customers.services import customer_apply_contact

    _import(
        write_file(
            "o.csv",
            "订单号,下单时间,金额,手机号,姓名,邮箱\n"
            "A-1,2024-01-05 10:00:00,10,13800138000,张 伟,Zhang.Wei@Example.com\n"
            "A-2,2024-01-05 11:00:00,10,13900139000,Li Na,\n",
        )
    )
    customers = list(Customer.objects.order_by("pk"))
    assert len(customers) == 2
    for customer in customers:
        stored = (customer.phone_index, customer.email_index, customer.name_tokens)
        customer_apply_contact(customer)
        assert stored == (
            customer.phone_index,
            customer.email_index,
            customer.name_tokens,
        )
    assert customers[0].email == "zhang.wei@example.com"
    assert customers[0].name_tokens.strip()


MESSY = (
    "订单号,下单时间,金额,状态,手机号,姓名,邮箱,商品编码,数量\n"
    "M-1,2024-01-05 10:00:00,20,已付款,13800138000,张伟,zw@example.com,SKU-1,2\n"
    "M-1,2024-01-05 10:00:00,20,已付款,13800138000,张伟,zw@example.com,SKU-2,1\n"
    "M-2,2024-01-06 10:00:00,free,已付款,13800138001,王芳,,SKU-1,1\n"
    "M-3,2024-01-07 10:00:00,5,lost,12345,李娜,bad-email,SKU-1,1\n"
    "M-4,2024-01-08 10:00:00,,已付款,13800138002,赵敏,,SKU-1,1\n"
    "M-5,2024-01-09 10:00:00,7,已付款,13800138000,张三,other@example.com,SKU-1,1\n"
    "M-1,2024-01-05 10:00:00,21,已付款,13800138000,张伟,,SKU-3,1\n"
    "M-6,2024-01-10 10:00:00,8,已付款,,,,SKU-1,1\n"
    "M-7,2024-02-30 10:00:00,9,已付款,13800138003,钱七,,SKU-1,x\n"
)
VALID = "".join(  # 15 orders of two lines each, 9 customers
    f"V-{i // 2},2024-01-{1 + i // 2:02d} 10:00:00,{i // 2}.25,已付款,"
    f"1380013{i // 2 % 9:04d},客户{i // 2 % 9},,SKU-{i % 3},{1 + i % 2}\n"
    for i in range(30)
)


def _run_both(
    path: Any, monkeypatch: pytest.MonkeyPatch, **kwargs: Any
) -> tuple[Any, Any, list[int]]:
    from guanxi.ingest import parallel, pipeline

    forks: list[int] = []
    real = parallel.parsed_batches

    def counted(importer: Any, batches: Any) -> Any:
        forks.append(1)
        return real(importer, batches)

    monkeypatch.setattr(parallel, "parsed_batches", counted)
    # The test process may run other threads (Spark's gateway, started by
    # earlier tests); the child only parses, so fork anyway here.
    monkeypatch.setattr(parallel, "single_threaded", lambda: True)
    monkeypatch.setattr(pipeline, "BATCH", 3)
    monkeypatch.setattr(parallel, "FORK_FROM", 10**9)
    in_process = _import(path, **kwargs)
    assert forks == []
    monkeypatch.setattr(parallel, "FORK_FROM", 1)
    forked = _import(path, **kwargs)
    return in_process, forked, forks


def test_parsing_in_a_helper_process_reports_the_same_problems(
    write_file: Any, db: Any, counts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts()
    path = write_file("o.csv", MESSY)
    in_process, forked, forks = _run_both(path, monkeypatch)
    assert forks == [1]
    assert forked.as_record() == in_process.as_record()
    messages = {e["message"] for e in forked.as_record()["errors"]}
    assert {
        "not an amount",
        "not a valid phone number",
        "not a valid email address",
        "a value is required",
        "this order already appeared on line 2; "
        "the rows of one order must be next to each other",
        "impossible date",
        "the row has no customer (phone, email, name or customer id)",
        "quantity must be a whole number of at least 1",
    } <= messages
    assert [(n["line"], n["column"]) for n in forked.as_record()["notices"]] == [
        (7, "姓名"),
        (7, "邮箱"),
    ]
    assert counts() == before


def _snapshot() -> Any:
    from guanxi.commerce.models import Order, OrderLine

    orders = sorted(
        (
            o.external_id,
            o.customer.phone,
            o.customer.name,
            o.ordered_at,
            o.amount,
            o.status,
        )
        for o in Order.objects.select_related("customer")
    )
    lines = sorted(
        (line.order.external_id, line.product.sku, line.quantity, line.unit_price)
        for line in OrderLine.objects.select_related("order", "product")
    )
    return orders, lines


def test_parsing_in_a_helper_process_writes_the_same_rows(
    write_file: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guanxi.commerce.models import Order, Product
    from guanxi.customers.models import Customer

    path = write_file(
        "o.csv", "订单号,下单时间,金额,状态,手机号,姓名,邮箱,商品编码,数量\n" + VALID
    )
    from guanxi.ingest import parallel, pipeline

    monkeypatch.setattr(pipeline, "BATCH", 3)
    monkeypatch.setattr(parallel, "FORK_FROM", 10**9)
    first = _import(path)
    assert first.ok and first.created == 15
    expected = _snapshot()
    Order.objects.all().delete()
    Customer.objects.all().delete()
    Product.objects.all().delete()
    monkeypatch.setattr(parallel, "FORK_FROM", 1)
    monkeypatch.setattr(parallel, "single_threaded", lambda: True)
    second = _import(path)
    assert second.as_record() == first.as_record()
    assert _snapshot() == expected
    assert len(expected[0]) == 15 and len(expected[1]) == 30


def test_an_unreadable_line_is_reported_the_same_way_from_the_helper(
    write_file: Any, db: Any, counts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts()
    too_long = "x" * 40_000  # over the 32,767 characters a cell may hold
    path = write_file(
        "o.csv",
        "订单号,下单时间,金额,手机号\n"
        "A-1,2024-01-05 10:00:00,10,13800138000\n"
        f'A-2,2024-01-05 10:00:00,10,"{too_long}"\n',
    )
    from guanxi.ingest import parallel, pipeline
    from guanxi.ingest.errors import ImportRejected

    monkeypatch.setattr(pipeline, "BATCH", 1)
    monkeypatch.setattr(parallel, "single_threaded", lambda: True)
    for fork_from in (10**9, 1):
        monkeypatch.setattr(parallel, "FORK_FROM", fork_from)
        with pytest.raises(ImportRejected) as caught:
            _import(path)
        assert [e.as_dict() for e in caught.value.errors] == [
            {
                "line": 3,
                "column": "",
                "value": "",
                "message": "a cell is longer than 32,767 characters (the limit; an "
                "admin can raise it with GUANXI_IMPORT_MAX_CELL)",
            }
        ]
    assert counts() == before


def test_no_helper_process_from_a_process_with_other_threads(
    write_file: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from guanxi.ingest import parallel

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not parallel.single_threaded()
    finally:
        stop.set()
        other.join()
    table = open_table(
        write_file(
            "o.csv", "订单号,下单时间,金额,手机号\n" + "A,2024-01-05,1,13800138000\n"
        )
    )
    try:
        table.total = parallel.FORK_FROM
        monkeypatch.setattr(parallel, "single_threaded", lambda: True)
        assert parallel.may_fork(table)
        monkeypatch.setattr(parallel, "single_threaded", lambda: False)
        assert not parallel.may_fork(table)
        monkeypatch.setattr(parallel, "single_threaded", lambda: True)
        table.total = parallel.FORK_FROM - 1
        assert not parallel.may_fork(table)
    finally:
        table.close()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_customer_indexes_stay_and_lookups_run_when_customers_exist(
    write_file: Any, make_customer: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guanxi.commerce.models import Order
    from guanxi.core import bulk
    from guanxi.ingest.importers import orders

    known = make_customer(name="客户3", phone="+8613800130003")
    monkeypatch.setattr(orders, "DEFER_INDEXES_FROM", 10)
    dropped: list[str] = []
    drop = bulk.SecondaryIndexes.drop

    def watch(self: Any) -> None:
        dropped.append(self.table)
        drop(self)

    monkeypatch.setattr(bulk.SecondaryIndexes, "drop", watch)
    report = _import(write_file("o.csv", "订单号,下单时间,金额,手机号,姓名\n" + ROWS))
    assert report.ok and report.customers_created == 39
    assert dropped == ["commerce_order"]
    assert Order.objects.filter(customer=known).count() == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_the_deferred_unique_indexes_still_hold_the_rule(
    write_file: Any, db: Any, counts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built again at the end, the unique indexes check every customer the
    import wrote: a matcher that failed to match (here: one that sees no keys)
    cannot leave two customers with one phone number."""
    from guanxi.customers.matching import CustomerMatcher
    from guanxi.ingest.importers import orders
    from guanxi.ingest.pipeline import ImportRefused

    monkeypatch.setattr(orders, "DEFER_INDEXES_FROM", 10)
    monkeypatch.setattr(CustomerMatcher, "keys", lambda self, values, identity: [])
    before, indexes = counts(), _order_indexes()
    repeated = ROWS + "B-99,2024-01-05 10:00:00,1,13800130001,别人\n"
    with pytest.raises(ImportRefused):
        _import(write_file("o.csv", "订单号,下单时间,金额,手机号,姓名\n" + repeated))
    assert counts() == before
    assert _order_indexes() == indexes
