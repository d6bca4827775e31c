"""RowWriter: many rows per INSERT statement on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core.bulk import RowWriter, highest_id


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's statements")
def test_rows_go_in_many_per_statement_and_all_arrive(db: Any) -> None:
    writer = RowWriter(Group, ("name",))
    rows = [(f"组 {i:03d}",) for i in range(205)]
    with CaptureQueriesContext(connection) as queries:
        writer.insert(rows)
    assert sorted(Group.objects.values_list("name")) == sorted(rows)
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    # executemany is logged once per call: one for the 100-row statements,
    # one for the five rows left over
    assert len(inserts) == 2
    assert inserts[0].count("), (") == 99
    assert inserts[1].count("), (") == 0


def test_every_row_arrives_and_unnamed_columns_get_their_defaults(db: Any) -> None:
    writer = RowWriter(User, ("username", "password", "email"))
    rows = [(f"user-{i}", "!", f"u{i}@example.com" if i % 2 else "") for i in range(7)]
    writer.insert(rows)
    stored = list(
        User.objects.order_by("username").values_list(
            "username", "password", "email", "first_name", "is_staff", "last_login"
        )
    )
    assert stored == [(*row, "", False, None) for row in sorted(rows)]
    assert User.objects.filter(date_joined__isnull=True).count() == 0


def test_reserved_primary_keys_are_used(db: Any) -> None:
    Group.objects.create(name="before")
    writer = RowWriter(Group, ("name",))
    pks = writer.reserve(150)
    assert len(set(pks)) == 150 and min(pks) > highest_id(Group)
    writer.insert([(pk, f"P{pk}") for pk in pks], with_pk=True)
    assert sorted(Group.objects.exclude(name="before").values_list("pk", "name")) == [
        (pk, f"P{pk}") for pk in pks
    ]
    assert highest_id(Group) == max(pks)


def test_an_object_array_goes_in_whole_statements_with_its_defaults(
    db: Any,
) -> None:
    """An object array, a row per line: SQLite's statements cut from it whole
    (99 rows of ten columns each, the rest one by one); PostgreSQL: COPY."""
    writer = RowWriter(User, ("username", "password", "email"))
    block = np.array(
        [
            (f"user-{i:03d}", "!", f"u{i}@example.com" if i % 2 else "")
            for i in range(200)
        ],
        dtype=object,
    )
    prepared = writer.prepare(block)
    if connection.vendor == "sqlite":
        assert [
            (sql.count("), ("), len(params)) for sql, params in prepared.statements
        ] == [
            (98, 2),  # two statements of 99 rows
            (0, 2),  # the last two rows
        ]
    else:
        assert len(prepared.copy_rows) == 200
    writer.insert(block)
    stored = list(
        User.objects.order_by("username").values_list(
            "username", "password", "email", "first_name", "is_staff", "last_login"
        )
    )
    assert stored == [(*row, "", False, None) for row in block.tolist()]
