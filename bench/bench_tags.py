"""Benchmark: automatic tags at a scoring run, and filtering customers by tags, at
1,000,000 customers with 200 tags in use, side by side with the naive ways.

On a database ``guanxi demo --customers 1000000`` filled (10 M orders):

1. ``prepare``: a finished scoring run as of ``--as-of`` with one snapshot per
   customer, made here from the orders (stage, quadrant, emotion and RFM
   segment by simple rules and a hash: the bench needs their shape, not the
   scoring run's models), and 200 manual tags on the customers (shares from
   0.1 % to 20 %, by a hash of the ids) unless they are there already.
2. ``write``: the automatic tags of the run written by
   :func:`guanxi.tags.services.automatic_tags_refresh` — the first time (every
   link new), again for the same date (nothing changes), for the next day (a
   few per cent of the snapshots changed) — and the naive way, deleting every
   automatic link and inserting all of them again.
3. ``window``: the preference window's pairs (channel, categories, weekend,
   home or business) both ways, in turn, in one process: in the database
   (SQLite's temporary tables, as inside a transaction or on PostgreSQL)
   and read as Arrow into DuckDB (``guanxi.tags.window``, a run on the
   embedded SQLite); the pairs are checked equal.
4. ``phase``: the tags phase of a run alone, each statement timed (the
   figures of the 2026-12-06 section of docs/benchmarks/tags.md).
5. ``filter``: count and first page (50, newest first) of the customers with
   one tag, with two tags, with one and without another, for an admin (every
   customer) and an account manager (20,000 customers): our way
   (``customer_filter_tags``: ``id IN`` the tag's customers from the
   ``(tag, customer)`` index) against ``EXISTS`` per customer (the filter before)
   and a join with the tags by name.

Reports wall and CPU time (SQLite runs in this process, so CPU is the steadier
figure on a shared machine) and peak memory. Results: docs/benchmarks/tags.md.

Usage::

    GUANXI_DATA_DIR=/tmp/tags-1m guanxi demo --customers 1000000
    python bench/bench_tags.py --data-dir /tmp/tags-1m --as-of 2026-12-04 all
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_TAGS = 200
HASH_MOD = 1_000_003


def _setup(data_dir: Path) -> None:
    os.environ["GUANXI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Clock:
    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def _sql(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        try:
            return list(cursor.fetchall())
        except Exception:
            return []


def _load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


# --- prepare -------------------------------------------------------------------


def prepare(as_of: dt.date) -> None:
    from django.db import connection, transaction

    from guanxi.customers.models import Tag
    from guanxi.insights.models import ScoreRun, ScoreSnapshot

    if not ScoreRun.objects.filter(as_of=as_of).exists():
        clock = Clock()
        _snapshots(as_of)
        ScoreRun.objects.create(
            as_of=as_of, status="done", customers=ScoreSnapshot.objects.count()
        )
        wall, cpu = clock.read()
        print(
            f"snapshots of {as_of} made from the orders: {wall:.1f} s ({cpu:.1f} CPU)"
        )
    if Tag.objects.filter(name__startswith="bench-").count() < BENCH_TAGS:
        clock = Clock()
        with transaction.atomic():
            _bench_tags()
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE"
            )
        wall, cpu = clock.read()
        print(
            f"{BENCH_TAGS} manual tags on the customers: {wall:.1f} s ({cpu:.1f} CPU)"
        )


def _snapshots(as_of: dt.date) -> None:
    """One snapshot per customer from the order totals (SQLite)."""
    from django.db import connection

    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()).isoformat(" ")
    day = f"julianday('{as_of.isoformat()}')"
    assert connection.vendor == "sqlite", "the bench prepares SQLite databases"
    _sql("DROP TABLE IF EXISTS temp.bench_totals")
    _sql(
        "CREATE TEMP TABLE bench_totals AS SELECT customer_id, COUNT(*) AS orders, "
        "SUM(amount) AS spend, MIN(date(ordered_at)) AS first_day, "
        "MAX(date(ordered_at)) AS last_day FROM commerce_order "
        "WHERE status NOT IN ('cancelled', 'refunded') AND ordered_at < %s "
        "GROUP BY customer_id",
        [end],
    )
    _sql("CREATE INDEX temp.bench_totals_c ON bench_totals (customer_id)")
    rows = _sql("SELECT COUNT(*) FROM bench_totals")[0][0]
    cut = _sql(
        "SELECT spend FROM bench_totals ORDER BY spend DESC LIMIT 1 OFFSET %s",
        [max(0, rows // 5 - 1)],
    )[0][0]
    segments = [
        "champions", "loyal", "potential_loyalists", "new", "at_risk",
        "cant_lose", "hibernating", "lost",
    ]  # fmt: skip
    segment = (
        "CASE (c.id * 7919) %% 8 "
        + " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(segments))
        + " END"
    )
    since = f"CAST({day} - julianday(t.last_day) AS INTEGER)"
    gap = (
        "CASE WHEN t.orders > 1 THEN (julianday(t.last_day) - julianday(t.first_day))"
        " / (t.orders - 1) END"
    )
    _sql(
        "INSERT INTO insights_scoresnapshot (customer_id, as_of, orders, total_spend, "
        "first_purchase, last_purchase, days_since_last_purchase, mean_gap_days, "
        "orders_30d, spend_30d, rfm_segment, current_value, potential_value, "
        "value_score, quadrant, stage, emotion, emotion_reasons, churn_risk, "
        "churn_reasons) "
        f"SELECT c.id, %s, COALESCE(t.orders, 0), COALESCE(t.spend, 0), t.first_day, "
        f"t.last_day, {since}, {gap}, 0, 0, "
        f"CASE WHEN t.orders IS NULL THEN '' ELSE {segment} END, "
        "COALESCE(t.spend, 0), 0, 0, "
        "CASE WHEN t.orders IS NULL THEN 'basic' WHEN t.spend >= %s THEN "
        "(CASE WHEN c.id %% 2 = 0 THEN 'star' ELSE 'cash_cow' END) "
        "WHEN c.id %% 5 = 0 THEN 'potential' ELSE 'basic' END, "
        "CASE WHEN t.orders IS NULL THEN 'prospect' "
        f"WHEN {day} - julianday(t.first_day) <= 30 THEN 'new' "
        f"WHEN {since} > 180 THEN 'lapsed' "
        f"WHEN {since} > 60 THEN 'at_risk' "
        f"WHEN {day} - julianday(t.first_day) >= 180 THEN 'mature' "
        "ELSE 'growing' END, "
        "CASE (c.id * 104729) %% 10 WHEN 0 THEN 'fan' WHEN 1 THEN 'drifting' "
        "WHEN 2 THEN 'drifting' ELSE 'ordinary' END, '[]', "
        f"CASE WHEN t.orders IS NULL THEN NULL ELSE MIN(1.0, {since} / 365.0) END, "
        "'[]' FROM customers_customer c LEFT JOIN bench_totals t ON t.customer_id = c.id",
        [as_of.isoformat(), cut],
    )
    _sql("DROP TABLE bench_totals")


def _bench_tags() -> None:
    """200 manual tags; tag i is on a share 0.1 % … 20 % of the customers, the
    customer decided by a hash of its id (the same customers every run)."""
    from django.utils import timezone

    from guanxi.customers.models import Tag

    now = timezone.now()
    stamp = now.isoformat(" ")
    _sql("DROP TABLE IF EXISTS temp.bench_ids")
    _sql(
        "CREATE TEMP TABLE bench_ids AS SELECT id FROM customers_customer "
        "INDEXED BY customer_manager_idx"
    )
    for i in range(BENCH_TAGS):
        name = f"bench-{i:03d}"
        tag, _ = Tag.objects.get_or_create(name=name)
        share = 0.001 + (0.2 - 0.001) * i / (BENCH_TAGS - 1)
        _sql(
            "INSERT INTO customers_customertag (customer_id, tag_id, source, "
            "added_by_id, added_at) SELECT id, %s, 'manual', NULL, %s FROM bench_ids "
            f"WHERE (id * 2654435761 + %s * 40503) %% {HASH_MOD} < %s "
            "ON CONFLICT DO NOTHING",
            [tag.pk, stamp, i, int(share * HASH_MOD)],
        )
    _sql("DROP TABLE bench_ids")
    from guanxi.customers.services import tag_counts_refresh

    tag_counts_refresh()


# --- write ---------------------------------------------------------------------


def _next_day(as_of: dt.date) -> dt.date:
    """Snapshots of the next day: the same, with 3 % of the customers in
    another stage and 2 % in another quadrant (a day's changes)."""
    from guanxi.insights.models import ScoreRun

    nxt = as_of + dt.timedelta(days=1)
    if ScoreRun.objects.filter(as_of=nxt).exists():
        return nxt
    columns = (
        "orders, total_spend, first_purchase, last_purchase, "
        "days_since_last_purchase, mean_gap_days, orders_30d, spend_30d, "
        "rfm_segment, current_value, potential_value, value_score, emotion, "
        "emotion_reasons, churn_risk, churn_reasons"
    )
    _sql(
        f"INSERT INTO insights_scoresnapshot (customer_id, as_of, {columns}, stage, "
        f"quadrant) SELECT customer_id, %s, {columns}, "
        "CASE WHEN (customer_id * 31) %% 100 < 3 THEN "
        "(CASE stage WHEN 'new' THEN 'growing' WHEN 'growing' THEN 'mature' "
        "WHEN 'mature' THEN 'at_risk' ELSE 'lapsed' END) ELSE stage END, "
        "CASE WHEN (customer_id * 37) %% 100 < 2 THEN "
        "(CASE quadrant WHEN 'basic' THEN 'potential' ELSE 'basic' END) "
        "ELSE quadrant END FROM insights_scoresnapshot WHERE as_of = %s",
        [nxt.isoformat(), as_of.isoformat()],
    )
    ScoreRun.objects.create(as_of=nxt, status="done")
    return nxt


def _naive(as_of: dt.date) -> Any:
    """Delete every automatic link, insert every wanted one (same rules)."""
    from django.db import connection, transaction

    from guanxi.customers.services import (
        AutomaticTagChange,
        AutomaticTagWriter,
        tag_counts_refresh,
        tags_automatic_ensure,
    )
    from guanxi.tags.rules import automatic_tags_write
    from guanxi.tags.selectors import tag_rules

    with transaction.atomic():
        writer = AutomaticTagWriter()
        automatic_tags_write(
            as_of=as_of,
            rules=tag_rules(),
            writer=writer,
            ensure=lambda specs: tags_automatic_ensure(specs=specs),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM customers_customertag WHERE tag_id IN "
                "(SELECT id FROM customers_tag WHERE kind = 'automatic')"
            )
            removed = cursor.rowcount
            cursor.execute(
                "INSERT INTO customers_customertag (customer_id, tag_id, source, "
                f"added_by_id, added_at) SELECT customer_id, tag_id, 'automatic', "
                f"NULL, %s FROM {writer.temp} WHERE true",
                [connection.ops.adapt_datetimefield_value(writer.now)],
            )
            added = cursor.rowcount
            cursor.execute(f"DROP TABLE {writer.temp}")
        tag_counts_refresh()
    return AutomaticTagChange(wanted=added, added=added, removed=removed)


def write(as_of: dt.date) -> None:
    from guanxi.tags.services import automatic_tags_refresh

    print(f"\n## Automatic tags at a run ({_load()})\n")
    print("| run | wall s | CPU s | links wanted | added | removed | peak MB |")
    print("|---|---|---|---|---|---|---|")
    _sql(
        "DELETE FROM customers_customertag WHERE tag_id IN "
        "(SELECT id FROM customers_tag WHERE kind = 'automatic')"
    )

    def run(label: str, action: Callable[[], Any]) -> None:
        clock = Clock()
        done = action()
        wall, cpu = clock.read()
        wanted = getattr(done, "automatic_links", None) or getattr(done, "wanted", 0)
        print(
            f"| {label} | {wall:.1f} | {cpu:.1f} | {wanted:,} | {done.added:,} "
            f"| {done.removed:,} | {_peak_mb():,.0f} |",
            flush=True,
        )

    run("first run (every link new)", lambda: automatic_tags_refresh(as_of=as_of))
    run("same date again (no change)", lambda: automatic_tags_refresh(as_of=as_of))
    nxt = _next_day(as_of)
    run(
        "next day (3 % stage, 2 % quadrant changed)",
        lambda: automatic_tags_refresh(as_of=nxt),
    )
    run("back to the first date", lambda: automatic_tags_refresh(as_of=as_of))
    run("naive: delete all, insert all", lambda: _naive(as_of))
    coverage = automatic_tags_refresh(as_of=as_of)
    print(
        f"\ncoverage: {coverage.covered_customers:,} of {coverage.active_customers:,} "
        f"active customers have {coverage.min_tags}+ tags "
        f"({coverage.percent or 0:.1f} %); {coverage.links:,} customer tags, "
        f"{coverage.automatic_links:,} automatic"
    )


# --- window --------------------------------------------------------------------


def window(as_of: dt.date) -> None:
    from django.db import transaction

    from guanxi.tags import rules as tag_rules_sql
    from guanxi.tags.selectors import tag_rules
    from guanxi.tags.window import window_pairs_read

    rules = tag_rules()
    print(f"\n## The preference window's pairs ({_load()})\n")
    print("| way | wall s | CPU s | pairs | peak MB |")
    print("|---|---|---|---|---|")

    def in_the_database() -> set[tuple[int, str]]:
        pairs: set[tuple[int, str]] = set()
        with transaction.atomic(), tag_rules_sql._temp_tables() as make:
            _c, _k, statements = tag_rules_sql._window_sql(
                as_of=as_of, rules=rules, make=make
            )
            for sql, params in statements:
                pairs.update((int(c), str(k)) for c, k in _sql(sql, params))
        return pairs

    def as_arrow() -> set[tuple[int, str]]:
        read = window_pairs_read(as_of=as_of, rules=rules)
        assert read is not None, "Arrow reads need the embedded SQLite file"
        return set(read.pairs)

    found = []
    for label, action in (
        ("in the database (SQLite temporary tables)", in_the_database),
        ("Arrow read, DuckDB", as_arrow),
    ):
        clock = Clock()
        pairs = action()
        wall, cpu = clock.read()
        found.append(pairs)
        print(
            f"| {label} | {wall:.1f} | {cpu:.1f} | {len(pairs):,} | {_peak_mb():,.0f} |",
            flush=True,
        )
    print(f"\nthe same pairs both ways: {found[0] == found[1]} ({_load()})")


# --- filter --------------------------------------------------------------------


def _timed(action: Callable[[], Any], n: int) -> tuple[list[float], list[float], Any]:
    result = action()  # warm the pages
    wall, cpu = [], []
    for _ in range(n):
        clock = Clock()
        result = action()
        w, c = clock.read()
        wall.append(w * 1000)
        cpu.append(c * 1000)
    return wall, cpu, result


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def filter_(repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef, QuerySet

    from guanxi.customers.models import Customer, CustomerTag, Tag
    from guanxi.customers.selectors import customer_filter_tags, customer_scope

    tags = {t.name: t for t in Tag.objects.filter(name__startswith="bench-")}
    common, middle, rare = tags["bench-199"], tags["bench-100"], tags["bench-002"]
    admin = get_user_model().objects.filter(is_superuser=True).first() or (
        get_user_model().objects.get(username="demo_admin")
    )
    manager = get_user_model().objects.get(username="demo_manager1")

    def ours(qs: QuerySet[Customer], has: list[Tag], has_not: list[Tag]) -> Any:
        return customer_filter_tags(
            qs, has=[t.pk for t in has], has_not=[t.pk for t in has_not]
        )

    def exists(qs: QuerySet[Customer], has: list[Tag], has_not: list[Tag]) -> Any:
        for t in has:
            qs = qs.filter(
                Exists(CustomerTag.objects.filter(customer_id=OuterRef("pk"), tag=t))
            )
        for t in has_not:
            qs = qs.exclude(
                Exists(CustomerTag.objects.filter(customer_id=OuterRef("pk"), tag=t))
            )
        return qs

    def join(qs: QuerySet[Customer], has: list[Tag], has_not: list[Tag]) -> Any:
        for t in has:
            qs = qs.filter(tags__name=t.name)
        for t in has_not:
            qs = qs.exclude(tags__name=t.name)
        return qs.distinct()

    questions = [
        ("one tag, 20 %", [common], []),
        ("one tag, 10 %", [middle], []),
        ("one tag, 0.3 %", [rare], []),
        ("two tags (20 % and 10 %)", [common, middle], []),
        ("20 % without 10 %", [common], [middle]),
    ]
    print(f"\n## Filtering by tags ({_load()})\n")
    print(
        "| question | who | way | count | count ms (median / p95) "
        "| first page ms (median / p95) | CPU ms (count + page, median) |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, has, has_not in questions:
        for who, actor in (("admin", admin), ("account manager", manager)):
            base = customer_scope(actor=actor).order_by("-id")
            answers = set()
            for way, build in (
                ("ours: id IN", ours),
                ("EXISTS", exists),
                ("join by name", join),
            ):
                qs = build(base, has, has_not)
                cw, cc, count = _timed(lambda qs=qs: qs.count(), repeat)
                pw, pc, page = _timed(
                    lambda qs=qs: list(qs.values_list("id", flat=True)[:50]), repeat
                )
                answers.add((count, tuple(page)))
                print(
                    f"| {label} | {who} | {way} | {count:,} "
                    f"| {statistics.median(cw):.0f} / {_p95(cw):.0f} "
                    f"| {statistics.median(pw):.0f} / {_p95(pw):.0f} "
                    f"| {statistics.median(cc) + statistics.median(pc):.0f} |",
                    flush=True,
                )
            assert len(answers) == 1, f"the ways disagree on {label} for {who}"


def phase(as_of: dt.date) -> None:
    """The tags phase of a run alone (``automatic_tags_refresh``, as the
    receiver runs it), each statement on Django's connection timed; the
    preference window (its own connection) timed as one part. Run it in a
    fresh process (under ``/usr/bin/time -v`` for the peak): the peak is the
    process's."""
    from django.db import connection

    from guanxi.tags import services

    statements: list[tuple[float, float, str]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        clock = Clock()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((*clock.read(), " ".join(sql.split())[:100]))

    read = services.window_pairs_read
    window_time: list[tuple[float, float]] = []

    def window_read(**named: Any) -> Any:
        clock = Clock()
        pairs = read(**named)
        window_time.append(clock.read())
        return pairs

    services.window_pairs_read = window_read
    clock = Clock()
    with connection.execute_wrapper(timed):
        coverage = services.automatic_tags_refresh(as_of=as_of)
    wall, cpu = clock.read()
    print(
        f"tags phase: {wall:.1f} s wall, {cpu:.1f} CPU s, peak {_peak_mb():,.0f} MB; "
        f"added {coverage.added:,}, removed {coverage.removed:,}, "
        f"automatic links {coverage.automatic_links:,}; {_load()}"
    )
    for part_wall, part_cpu in window_time:
        print(
            f"  window (Arrow reads, DuckDB): {part_wall:.1f} s, {part_cpu:.1f} CPU s"
        )
    for part_wall, part_cpu, sql in sorted(statements, reverse=True)[:15]:
        print(f"  {part_wall:7.1f} s {part_cpu:6.1f} CPU s  {sql}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument(
        "step", choices=["prepare", "write", "window", "phase", "filter", "all"]
    )
    args = parser.parse_args()
    _setup(args.data_dir)
    from django.db import connection

    with connection.cursor() as cursor:  # as a big run has it (core.bulk)
        cursor.execute("PRAGMA cache_size=-262144")
    print(f"# bench_tags, {dt.datetime.now():%Y-%m-%d %H:%M}, {_load()}")
    if args.step in ("prepare", "all"):
        prepare(args.as_of)
    if args.step in ("write", "all"):
        write(args.as_of)
    if args.step in ("window", "all"):
        window(args.as_of)
    if args.step == "phase":
        phase(args.as_of)
    if args.step in ("filter", "all"):
        filter_(args.repeat)


if __name__ == "__main__":
    main()
