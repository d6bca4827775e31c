"""Benchmark: evaluating every date and schedule trigger of the journeys over
many customers, and what journeys add to an order import.

Fills a fresh data folder (migrated on first use) with ``--customers``
customers: a birth month spread over the year, a first and last purchase
spread over the past year, and one finished scoring run (the day before)
with a snapshot each (every 10th a star, a purchase rhythm of 20–59 days).
Six journeys are switched on, one per date and schedule trigger: the
birthday month, the anniversary of the first purchase, 30 days after the
last purchase, the expected next purchase, the repurchase reminder (expected
next purchase, else 30 days) and a monthly schedule over the shipped star
segment; each starts with a 7-day wait, so a run measures whom the triggers
pick and enrol. Times ``journeys_run`` for the day twice (wall and CPU
seconds of this process, and on PostgreSQL the server's CPU seconds): the
first run enrols, the second finds nothing new.

``--orders N`` (0 to skip) then imports files of N orders each for the
same customers (``guanxi import orders``, a subprocess: wall and CPU of the
child), alternating ``--rounds`` times: every journey switched off, then a
purchase-triggered journey and an exit-on-purchase journey on (the cost of
the journeys' order hook per 1,000 orders; after each "on" import, the
pending work it recorded is done here, as the task worker would, and
timed), and times the hook alone.
``--distinct``: each file's N orders belong to N different customers of the
database, new ones for every file (written by their phone numbers), so the
hook works for as many customers as orders; ``--all-on`` leaves every
journey that was on switched on in the "on" imports. The purchase-triggered
journey counts purchases from two days before each "on" import (the orders
are dated up to 20 hours back). ``--hook-only`` times the hook alone and
nothing else.

The hook alone: 1,000 and 5,000 customers sampled from the whole database
(different ones each call), marked as having just bought (committed, not
timed), then the import's part (recording the pending work, committed, the
task queued) and the worker's part (doing it: its inserts and updates are
timed with their commit), and both again for the same customers (nobody
enters or leaves then: the cost of deciding alone); median CPU of 10 calls
each.

On PostgreSQL the customers and snapshots are made by the server
(``INSERT … SELECT`` over ``generate_series``, one transaction) and the
server's CPU seconds are printed beside each run's. ``--reuse`` keeps the
customers (and scores) already in the database, e.g. a copy of a scored
demo database.

Usage::

    python bench/bench_journeys.py --data-dir /tmp/journeys-bench \
        [--customers 1000000] [--orders 20000] [--rounds 2] [--reuse] \
        [--distinct] [--all-on] [--hook-only]

Set ``DATABASE_URL`` to run it on PostgreSQL. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_import import HEADER, generate
from bench_messaging import _pg_cpu

DAY = dt.date(2027, 3, 1)
CHUNK = 20_000


def _fill(customers: int) -> None:
    from django.utils import timezone

    from guanxi.customers.models import Customer
    from guanxi.insights.models import ScoreRun, ScoreSnapshot

    tz = timezone.get_current_timezone()
    rows = []
    for i in range(customers):
        bought = dt.datetime.combine(
            DAY - dt.timedelta(days=1 + i % 365), dt.time(12), tzinfo=tz
        )
        rows.append(
            Customer(
                name=f"客户{i}",
                birth_month=1 + i % 12,
                purchase_count=1 + i % 5,
                first_purchase_at=bought - dt.timedelta(days=i % 700),
                last_purchase_at=bought,
            )
        )
        if len(rows) == CHUNK:
            Customer.objects.bulk_create(rows)
            rows = []
    Customer.objects.bulk_create(rows)
    scored = DAY - dt.timedelta(days=1)
    ScoreRun.objects.create(as_of=scored, status="done", customers=customers)
    snaps = []
    for n, pk in enumerate(
        Customer.objects.order_by("pk").values_list("pk", flat=True)
    ):
        snaps.append(
            ScoreSnapshot(
                customer_id=pk,
                as_of=scored,
                quadrant="star" if n % 10 == 0 else "basic",
                stage="mature",
                emotion="fan",
                mean_gap_days=float(20 + n % 40),
                days_since_last_purchase=n % 365,
                current_value=float(n % 1000),
            )
        )
        if len(snaps) == CHUNK:
            ScoreSnapshot.objects.bulk_create(snaps)
            snaps = []
    ScoreSnapshot.objects.bulk_create(snaps)


def _insert_select(model: Any, values: dict[str, str], source: str) -> None:
    """``INSERT INTO model SELECT …`` in the server: the columns of
    ``values`` (SQL expressions over ``source``), every other one its
    field's default."""
    from django.db import connection

    columns, exprs, args = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in values:
            exprs.append(values[f.column])
        else:
            exprs.append("%s")
            args.append(f.get_db_prep_save(f.get_default(), connection))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(exprs)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, args)


