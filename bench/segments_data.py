"""The benchmark data of bench/bench_segments.py, and the rule trees it measures.

``build`` writes in bulk SQL (``INSERT … SELECT`` over the customers, every
value derived from the customer id, so two builds give the same data): the
scoring runs' snapshots, 200 tags of skewed popularity and ``complained``;
``assign_managers`` gives every customer an account manager. ``trees`` are
the rule trees measured (issue 9).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["assign_managers", "build", "rule", "trees"]

#: A deterministic value in [0, 1000003) from a customer id and a salt.
_MODULUS = 1_000_003


def _h(salt: int, column: str = "c.id") -> str:
    """A value in [0, _MODULUS) that looks random per id and salt: the product
    of two different linear hashes (one alone gives every salt the same
    sequence shifted, so the quadrants and tags came out correlated)."""
    first = f"(({column} * 2654435761 + {salt * 40503}) % {_MODULUS})"
    second = f"(({column} * 40503 + {salt * 2654435761}) % 999983)"
    return f"(({first} * {second}) % {_MODULUS})"


def _h_sql(salt: str, column: str = "c.id") -> str:
    """:func:`_h` with the salt an SQL expression (the same values)."""
    first = f"(({column} * 2654435761 + {salt} * 40503) % {_MODULUS})"
    second = f"(({column} * 40503 + {salt} * 2654435761) % 999983)"
    return f"(({first} * {second}) % {_MODULUS})"


@contextlib.contextmanager
def _indexes_rebuilt(*tables: str) -> Iterator[None]:
    """On SQLite, the tables' indexes dropped while rows are written and made
    again after (one sort instead of 20 M random inserts into each)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        marks = ", ".join("%s" for _ in tables)
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            f"AND sql IS NOT NULL AND tbl_name IN ({marks})",
            list(tables),
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, sql in indexes:
                cursor.execute(sql)


# --- building the data -------------------------------------------------------


def _snapshot_columns(as_of: dt.date, salt: int) -> dict[str, str]:
    """SQL expressions for the snapshot columns (the others get their default)."""
    prospect = f"({_h(salt + 1)} % 100 < 5)"
    orders = f"(CASE WHEN {prospect} THEN 0 ELSE 1 + {_h(salt + 2)} % 30 END)"
    days = f"(CASE WHEN {prospect} THEN NULL ELSE {_h(salt + 6)} % 400 END)"
    recent = f"(CASE WHEN {days} <= 30 THEN {_h(salt + 7)} % 6 ELSE 0 END)"
    fraction = f"({_h(salt + 14)} * 1.0 / {_MODULUS})"
    segments = [
        "champions", "loyal", "potential_loyalists", "new", "at_risk",
        "cant_lose", "hibernating", "lost",
    ]  # fmt: skip
    rfm = " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(segments))

    def score(s: int) -> str:
        return f"(CASE WHEN {prospect} THEN NULL ELSE 1 + {_h(salt + s)} % 5 END)"

    return {
        "customer_id": "c.id",
        "as_of": f"'{as_of.isoformat()}'",
        "orders": orders,
        "total_spend": f"({orders} * (50 + {_h(salt + 9)} % 400))",
        "days_since_last_purchase": days,
        "orders_30d": recent,
        "spend_30d": f"({recent} * (40 + {_h(salt + 8)} % 400))",
        "r_score": score(12),
        "f_score": score(13),
        "m_score": score(15),
        "rfm_segment": (
            f"(CASE WHEN {prospect} THEN '' ELSE CASE {_h(salt + 16)} % 8 {rfm} END END)"
        ),
        "current_value": f"({orders} * (50 + {_h(salt + 9)} % 400) * 0.3)",
        "potential_value": f"({_h(salt + 10)} % 5000)",
        "value_score": f"({_h(salt + 11)} % 10000 / 100.0)",
        "quadrant": (
            f"(CASE WHEN {prospect} THEN 'basic' ELSE CASE "
            f"WHEN {_h(salt + 3)} % 100 < 8 THEN 'star' "
            f"WHEN {_h(salt + 3)} % 100 < 20 THEN 'cash_cow' "
            f"WHEN {_h(salt + 3)} % 100 < 32 THEN 'potential' ELSE 'basic' END END)"
        ),
        "stage": (
            f"(CASE WHEN {prospect} THEN 'prospect' ELSE CASE "
            f"WHEN {_h(salt + 4)} % 100 < 8 THEN 'new' "
            f"WHEN {_h(salt + 4)} % 100 < 30 THEN 'growing' "
            f"WHEN {_h(salt + 4)} % 100 < 60 THEN 'mature' "
            f"WHEN {_h(salt + 4)} % 100 < 80 THEN 'at_risk' ELSE 'lapsed' END END)"
        ),
        "emotion": (
            f"(CASE WHEN {_h(salt + 5)} % 100 < 15 THEN 'fan' "
            f"WHEN {_h(salt + 5)} % 100 < 75 THEN 'ordinary' ELSE 'drifting' END)"
        ),
        "p_alive": fraction,
        "churn_risk": f"(1.0 - {fraction})",
        "expected_purchases_90d": f"({_h(salt + 17)} % 500 / 100.0)",
    }


def _insert_select(
    model: Any, known: dict[str, str], source: str, where: str = ""
) -> tuple[str, list[Any]]:
    """``INSERT INTO <model> (...) SELECT ... FROM <source>``: the known
    columns as SQL, every other column (a field added later) as its default."""
    from django.db import connection

    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in known:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in known or field.attname in known:
            values.append(known.get(field.name) or known[field.attname])
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "
        f"({', '.join(columns)}) SELECT {', '.join(values)} FROM {source} {where}"
    )
    return sql, params


