"""Benchmark: evaluating the journeys' date triggers over many customers.

Fills a fresh data folder (migrated on first use) with ``--customers``
customers: a birth month spread over the year, and a last purchase spread
over the past year (so about 1/365 of them bought exactly 30 days before the
run's day). Two journeys are switched on: the birthday month (tag, once a
year) and 30 days after the last purchase (a wait of 7 days). Times
``journeys_run`` for the day twice: the first run enrols (one
``INSERT … SELECT`` per journey) and runs the first steps; the second finds
nothing new (the constraints keep everyone out). Target in the issue: all
date and schedule triggers over 1,000,000 customers ≤ 60 s on SQLite.

Usage::

    python bench/bench_journeys.py --data-dir /tmp/journeys-bench [--customers 100000]

Set ``DATABASE_URL`` to run it on PostgreSQL. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

DAY = dt.date(2027, 3, 1)


def _fill(customers: int) -> None:
    from django.utils import timezone

    from guanxi.customers.models import Customer

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
                purchase_count=1,
                first_purchase_at=bought,
                last_purchase_at=bought,
            )
        )
        if len(rows) == 5000:
            Customer.objects.bulk_create(rows)
            rows = []
    Customer.objects.bulk_create(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["GUANXI_DATA_DIR"] = str(args.data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from guanxi.customers.models import Customer
    from guanxi.journeys.models import Enrolment, Journey
    from guanxi.journeys.services import (
        journey_create,
        journey_set_state,
        journeys_run,
    )

    call_command("migrate", verbosity=0)
    if Customer.objects.count() != args.customers:
        Enrolment.objects.all().delete()
        Journey.objects.all().delete()
        Customer.objects.all().delete()
        start = time.perf_counter()
        _fill(args.customers)
        print(
            f"filled {args.customers} customers in {time.perf_counter() - start:.1f} s"
        )
    Enrolment.objects.all().delete()
    Journey.objects.all().delete()
    for slug, trigger, steps, rule in (
        (
            "bench-birthday",
            {"type": "date", "field": "birthday"},
            [{"id": "tag", "type": "add_tag", "tag": "生日月"}],
            "per_period",
        ),
        (
            "bench-winback",
            {"type": "date", "field": "days_after_last_purchase", "days": 30},
            [{"id": "wait", "type": "wait", "duration": {"days": 7}}],
            "reentry",
        ),
    ):
        journey_create(
            actor=None,
            slug=slug,
            name_zh=slug,
            name_en=slug,
            definition={"trigger": trigger, "steps": steps},
            entry_rule=rule,
        )
        journey_set_state(actor=None, slug=slug, on=True)
    Journey.objects.update(enabled_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    for label in ("first run", "second run"):
        start = time.perf_counter()
        counts = journeys_run(as_of=DAY).as_dict()
        wall = time.perf_counter() - start
        print(f"{label}: {wall:.2f} s  {counts}")


if __name__ == "__main__":
    main()