def _fill_postgres(customers: int) -> None:
    """The same customers and snapshots as :func:`_fill`, made by the server
    (``INSERT … SELECT`` over ``generate_series``, one transaction): one
    customer is written by the application, the others copy its encrypted
    name (the triggers read no names)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from guanxi.customers.models import Customer
    from guanxi.insights.models import ScoreRun, ScoreSnapshot

    tz = timezone.get_current_timezone()
    noon = dt.datetime.combine(DAY, dt.time(12), tzinfo=tz)
    scored = DAY - dt.timedelta(days=1)
    with transaction.atomic():
        first = Customer.objects.create(
            name="客户0",
            birth_month=1,
            purchase_count=1,
            first_purchase_at=noon - dt.timedelta(days=1),
            last_purchase_at=noon - dt.timedelta(days=1),
        )
        bought = (
            f"(TIMESTAMPTZ '{noon.isoformat()}' "
            "- make_interval(days => 1 + mod(i, 365)::int))"
        )
        _insert_select(
            Customer,
            {
                "created_at": "t.created_at",
                "updated_at": "t.updated_at",
                "name": "t.name",
                "birth_month": "1 + mod(i, 12)",
                "purchase_count": "1 + mod(i, 5)",
                "first_purchase_at": f"{bought} - make_interval(days => mod(i, 700)::int)",
                "last_purchase_at": bought,
            },
            f"generate_series(1, {customers - 1}) i, "
            f"(SELECT * FROM customers_customer WHERE id = {first.pk}) t",
        )
        ScoreRun.objects.create(as_of=scored, status="done", customers=customers)
        _insert_select(
            ScoreSnapshot,
            {
                "customer_id": "c.id",
                "as_of": f"DATE '{scored.isoformat()}'",
                "quadrant": "CASE WHEN mod(c.n, 10) = 0 THEN 'star' ELSE 'basic' END",
                "stage": "'mature'",
                "emotion": "'fan'",
                "mean_gap_days": "20 + mod(c.n, 40)",
                "days_since_last_purchase": "mod(c.n, 365)",
                "current_value": "mod(c.n, 1000)",
            },
            "(SELECT id, row_number() OVER (ORDER BY id) - 1 AS n "
            "FROM customers_customer) c",
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _journeys() -> None:
    from guanxi.journeys.models import Enrolment, Journey
    from guanxi.journeys.services import journey_create, journey_set_state
    from guanxi.segments.models import Segment

    Enrolment.objects.all().delete()
    Journey.objects.update(current_version=None)
    Journey.objects.all().delete()
    star = Segment.objects.get(name="明星客户 Star").pk
    wait = [{"id": "wait", "type": "wait", "duration": {"days": 7}}]
    for slug, trigger, rule in (
        ("bench-birthday", {"type": "date", "field": "birthday"}, "per_period"),
        (
            "bench-anniversary",
            {"type": "date", "field": "first_purchase_anniversary"},
            "reentry",
        ),
        (
            "bench-30-days",
            {"type": "date", "field": "days_after_last_purchase", "days": 30},
            "reentry",
        ),
        (
            "bench-expected",
            {"type": "date", "field": "expected_next_purchase"},
            "reentry",
        ),
        (
            "bench-repurchase",
            {"type": "date", "field": "repurchase_due", "days": 30},
            "reentry",
        ),
        (
            "bench-vip",
            {"type": "schedule", "segment": star, "every": "month"},
            "per_period",
        ),
    ):
        journey_create(
            actor=None,
            slug=slug,
            name_zh=slug,
            name_en=slug,
            definition={"trigger": trigger, "steps": wait},
            entry_rule=rule,
            entry_period="month" if slug == "bench-vip" else "year",
        )
        journey_set_state(actor=None, slug=slug, on=True)
    Journey.objects.update(enabled_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _recent(source: Path, target: Path, prefix: str) -> None:
    """``source`` with new order ids and every order within the last day."""
    rng = random.Random(prefix)
    now = dt.datetime.now()
    with (
        source.open(encoding="utf-8") as inp,
        target.open("w", encoding="utf-8") as out,
    ):
        reader, writer = csv.reader(inp), csv.writer(out)
        writer.writerow(next(reader))
        for row in reader:
            row[0] = prefix + row[0]
            when = now - dt.timedelta(minutes=rng.randrange(10, 60 * 20))
            row[1] = when.strftime("%Y-%m-%d %H:%M:%S")
            writer.writerow(row)


def _distinct(target: Path, customers: list[int], prefix: str) -> None:
    """One order for each of ``customers`` (by phone number and name), paid,
    dated within the last day."""
    from guanxi.customers.models import Customer

    rng = random.Random(prefix)
    now = dt.datetime.now()
    people = Customer.objects.filter(pk__in=customers).values_list("phone", "name")
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n, (phone, name) in enumerate(people):
            when = now - dt.timedelta(minutes=rng.randrange(10, 60 * 20))
            writer.writerow(
                [
                    f"{prefix}{n:08d}",
                    when.strftime("%Y-%m-%d %H:%M:%S"),
                    f"¥{rng.randrange(1000, 200000) / 100:,.2f}",
                    "CNY",
                    "已付款",
                    "线上商城",
                    "web",
                    phone,
                    name,
                    "",
                ]
            )


def _samples(count: int, size: int, seed: int) -> list[list[int]]:
    """``count`` disjoint samples of ``size`` customers' ids."""
    from guanxi.customers.models import Customer

    ids = list(Customer.objects.values_list("pk", flat=True))
    chosen = random.Random(seed).sample(ids, count * size)
    return [chosen[n * size : (n + 1) * size] for n in range(count)]


