"""Benchmark: the care inbox ("Today") with 10,000 open tasks.

Fills a fresh data folder (migrated on first use) with ``--tasks`` customers,
each with a warning and an open care task due today or in the last days: half
of them an account manager's, half the service user's. Then times, through
Django's full request stack (the test client calls the WSGI handler directly;
no network), the inbox of the service user (their own tasks), the team's
inbox (every open task), the account manager's (scoped to their customers),
the header's count and the win-back report over every warning. Reports wall
and CPU milliseconds per request, median and p95 (CPU is the steadier figure
on a shared machine). Target: the inbox p95 ≤ 150 ms.

Usage::

    python bench/bench_care.py --data-dir /tmp/care-inbox-bench [--tasks 10000] [--requests 50]

Set ``DATABASE_URL`` to run it on PostgreSQL. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from pathlib import Path

from pages import bench_user, django_in, time_pages


def _fill(tasks: int) -> None:
    from django.utils import timezone

    from guanxi.access.choices import Role
    from guanxi.care.models import CareTask, ChurnWarning
    from guanxi.customers.models import Customer
    from guanxi.customers.services import customer_apply_contact

    if CareTask.objects.filter(status="open").count() >= tasks:
        return
    service = bench_user("bench-service", Role.SERVICE)
    manager = bench_user("bench-manager", Role.ACCOUNT_MANAGER)
    rng = random.Random(7)
    surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜敏静丽强磊军洋"
    customers = []
    for i in range(tasks):
        customer = Customer(
            name=rng.choice(surnames) + rng.choice(given) + rng.choice(given),
            phone=f"+86139{i:08d}",
            assigned_manager=manager if i % 2 else None,
        )
        customer_apply_contact(customer)
        customers.append(customer)
    Customer.objects.bulk_create(customers, batch_size=1000)
    today = timezone.localdate()
    warnings = ChurnWarning.objects.bulk_create(
        [
            ChurnWarning(
                customer=c,
                signals={
                    "no_purchase": {"as_of": today.isoformat(), "days": 30 + i % 20}
                },
                opened_as_of=today,
                as_of=today,
            )
            for i, c in enumerate(customers)
        ],
        batch_size=1000,
    )
    CareTask.objects.bulk_create(
        [
            CareTask(
                warning=w,
                customer=c,
                owner=manager if i % 2 else service,
                round_robin=not i % 2,
                priority=rng.randint(1, 4),
                due_on=today - dt.timedelta(days=rng.randint(0, 3)),
                remedy="coupon",
            )
            for i, (w, c) in enumerate(zip(warnings, customers, strict=True))
        ],
        batch_size=1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    django_in(args.data_dir)
    from django.db import connection

    from guanxi.care.models import CareTask

    started = time.perf_counter()
    _fill(args.tasks)
    print(
        f"{CareTask.objects.filter(status='open').count():,} open tasks on "
        f"{connection.vendor} (filled in {time.perf_counter() - started:.1f} s)"
    )
    cases = [
        ("inbox, own tasks", "bench-service", "/care/today/"),
        ("inbox, the team's", "bench-service", "/care/today/?team=1"),
        ("inbox, account manager (scoped)", "bench-manager", "/care/today/"),
        ("header count", "bench-service", "/care/today/count/"),
        ("win-back report (all warnings)", "bench-service", "/care/report/"),
    ]
    time_pages(cases, args.requests)


if __name__ == "__main__":
    main()
