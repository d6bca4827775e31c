"""The search of every kind reads an index that starts with its filter and
ends with (at, id), so the newest page is found without reading the rest of
a log of millions (the planners' word for it, not a timing)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from guanxi.audit.selectors import AuditSearch, audit_event_list

pytestmark = pytest.mark.django_db


def _plan(sql: str, params: Any) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # An empty table is read whole by choice; ask what it would use.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("search", "index"),
    [
        (AuditSearch(), "audit_at_idx"),
        (AuditSearch(person="x", actor_ids=(3,)), "audit_actor_idx"),
        (AuditSearch(customer_id=41), "audit_customer_idx"),
        (AuditSearch(action="export"), "audit_action_idx"),  # type: ignore[arg-type]
    ],
)
def test_each_search_reads_its_index(
    users: dict[str, Any], search: AuditSearch, index: str
) -> None:
    page = audit_event_list(actor=users["admin"], search=search)[:51]
    sql, params = page.query.sql_with_params()
    plan = _plan(sql, params)
    assert index in plan
    assert "TEMP B-TREE" not in plan  # SQLite: no sort of what was read
    assert not any("Sort" in line for line in plan.splitlines())  # PostgreSQL