def _imports(
    data_dir: Path, orders: int, rounds: int, *, distinct: bool, all_on: bool
) -> None:
    from django.utils import timezone

    from guanxi.journeys.models import Journey
    from guanxi.journeys.services import journey_create, journey_set_state

    env = {**os.environ, "GUANXI_DATA_DIR": str(data_dir)}
    python = sys.executable
    base = data_dir / "orders-base.csv"
    cli = [python, "-m", "guanxi.cli", "import", "orders"]
    was_on = list(Journey.objects.filter(state="on").values_list("slug", flat=True))
    samples = _samples(2 * rounds, orders, seed=int(time.time())) if distinct else []
    if not distinct:
        generate(base, orders, seed=11)
        _run([*cli, str(base), "--json"], env)  # the customers
    bench = ("bench-purchase", "bench-leave")
    for slug, trigger, leave in (
        (bench[0], {"type": "event", "event": "purchase"}, False),
        (bench[1], {"type": "date", "field": "birthday"}, True),
    ):
        if not Journey.objects.filter(slug=slug).exists():
            journey_create(
                actor=None,
                slug=slug,
                name_zh=slug,
                name_en=slug,
                definition={
                    "trigger": trigger,
                    "steps": [{"id": "wait", "type": "wait", "duration": {"days": 7}}],
                },
                entry_rule="reentry",
                exit_on_purchase=leave,
            )
    figures: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
    stamp = time.strftime("%H%M%S")
    for n in range(rounds):
        for label in ("off", "on"):
            target = data_dir / f"orders-{label}-{n}.csv"
            prefix = f"{label.upper()}{stamp}{n}-"
            if distinct:
                _distinct(target, samples.pop(), prefix)
            else:
                _recent(base, target, prefix)
            Journey.objects.update(state="off")
            if label == "on":
                for slug in sorted({*bench, *(was_on if all_on else [])}):
                    journey_set_state(actor=None, slug=slug, on=True)
                # The orders are dated up to 20 hours back: count from before.
                Journey.objects.filter(slug__in=bench).update(
                    enabled_at=timezone.now() - dt.timedelta(days=2)
                )
            wall, cpu = _run([*cli, str(target), "--json"], env)
            figures[label].append((wall, cpu))
            if label == "on":  # the task worker's part, here
                _worker(orders)
            print(
                f"round {n + 1}, journeys {label}: {wall:.2f} s wall, {cpu:.2f} s CPU"
                f"  load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    for slug in was_on:
        journey_set_state(actor=None, slug=slug, on=True)
    _hook()
    per = 1000 / orders
    for label in ("off", "on"):
        walls = [w for w, _c in figures[label]]
        cpus = [c for _w, c in figures[label]]
        print(
            f"import {orders} orders, journeys {label}: mean "
            f"{sum(walls) / len(walls):.2f} s wall, {sum(cpus) / len(cpus):.2f} s CPU"
        )
    pairs = [
        (on[1] - off[1]) * per * 1000
        for off, on in zip(figures["off"], figures["on"], strict=True)
    ]
    print(
        "difference on - off per 1,000 orders, CPU ms by round: "
        + ", ".join(f"{d:.1f}" for d in pairs)
    )


def _worker(orders: int) -> None:
    """Do the pending work an import left (what the task worker does)."""
    from guanxi.journeys.pending import purchases_pending_drain

    started, cpu = time.perf_counter(), time.process_time()
    counts = purchases_pending_drain()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"  worker: {counts.done} pending, {counts.entered} entered, "
        f"{counts.advanced} moved on: {wall:.2f} s wall, {cpu:.2f} s CPU, "
        f"{cpu * 1e6 / orders:.1f} ms CPU per 1,000 orders",
        flush=True,
    )