def assign_managers(*, managers: int) -> None:
    """Every customer an account manager, ``managers`` of them (``demo`` assigns
    two managers 20,000 customers each and leaves the rest unassigned; the
    planner then takes a manager to hold a third of all customers and picks
    worse plans for them). Customers of demo_manager1 stay theirs."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from guanxi.access.choices import Role
    from guanxi.access.services import staff_role_set
    from guanxi.customers.models import Customer

    User = get_user_model()
    keep = User.objects.get(username="demo_manager1")
    others = []
    for i in range(2, managers + 1):
        user, _ = User.objects.get_or_create(username=f"demo_manager{i}")
        staff_role_set(user=user, role=Role.ACCOUNT_MANAGER)
        others.append(user.pk)
    table = Customer._meta.db_table
    cases = " ".join(f"WHEN {i} THEN {pk}" for i, pk in enumerate(others))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET assigned_manager_id = CASE (id % {len(others)}) "
            f"{cases} END WHERE assigned_manager_id IS NULL "
            "OR assigned_manager_id <> %s",
            [keep.pk],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{managers} account managers, every customer assigned")


def build(*, runs: int, tags: int, latest: dt.date) -> None:
    from django.db import connection, transaction

    from guanxi.customers.models import Customer, Tag
    from guanxi.insights.models import ScoreRun, ScoreSnapshot
    from guanxi.segments.services import segment_counts_record

    customers = Customer._meta.db_table
    link = Customer.tags.through
    snapshots, links = ScoreSnapshot._meta.db_table, link._meta.db_table
    with (
        transaction.atomic(),
        _indexes_rebuilt(snapshots, links),
        connection.cursor() as cursor,
    ):
        started = time.perf_counter()
        ScoreSnapshot.objects.all().delete()
        ScoreRun.objects.all().delete()
        for k in range(runs):
            as_of = latest - dt.timedelta(days=30 * (runs - 1 - k))
            sql, params = _insert_select(
                ScoreSnapshot,
                _snapshot_columns(as_of, salt=100 * (k + 1)),
                f"{customers} c",
            )
            cursor.execute(sql, params)
            ScoreRun.objects.create(
                as_of=as_of,
                status="done",
                progress=100,
                customers=Customer.objects.count(),
            )
        print(f"snapshots: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        link.objects.filter(tag__name__startswith="bench-").delete()
        Tag.objects.filter(name__startswith="bench-").delete()
        names = [f"bench-{i:03d}" for i in range(tags)] + ["bench-complained"]
        Tag.objects.bulk_create([Tag(name=n) for n in names])
        ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        # One INSERT in the primary key's order (customer, tag): a pass per
        # tag wrote into that index all over (under load 10 it had not
        # finished in 30 min); the same links, the bounds of each tag's share.
        bounds = " UNION ALL ".join(
            f"SELECT {ids[name]} AS tag_id, "
            f"{int((0.03 if name == 'bench-complained' else 0.4 * 0.98**i) * _MODULUS)}"
            " AS bound"
            for i, name in enumerate(names)
        )
        sql, params = _insert_select(
            link,
            {"customer": "c.id", "tag": "s.tag_id"},
            f"{customers} c CROSS JOIN ({bounds} ORDER BY tag_id) s",
            f"WHERE {_h_sql('s.tag_id')} < s.bound",
        )
        cursor.execute(sql, params)
        print(f"tags: {time.perf_counter() - started:.1f} s")
    print(f"indexes made again: {time.perf_counter() - started:.1f} s since the tags")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # both databases: fresh statistics
    started = time.perf_counter()
    for run in ScoreRun.objects.order_by("as_of"):
        segment_counts_record(as_of=run.as_of)
    print(f"segment counts per run: {time.perf_counter() - started:.1f} s")


def rule(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def trees(tag: Callable[[str], int]) -> dict[str, Any]:
    complained, middle = tag("bench-complained"), tag("bench-050")
    common, second = tag("bench-000"), tag("bench-001")
    tenth, eighth = tag("bench-068"), tag("bench-079")
    return {
        "quadrant = star": {"all": [rule("quadrant", "eq", "star")]},
        "star ∧ city = 上海 ∧ ¬ complained": {
            "all": [
                rule("quadrant", "eq", "star"),
                rule("city", "eq", "上海"),
                {"not": rule("tag", "has", complained)},
            ]
        },
        "churn risk ≥ 0.7 ∧ value score ≥ 50": {
            "all": [rule("churn_risk", "gte", 0.7), rule("value_score", "gte", 50)]
        },
        "high value (R ≤ 7, F ≥ 3, M ≥ 800)": {
            "all": [
                rule("days_since_last_purchase", "lte", 7),
                rule("orders_30d", "gte", 3),
                rule("spend_30d", "gte", 800),
            ]
        },
        "sleeping (R ≥ 30, F ≤ 1, M ≤ 300)": {
            "all": [
                rule("days_since_last_purchase", "gte", 30),
                rule("orders_30d", "lte", 1),
                rule("spend_30d", "lte", 300),
            ]
        },
        "star ∧ stage at risk ∧ tag (15 %)": {
            "all": [
                rule("quadrant", "eq", "star"),
                rule("stage", "eq", "at_risk"),
                rule("tag", "has", middle),
            ]
        },
        "two tags, on 10 % and 8 %": {
            "all": [rule("tag", "has", tenth), rule("tag", "has", eighth)]
        },
        "two tags, on 40 % and 39 %": {
            "all": [rule("tag", "has", common), rule("tag", "has", second)]
        },
        "city = 北京 ∧ gender = female": {
            "all": [rule("city", "eq", "北京"), rule("gender", "eq", "female")]
        },
    }
