"""RowWriter: many rows per INSERT statement, the remainder one by one."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.commerce.models import Product
from guanxi.ingest.writers import RowWriter


def test_rows_go_in_many_per_statement_and_all_arrive(db: Any) -> None:
    writer = RowWriter(Product, ("sku", "name", "category"))
    rows = [(f"SKU-{i:03d}", f"商品 {i}", "茶" if i % 2 else "") for i in range(205)]
    with CaptureQueriesContext(connection) as queries:
        writer.insert(rows)
    stored = sorted(Product.objects.values_list("sku", "name", "category"))
    assert stored == sorted(rows)
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    # executemany is logged once per call: one for the 100-row statements,
    # one for the five rows left over
    assert len(inserts) == 2
    assert inserts[0].count("), (") == 99
    assert inserts[1].count("), (") == 0


def test_reserved_primary_keys_are_used(db: Any) -> None:
    writer = RowWriter(Product, ("sku", "name", "category"))
    pks = writer.reserve(150)
    writer.insert([(pk, f"P{pk}", "n", "") for pk in pks], with_pk=True)
    assert sorted(Product.objects.values_list("pk", "sku")) == [
        (pk, f"P{pk}") for pk in pks
    ]
