"""Benchmark: the web pages in-process, per role, on a database ``guanxi demo`` filled.

Times, through Django's full request stack (middleware, session, templates; no
network: the test client calls the WSGI handler directly), for an admin, an
operations user (masked), an account manager (scoped) and an analyst
(pseudonymous): the customer list (first page, next page by keyset cursor),
search by phone (random customers' numbers written ``138 0013 8000``) and by two
characters of a name, the customer detail with its timeline, the order list
(first page, filtered by status), and the dashboard cold and cached. Reports wall
and CPU time per request (CPU is the steadier figure on a shared machine).
``bench/bench_web.py`` is the load test (locust against ``guanxi start``).

Usage::

    GUANXI_DATA_DIR=/tmp/demo guanxi demo --customers 100000
    python bench/bench_web_pages.py --data-dir /tmp/demo [--requests 20]

Results go to stdout as a Markdown table (docs/benchmarks/web-pages.md).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _setup(data_dir: Path) -> None:
    os.environ["GUANXI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()


def _timed(action: Callable[[], Any], n: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``n`` calls (after one warm-up call)."""
    action()  # warm the template cache and the database pages
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def _row(name: str, role: str, timed: tuple[list[float], list[float]]) -> str:
    wall, cpu = timed
    return (
        f"| {name} | {role} | {len(wall)} | {statistics.median(wall):.1f} "
        f"| {_p95(wall):.1f} | {statistics.median(cpu):.1f} | {_p95(cpu):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    _setup(args.data_dir)

    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    from guanxi.customers.models import Customer
    from guanxi.customers.selectors import customer_scope

    rng = random.Random(args.seed)
    users = {
        "admin": "demo_admin",
        "operations": "demo_ops",
        "account_manager": "demo_manager1",
        "analyst": "demo_analyst",
    }
    User = get_user_model()
    clients: dict[str, Client] = {}
    for role, username in users.items():
        client = Client(headers={"Accept-Language": "zh-hans"})
        client.force_login(User.objects.get(username=username))
        clients[role] = client
    n = args.requests
    print(f"{Customer.objects.count():,} customers; {n} requests per line; ms\n")
    print("| page | role | requests | wall p50 | wall p95 | CPU p50 | CPU p95 |")
    print("|---|---|---:|---:|---:|---:|---:|")

    for role, client in clients.items():
        first = client.get("/customers/").content.decode()
        print(
            _row(
                "customer list", role, _timed(lambda c=client: c.get("/customers/"), n)
            )
        )
        cursor = re.search(r"after=([\w-]+)", first)
        if cursor:
            url = f"/customers/?after={cursor.group(1)}"
            print(
                _row(
                    "customer list, next page",
                    role,
                    _timed(lambda c=client, u=url: c.get(u), n),
                )
            )

    for role in ("admin", "operations", "account_manager"):
        client = clients[role]
        actor = User.objects.get(username=users[role])
        scope = list(
            customer_scope(actor=actor)
            .exclude(phone_index=None)
            .values_list("id", flat=True)[:5000]
        )
        picks = [
            Customer.objects.get(pk=pk) for pk in rng.sample(scope, min(n, len(scope)))
        ]
        phones = iter(
            [f"{c.phone[3:6]} {c.phone[6:10]} {c.phone[10:]}" for c in picks] * 2
        )
        names = iter([(c.name or "王芳")[:2] for c in picks] * 2)
        pks = iter([c.pk for c in picks] * 2)
        print(
            _row(
                "search by phone",
                role,
                _timed(
                    lambda c=client, i=phones: c.get("/customers/", {"q": next(i)}), n
                ),
            )
        )
        print(
            _row(
                "search by name (2 chars)",
                role,
                _timed(
                    lambda c=client, i=names: c.get("/customers/", {"q": next(i)}), n
                ),
            )
        )
        print(
            _row(
                "customer detail",
                role,
                _timed(lambda c=client, i=pks: c.get(f"/customers/{next(i)}/"), n),
            )
        )

    for role, client in clients.items():
        print(_row("order list", role, _timed(lambda c=client: c.get("/orders/"), n)))
        print(
            _row(
                "order list, refunded",
                role,
                _timed(lambda c=client: c.get("/orders/", {"status": "refunded"}), n),
            )
        )

    for role in ("admin", "account_manager"):
        client = clients[role]

        def cold(c: Client = client) -> None:
            cache.clear()
            c.get("/")

        print(_row("dashboard, cold", role, _timed(cold, 3)))
        print(_row("dashboard, cached", role, _timed(lambda c=client: c.get("/"), n)))


if __name__ == "__main__":
    main()
