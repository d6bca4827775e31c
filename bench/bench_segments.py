"""Benchmark: a segment's live count and first page of members at 1,000,000 customers.

Target (issue 9): with 200 tags in use, the live count and the first page of
members each answer within p95 ≤ 300 ms. Measured for typical rule trees (one
quadrant; quadrant + city + not-tag; thresholds on scores; the seed's RFM
segments; two tags; profile only), as an admin (every customer) and as an
account manager (their own), through the same selectors the builder and the
API call. Side by side, the naive ways: the same trees filtered in Python over
the latest snapshots, and the ORM's plain join (a multi-valued ``filter``)
instead of the segment query.

Data: ``guanxi demo`` for the customers, then ``--build`` writes in bulk SQL
(``INSERT … SELECT`` over the customers, values derived from the customer id,
so two builds give the same data):

* two scoring runs' snapshots (``--runs``, one per customer each; the latest
  one is what the rules read, the older one makes the table twice as big as
  one run would), a finished ``ScoreRun`` row for each;
* 200 tags (``--tags``) with skewed popularity (the most common on 40 % of
  customers, each next one 2 % rarer; about 20 per customer, 20 M links) and a
  ``complained`` tag on 3 %.

Usage::

    GUANXI_DATA_DIR=/tmp/seg-bench guanxi demo --customers 1000000
    python bench/bench_segments.py --data-dir /tmp/seg-bench --build
    python bench/bench_segments.py --data-dir /tmp/seg-bench [--repeat 20]

Results go to stdout as Markdown tables (docs/benchmarks/segments.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: A deterministic value in [0, 1000003) from a customer id and a salt.
_MODULUS = 1_000_003


def _h(salt: int, column: str = "c.id") -> str:
    return f"(({column} * 2654435761 + {salt * 40503}) % {_MODULUS})"


def _setup(data_dir: Path) -> None:
    os.environ["GUANXI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()


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


def build(*, runs: int, tags: int, latest: dt.date) -> None:
    from django.db import connection, transaction

    from guanxi.customers.models import Customer, Tag
    from guanxi.insights.models import ScoreRun, ScoreSnapshot
    from guanxi.segments.services import segment_counts_record

    customers = Customer._meta.db_table
    link = Customer.tags.through
    with transaction.atomic(), connection.cursor() as cursor:
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
        for i, name in enumerate(names):
            share = 0.03 if name == "bench-complained" else 0.4 * 0.98**i
            tag_id = ids[name]
            sql, params = _insert_select(
                link,
                {"customer": "c.id", "tag": str(tag_id)},
                f"{customers} c",
                f"WHERE {_h(tag_id)} < {int(share * _MODULUS)}",
            )
            cursor.execute(sql, params)
        print(f"tags: {time.perf_counter() - started:.1f} s")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    started = time.perf_counter()
    for run in ScoreRun.objects.order_by("as_of"):
        segment_counts_record(as_of=run.as_of)
    print(f"segment counts per run: {time.perf_counter() - started:.1f} s")


# --- measuring ---------------------------------------------------------------


def _timed(action: Callable[[], Any], n: int) -> list[float]:
    """Wall milliseconds of ``n`` calls after one warm-up call."""
    action()
    wall = []
    for _ in range(n):
        start = time.perf_counter()
        action()
        wall.append((time.perf_counter() - start) * 1000)
    return wall


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def _trees(complained: int, common: int, second: int) -> dict[str, Any]:
    def rule(field: str, op: str, value: Any) -> dict[str, Any]:
        return {"field": field, "op": op, "value": value}

    return {
        "quadrant = star": {"all": [rule("quadrant", "eq", "star")]},
        "star ∧ city = 上海 ∧ ¬ complained": {
            "all": [
                rule("quadrant", "eq", "star"),
                rule("city", "eq", "上海"),
                {"not": rule("tag", "has", complained)},
            ]
        },
        "churn ≥ 0.7 ∧ value score ≥ 50": {
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
        "tag A ∧ tag B": {
            "all": [rule("tag", "has", common), rule("tag", "has", second)]
        },
        "city = 北京 ∧ gender = female": {
            "all": [rule("city", "eq", "北京"), rule("gender", "eq", "female")]
        },
    }


def measure(*, repeat: int) -> None:
    from django.contrib.auth import get_user_model

    from guanxi.customers.models import Tag
    from guanxi.segments.selectors import segment_count, segment_members

    User = get_user_model()
    admin = User.objects.get(username="demo_admin")
    manager = User.objects.get(username="demo_manager1")
    tags = dict(Tag.objects.values_list("name", "pk"))
    trees = _trees(tags["bench-complained"], tags["bench-000"], tags["bench-001"])
    print(
        "| rule tree | viewer | members | count p95 (median) | first page p95 (median) |"
    )
    print("|---|---|---:|---:|---:|")
    for label, tree in trees.items():
        for who, actor in (("admin", admin), ("account manager", manager)):
            members = segment_count(actor=actor, rules=tree)
            count = _timed(
                lambda a=actor, t=tree: segment_count(actor=a, rules=t), repeat
            )
            page = _timed(
                lambda a=actor, t=tree: list(
                    segment_members(actor=a, rules=t).order_by("-id")[:50]
                ),
                repeat,
            )
            print(
                f"| {label} | {who} | {members:,} | {_p95(count):.0f} ms "
                f"({statistics.median(count):.0f}) | {_p95(page):.0f} ms "
                f"({statistics.median(page):.0f}) |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--build", action="store_true", help="write snapshots and tags")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--tags", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    _setup(args.data_dir)
    if args.build:
        build(runs=args.runs, tags=args.tags, latest=dt.date.today())
    else:
        measure(repeat=args.repeat)


if __name__ == "__main__":
    main()
