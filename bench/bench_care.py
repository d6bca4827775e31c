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
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _timed(action: Callable[[], Any], n: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``n`` calls (after two warm-up calls)."""
    action()
    action()
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _fill(tasks: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from guanxi.access.choices import Role
    from guanxi.access.services import staff_user_create
    from guanxi.care.models import CareTask, ChurnWarning
    from guanxi.customers.models import Customer
    from guanxi.customers.services import customer_apply_contact

    if CareTask.objects.filter(status="open").count() >= tasks:
        return
    users = get_user_model().objects
    service = users.filter(username="bench-service").first() or staff_user_create(
        username="bench-service", password="bench-pass-123", role=Role.SERVICE
    )
    manager = users.filter(username="bench-manager").first() or staff_user_create(
        username="bench-manager", password="bench-pass-123", role=Role.ACCOUNT_MANAGER
    )
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
    os.environ["GUANXI_DATA_DIR"] = str(args.data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from guanxi.care.models import CareTask

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    _fill(args.tasks)
    print(
        f"{CareTask.objects.filter(status='open').count():,} open tasks on "
        f"{connection.vendor} (filled in {time.perf_counter() - started:.1f} s)"
    )
    users = get_user_model().objects
    clients: dict[str, Client] = {}
    for username in ("bench-service", "bench-manager"):
        client = Client(headers={"Accept-Language": "zh-hans"})
        client.force_login(users.get(username=username))
        clients[username] = client
    cases = [
        ("inbox, own tasks", "bench-service", "/care/today/"),
        ("inbox, the team's", "bench-service", "/care/today/?team=1"),
        ("inbox, account manager (scoped)", "bench-manager", "/care/today/"),
        ("header count", "bench-service", "/care/today/count/"),
        ("win-back report (all warnings)", "bench-service", "/care/report/"),
    ]
    print("| page | user | requests | wall p50 | wall p95 | CPU p50 | CPU p95 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, username, url in cases:
        client = clients[username]

        def get(c: Client = client, u: str = url) -> None:
            answer = c.get(u)
            assert answer.status_code == 200, (u, answer.status_code)

        wall, cpu = _timed(get, args.requests)
        print(
            f"| {label} | {username} | {args.requests} | "
            f"{statistics.median(wall):.1f} | {_p95(wall):.1f} | "
            f"{statistics.median(cpu):.1f} | {_p95(cpu):.1f} |"
        )


if __name__ == "__main__":
    main()
