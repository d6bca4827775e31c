"""Benchmark: the ticket inbox with 50,000 open tickets.

Fills a fresh data folder (migrated on first use) with ``--tickets``
customers, each with one open ticket (half of them an account manager's, the
rest the service user's by turn), opened over the last 30 days, a fifth of
them past their clocks. Then times, through Django's full request stack (the
test client calls the WSGI handler directly; no network), the inbox of the
service user (every open ticket, newest first), the overdue filter, a
category filter, a deep page, the account manager's (scoped to their
customers) and the analyst's (texts masked). Reports wall and CPU
milliseconds per request, median and p95 (CPU is the steadier figure on a
shared machine). Target: the inbox p95 ≤ 150 ms.

Usage::

    python bench/bench_feedback.py --data-dir /tmp/feedback-bench [--tickets 50000] [--requests 30]

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


def _user(username: str, role: Any) -> Any:
    from django.contrib.auth import get_user_model

    from guanxi.access.services import staff_user_create

    found = get_user_model().objects.filter(username=username).first()
    return found or staff_user_create(
        username=username, password="bench-pass-123", role=role
    )


def _fill(tickets: int) -> None:
    from django.utils import timezone

    from guanxi.access.choices import Role
    from guanxi.customers.models import Customer
    from guanxi.customers.services import customer_apply_contact
    from guanxi.feedback.models import Ticket

    service = _user("bench-service", Role.SERVICE)
    manager = _user("bench-manager", Role.ACCOUNT_MANAGER)
    _user("bench-analyst", Role.ANALYST)
    if Ticket.objects.filter(status="new").count() >= tickets:
        return
    rng = random.Random(7)
    surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜敏静丽强磊军洋"
    categories = ["complaint", "suggestion", "question", "praise"]
    now = timezone.now()
    for start in range(0, tickets, 5000):
        customers = []
        for i in range(start, min(tickets, start + 5000)):
            customer = Customer(
                name=rng.choice(surnames) + rng.choice(given) + rng.choice(given),
                phone=f"+86139{i:08d}",
                assigned_manager=manager if i % 2 else None,
            )
            customer_apply_contact(customer)
            customers.append(customer)
        Customer.objects.bulk_create(customers, batch_size=1000)
        rows = []
        for i, c in enumerate(customers, start=start):
            opened = now - dt.timedelta(minutes=rng.randint(0, 30 * 24 * 60))
            late = i % 5 == 0
            rows.append(
                Ticket(
                    customer=c,
                    owner=manager if i % 2 else service,
                    round_robin=not i % 2,
                    category=categories[i % 4],
                    channel="phone",
                    text=f"{c.name}：快递三天还没到，电话 139{i:08d}，订单 {i}",
                    source="staff",
                    opened_at=opened,
                    first_reply_due=opened
                    + dt.timedelta(hours=-1 if late else 24 * 40),
                    solve_due=opened + dt.timedelta(hours=1 if late else 24 * 40),
                )
            )
        Ticket.objects.bulk_create(rows, batch_size=1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30)
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

    from guanxi.feedback.models import Ticket

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    _fill(args.tickets)
    print(
        f"{Ticket.objects.filter(status='new').count():,} open tickets on "
        f"{connection.vendor} (filled in {time.perf_counter() - started:.1f} s)"
    )
    users = get_user_model().objects
    clients: dict[str, Client] = {}
    for username in ("bench-service", "bench-manager", "bench-analyst"):
        client = Client(headers={"Accept-Language": "zh-hans"})
        client.force_login(users.get(username=username))
        clients[username] = client
    cases = [
        ("inbox, open tickets", "bench-service", "/feedback/"),
        ("inbox, overdue", "bench-service", "/feedback/?overdue=1"),
        ("inbox, complaints", "bench-service", "/feedback/?category=complaint"),
        ("inbox, page 100", "bench-service", "/feedback/?page=100"),
        ("inbox, account manager (scoped)", "bench-manager", "/feedback/"),
        ("inbox, analyst (masked)", "bench-analyst", "/feedback/"),
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
