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
import random
import time
from pathlib import Path

from pages import bench_user, django_in, time_pages


def _fill(tickets: int) -> None:
    from django.utils import timezone

    from guanxi.access.choices import Role
    from guanxi.customers.models import Customer
    from guanxi.customers.services import customer_apply_contact
    from guanxi.feedback.models import Ticket

    service = bench_user("bench-service", Role.SERVICE)
    manager = bench_user("bench-manager", Role.ACCOUNT_MANAGER)
    bench_user("bench-analyst", Role.ANALYST)
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
    django_in(args.data_dir)
    from django.db import connection

    from guanxi.feedback.models import Ticket

    started = time.perf_counter()
    _fill(args.tickets)
    print(
        f"{Ticket.objects.filter(status='new').count():,} open tickets on "
        f"{connection.vendor} (filled in {time.perf_counter() - started:.1f} s)"
    )
    cases = [
        ("inbox, open tickets", "bench-service", "/feedback/"),
        ("inbox, overdue", "bench-service", "/feedback/?overdue=1"),
        ("inbox, complaints", "bench-service", "/feedback/?category=complaint"),
        ("inbox, page 100", "bench-service", "/feedback/?page=100"),
        ("inbox, account manager (scoped)", "bench-manager", "/feedback/"),
        ("inbox, analyst (masked)", "bench-analyst", "/feedback/"),
    ]
    time_pages(cases, args.requests)


if __name__ == "__main__":
    main()