def _hook() -> None:
    """What journeys add to a write of orders, in this process, for 1,000
    and for 5,000 customers who just bought, sampled from the whole
    database (an import where every order is a different customer's sends
    as many customers as orders): the import's part (recording the pending
    work in a transaction of its own, with its commit and the task queued)
    and the task worker's part (doing it), median CPU of ten calls each, of
    a first write (A: each enters the purchase-triggered journeys on, some
    leave) and of a second one for the same customers (B: nobody enters or
    leaves)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from guanxi.customers.models import Customer
    from guanxi.journeys.engine import id_list
    from guanxi.journeys.pending import (
        purchases_pending_drain,
        purchases_pending_record,
    )

    purchases_pending_drain()  # what earlier runs left
    seed = int(time.time())  # new customers each time the bench runs
    for size, part in zip(
        (1000, 5000),
        (_samples(11, 1000, seed=seed), _samples(11, 5000, seed=seed + 1)),
        strict=True,
    ):
        figures: dict[str, list[float]] = {}
        for n, ids in enumerate(part):
            Customer.objects.filter(pk__in=id_list(ids)).update(
                last_purchase_at=timezone.now()
            )
            if connection.vendor == "sqlite":  # its own writes' pages, not these
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            for label in ("A", "B"):
                cpu = time.process_time()
                with transaction.atomic():
                    purchases_pending_record(None, customer_ids=ids)
                recorded = time.process_time() - cpu
                cpu = time.process_time()
                purchases_pending_drain()
                worked = time.process_time() - cpu
                if n:  # the first call reads the definitions
                    figures.setdefault(f"import {label}", []).append(recorded)
                    figures.setdefault(f"worker {label}", []).append(worked)
        for key, cpus in figures.items():
            what = "just bought" if key.endswith("A") else "again, nobody enters"
            cpus = sorted(cpus)
            ms = cpus[len(cpus) // 2] * 1000
            print(
                f"order hook per {size:,} customers, {key} ({what}): median "
                f"{ms:.1f} ms CPU, {ms * 1000 / size:.2f} ms per 1,000 "
                f"(of {len(cpus)}), load {os.getloadavg()[0]:.1f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating off/on imports"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the customers already in the database (no fill, no scores)",
    )
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="every order of a file is a different customer's (of the database)",
    )
    parser.add_argument(
        "--all-on",
        action="store_true",
        help="keep every journey that was on switched on in the 'on' imports",
    )
    parser.add_argument(
        "--hook-only", action="store_true", help="time the order hook alone"
    )
    parser.add_argument(
        "--no-runs",
        action="store_true",
        help="keep the journeys as they are and skip the scheduler's two runs",
    )
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["GUANXI_DATA_DIR"] = str(args.data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from guanxi.customers.models import Customer
    from guanxi.insights.models import ScoreRun
    from guanxi.journeys.models import Enrolment, Journey
    from guanxi.journeys.services import journeys_run

    call_command("migrate", verbosity=0)
    if args.hook_only:
        _hook()
        print(f"load average: {os.getloadavg()}")
        return
    if not args.reuse and Customer.objects.count() != args.customers:
        Enrolment.objects.all().delete()
        Journey.objects.update(current_version=None)
        Journey.objects.all().delete()
        ScoreRun.objects.all().delete()
        Customer.objects.all().delete()
        start = time.perf_counter()
        if connection.vendor == "postgresql":
            _fill_postgres(args.customers)
        else:
            _fill(args.customers)
        print(
            f"filled {args.customers} customers and snapshots in "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
    for label in () if args.no_runs else ("first run", "second run"):
        if label == "first run":
            _journeys()
        pg, load = _pg_cpu(), os.getloadavg()[0]
        start, cpu = time.perf_counter(), time.process_time()
        counts = journeys_run(as_of=DAY).as_dict()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        server = "" if pg is None else f", PostgreSQL {(_pg_cpu() or 0) - pg:.2f} s CPU"
        print(
            f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU{server}, load {load:.1f} "
            f"→ {os.getloadavg()[0]:.1f}  {counts}",
            flush=True,
        )
    print(f"load average: {os.getloadavg()}")
    if args.orders:
        _imports(
            args.data_dir,
            args.orders,
            args.rounds,
            distinct=args.distinct,
            all_on=args.all_on,
        )
        print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
