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


def test_an_object_array_is_prepared_apart_and_written_with_its_defaults(
    db: Any,
) -> None:
    """prepare() needs no database (a thread may run it); write() runs it.
    SQLite: whole statements of ``rows_per_statement`` rows cut from the
    array, the rest one by one; PostgreSQL: the rows for COPY."""
    writer = RowWriter(User, ("username", "password", "email"), rows_per_statement=3)
    block = np.array(
        [(f"user-{i}", "!", f"u{i}@example.com" if i % 2 else "") for i in range(7)],
        dtype=object,
    )
    prepared = writer.prepare(block)
    if connection.vendor == "sqlite":
        assert [
            (sql.count("), ("), len(params)) for sql, params in prepared.statements
        ] == [
            (2, 2),  # two statements of three rows
            (0, 1),  # the seventh row
        ]
        assert len(prepared.statements[0][1][0]) == 3 * len(writer.sql.split("%s")[1:])
    else:
        assert len(prepared.copy_rows) == 7
    with CaptureQueriesContext(connection) as queries:
        writer.write(prepared)
    assert not [q for q in queries.captured_queries if "SELECT" in q["sql"]]
    stored = list(
        User.objects.order_by("username").values_list(
            "username", "password", "email", "first_name", "is_staff", "last_login"
        )
    )
    assert stored == [(*row, "", False, None) for row in block.tolist()]
