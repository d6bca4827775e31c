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
import contextlib
import datetime as dt
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


# --- measuring ---------------------------------------------------------------


def _index_present(name: str) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [name])
        return cursor.fetchone() is not None


@contextlib.contextmanager
def _index_dropped(name: str) -> Iterator[None]:
    """Measure as before the index existed (SQLite); it is made again after,
    also when the run is stopped with SIGTERM (a run killed that way once left
    the data without it, and the next runs measured that unawares)."""
    from django.db import connection

    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped (SIGTERM)"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [name])
        (sql,) = cursor.fetchone()
        cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("ANALYZE")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.execute("ANALYZE")


#: CPU milliseconds of the last _timed calls (SQLite runs in this process, so
#: its work is in here; on a busy machine the steadier figure).
_CPU: list[float] = []


def _timed(action: Callable[[], Any], n: int) -> list[float]:
    """Wall milliseconds of ``n`` calls after one warm-up call."""
    action()
    wall = []
    _CPU.clear()
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - start) * 1000)
        _CPU.append((time.process_time() - start_cpu) * 1000)
    return wall


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def _rule(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def _trees(tag: Callable[[str], int]) -> dict[str, Any]:
    complained, middle = tag("bench-complained"), tag("bench-050")
    common, second = tag("bench-000"), tag("bench-001")
    tenth, eighth = tag("bench-068"), tag("bench-079")
    return {
        "quadrant = star": {"all": [_rule("quadrant", "eq", "star")]},
        "star ∧ city = 上海 ∧ ¬ complained": {
            "all": [
                _rule("quadrant", "eq", "star"),
                _rule("city", "eq", "上海"),
                {"not": _rule("tag", "has", complained)},
            ]
        },
        "churn risk ≥ 0.7 ∧ value score ≥ 50": {
            "all": [_rule("churn_risk", "gte", 0.7), _rule("value_score", "gte", 50)]
        },
        "high value (R ≤ 7, F ≥ 3, M ≥ 800)": {
            "all": [
                _rule("days_since_last_purchase", "lte", 7),
                _rule("orders_30d", "gte", 3),
                _rule("spend_30d", "gte", 800),
            ]
        },
        "sleeping (R ≥ 30, F ≤ 1, M ≤ 300)": {
            "all": [
                _rule("days_since_last_purchase", "gte", 30),
                _rule("orders_30d", "lte", 1),
                _rule("spend_30d", "lte", 300),
            ]
        },
        "star ∧ stage at risk ∧ tag (15 %)": {
            "all": [
                _rule("quadrant", "eq", "star"),
                _rule("stage", "eq", "at_risk"),
                _rule("tag", "has", middle),
            ]
        },
        "two tags, on 10 % and 8 %": {
            "all": [_rule("tag", "has", tenth), _rule("tag", "has", eighth)]
        },
        "two tags, on 40 % and 39 %": {
            "all": [_rule("tag", "has", common), _rule("tag", "has", second)]
        },
        "city = 北京 ∧ gender = female": {
            "all": [_rule("city", "eq", "北京"), _rule("gender", "eq", "female")]
        },
    }


def _first_page(actor: Any, tree: Any) -> list[Any]:
    """What the segment page reads: the count, then 51 members newest first."""
    from guanxi.segments.selectors import (
        members_are_sparse,
        segment_count,
        segment_customers_total,
        segment_members,
    )

    count = segment_count(actor=actor, rules=tree)
    total = segment_customers_total(actor=actor)
    sparse = members_are_sparse(count=count, customers=total)
    members = segment_members(actor=actor, rules=tree, sparse=sparse)
    return list(members.prefetch_related("tags").order_by("-id")[:51])


def _naive_join(tree: dict[str, Any], day: dt.date) -> Any:
    """The plain ORM way: customers joined to their snapshots, every rule a
    lookup through the join in one ``filter`` (AND trees of this benchmark)."""
    from django.db.models import Q

    from guanxi.customers.models import Customer
    from guanxi.segments.fields import FIELDS, Source

    q = Q(score_snapshots__as_of=day)
    for node in tree["all"]:
        negate = "not" in node
        rule = node["not"] if negate else node
        spec = FIELDS[rule["field"]]
        if spec.source == Source.TAG:
            part = Q(tags__id=rule["value"])
        elif spec.source == Source.PROFILE:
            part = Q(**{spec.column: rule["value"]})
        else:
            lookup = {"eq": "", "lte": "__lte", "gte": "__gte"}[rule["op"]]
            part = Q(**{f"score_snapshots__{spec.column}{lookup}": rule["value"]})
        q &= ~part if negate else part
    return Customer.objects.filter(q)


def _naive_python(tree: dict[str, Any], day: dt.date) -> tuple[int, list[int]]:
    """Every snapshot of the run read into Python and the rules tested there."""
    from guanxi.customers.models import Customer, Tag
    from guanxi.insights.models import ScoreSnapshot
    from guanxi.segments.fields import FIELDS, Source

    rules = [n.get("not", n) for n in tree["all"]]
    negated = ["not" in n for n in tree["all"]]
    scores = sorted(
        {
            FIELDS[r["field"]].column
            for r in rules
            if FIELDS[r["field"]].source == Source.SCORE
        }
    )
    profile = sorted(
        {
            FIELDS[r["field"]].column
            for r in rules
            if FIELDS[r["field"]].source == Source.PROFILE
        }
    )
    rows = {
        row[0]: row[1:]
        for row in ScoreSnapshot.objects.filter(as_of=day)
        .values_list("customer_id", *scores)
        .iterator(chunk_size=20000)
    }
    people = (
        {
            row[0]: row[1:]
            for row in Customer.objects.values_list("id", *profile).iterator(
                chunk_size=20000
            )
        }
        if profile
        else {}
    )
    tagged = {
        r["value"]: set(
            Tag.objects.get(pk=r["value"]).customers.values_list("id", flat=True)
        )
        for r in rules
        if FIELDS[r["field"]].source == Source.TAG
    }
    ops = {
        "eq": lambda a, b: a == b,
        "lte": lambda a, b: a is not None and a <= b,
        "gte": lambda a, b: a is not None and a >= b,
        "has": lambda a, b: a,
    }
    members = []
    for customer_id, values in rows.items():
        ok = True
        for rule, negate in zip(rules, negated, strict=True):
            spec = FIELDS[rule["field"]]
            if spec.source == Source.TAG:
                hit = customer_id in tagged[rule["value"]]
            elif spec.source == Source.PROFILE:
                hit = people[customer_id][profile.index(spec.column)] == rule["value"]
            else:
                hit = ops[rule["op"]](values[scores.index(spec.column)], rule["value"])
            if hit == negate:
                ok = False
                break
        if ok:
            members.append(customer_id)
    return len(members), sorted(members, reverse=True)[:51]


def measure(*, repeat: int, naive: bool) -> None:
    from django.contrib.auth import get_user_model

    from guanxi.customers.models import Tag
    from guanxi.insights.selectors import latest_as_of
    from guanxi.segments.selectors import segment_count

    User = get_user_model()
    admin = User.objects.get(username="demo_admin")
    manager = User.objects.get(username="demo_manager1")
    day = latest_as_of()
    assert day is not None, "build the data first (--build)"
    tags = dict(Tag.objects.values_list("name", "pk"))
    trees = _trees(tags.__getitem__)
    load = os.getloadavg()[0]
    print(f"as of {day}; {repeat} requests each after one warm-up; load {load:.1f}\n")
    print(
        "| rule tree | viewer | members | count: p95 wall (median, median CPU) "
        "| first page: p95 wall (median, median CPU) |"
    )
    print("|---|---|---:|---:|---:|")
    ours: dict[str, str] = {}  # admin's medians, beside the naive ways below
    for label, tree in trees.items():
        for who, actor in (("admin", admin), ("account manager", manager)):
            members = segment_count(actor=actor, rules=tree)
            count = _timed(
                lambda a=actor, t=tree: segment_count(actor=a, rules=t), repeat
            )
            count_cpu = statistics.median(_CPU)
            page = _timed(lambda a=actor, t=tree: _first_page(a, t), repeat)
            page_cpu = statistics.median(_CPU)
            if who == "admin":
                ours[label] = (
                    f"{members:,} | {statistics.median(count):,.0f} ms "
                    f"({count_cpu:,.0f}) | {statistics.median(page):,.0f} ms "
                    f"({page_cpu:,.0f})"
                )
            print(
                f"| {label} | {who} | {members:,} | {_p95(count):.0f} ms "
                f"({statistics.median(count):.0f}, {count_cpu:.0f}) | "
                f"{_p95(page):.0f} ms ({statistics.median(page):.0f}, {page_cpu:.0f}) |",
                flush=True,
            )
    if not naive:
        return
    print(
        "\nThe naive ways beside ours (from the table above), admin (every "
        f"customer); ours median of {repeat}, the naive ways median of 3; "
        "wall (CPU):\n"
    )
    print(
        "| rule tree | members | ours: count | ours: first page "
        "| ORM join: count | ORM join: first page | Python: count and page |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")

    def median_of_3(action: Callable[[], Any]) -> str:
        wall = _timed(action, 3)
        return f"{statistics.median(wall):,.0f} ms ({statistics.median(_CPU):,.0f})"

    for label, tree in trees.items():
        if "two tags" in label:
            continue  # a join on two tags of one relation is not the same query
        joined = _naive_join(tree, day)
        count = median_of_3(lambda j=joined: j.order_by().count())
        page = median_of_3(lambda j=joined: list(j.order_by("-id")[:51]))
        python = median_of_3(lambda t=tree: _naive_python(t, day))
        expected = segment_count(actor=admin, rules=tree)
        assert joined.order_by().count() == expected == _naive_python(tree, day)[0], (
            label
        )
        print(f"| {label} | {ours[label]} | {count} | {page} | {python} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--build", action="store_true", help="write snapshots and tags")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--tags", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--naive", action="store_true", help="also the naive ways")
    parser.add_argument(
        "--managers", type=int, default=50, help="account managers (with --build)"
    )
    parser.add_argument(
        "--assign-only", action="store_true", help="only give customers managers"
    )
    parser.add_argument(
        "--without-segment-index",
        action="store_true",
        help="measure with snapshot_segment_idx dropped (made again after)",
    )
    args = parser.parse_args()
    _setup(args.data_dir)
    if not args.build and not args.assign_only:
        from django.db import connection

        if connection.vendor == "sqlite" and not _index_present("snapshot_segment_idx"):
            parser.exit(
                1,
                "snapshot_segment_idx is missing (an interrupted "
                "--without-segment-index run?): make it again with the CREATE "
                "INDEX of `django-admin sqlmigrate insights "
                "0003_segments_indexes`, then ANALYZE\n",
            )
    if args.assign_only:
        assign_managers(managers=args.managers)
    elif args.build:
        build(runs=args.runs, tags=args.tags, latest=dt.date.today())
        assign_managers(managers=args.managers)
    elif args.without_segment_index:
        with _index_dropped("snapshot_segment_idx"):
            measure(repeat=args.repeat, naive=False)
    else:
        measure(repeat=args.repeat, naive=args.naive)


if __name__ == "__main__":
    main()
