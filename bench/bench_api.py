"""Benchmark: the REST API v1 in-process, on the embedded SQLite database (or PostgreSQL).

Measures, through Django's full request stack with token authentication (no
network: Django's test client calls the WSGI handler directly):

* bulk order creation (``POST /api/v1/orders/bulk/``, 1,000 orders a request,
  every order with one line) in orders per second and per CPU second of the
  process, and re-posting the same orders (the idempotent path); one small bulk
  goes first, untimed (a server's first request loads its code);
* single order creation (``POST /api/v1/orders/``) latency;
* customer list (first page and the page its ``next`` cursor names), phone
  search, detail and order list latency (p50/p95) for an admin and for an
  account manager (scoped), with ``--customers`` customers in the database.

``--existing DIR`` runs against a data folder filled beforehand (``GUANXI_DATA_DIR=DIR
guanxi demo --customers 1000000``, about 8 minutes) instead of making
``--customers`` bare customers; the bench adds its users and orders to it.

``--database-url postgres://…/EMPTY_DB`` runs on PostgreSQL instead (an empty
database: the bench migrates it and makes its customers there).

Usage: ``python bench/bench_api.py [--customers N | --existing DIR] [--batches N]
[--workdir DIR] [--database-url URL]``. Results go to stdout as a Markdown table (copy into
docs/benchmarks/api.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _setup(workdir: Path, database_url: str = "") -> None:
    os.environ["GUANXI_DATA_DIR"] = str(workdir)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _customers(n: int, manager: Any) -> list[int]:
    from guanxi.customers.models import Customer
    from guanxi.customers.services import customer_apply_contact

    made = []
    for i in range(n):
        c = Customer(
            name=f"客户{i}",
            phone=f"+86138{i:08d}",
            city="杭州" if i % 2 else "上海",
            assigned_manager=manager if i % 10 == 0 else None,
        )
        made.append(customer_apply_contact(c))
    for start in range(0, n, 2000):
        Customer.objects.bulk_create(made[start : start + 2000])
    return list(Customer.objects.order_by("id").values_list("id", flat=True))


def _existing_customers(manager: Any) -> list[int]:
    """Ids of 20,000 customers of a filled database; every tenth of them becomes
    the bench manager's, so the scoped rows have own customers to show."""
    from guanxi.customers.models import Customer

    ids = list(Customer.objects.order_by("id").values_list("id", flat=True)[:20_000])
    Customer.objects.filter(pk__in=ids[::10]).update(assigned_manager=manager)
    return ids


def _count_customers() -> int:
    from guanxi.customers.models import Customer

    return Customer.objects.count()


def _client(user: Any) -> Any:
    from django.test import Client

    from guanxi.access.tests.factories import api_token_for

    token_key = api_token_for(user)
    return Client(headers={"Authorization": f"Token {token_key}"})


def _timed(call: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code >= 400:
            raise SystemExit(
                f"request failed: {response.status_code} {response.content[:300]!r}"
            )
    return times


def _p(times: list[float], q: float) -> float:
    return (
        statistics.quantiles(times, n=100)[int(q) - 1] if len(times) > 1 else times[0]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument(
        "--batches", type=int, default=20, help="bulk requests of 1,000"
    )
    parser.add_argument(
        "--repeat", type=int, default=200, help="requests per latency row"
    )
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--existing", type=Path, default=None, help="a data folder filled by demo"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="an empty PostgreSQL database instead of the embedded SQLite",
    )
    args = parser.parse_args(argv)
    workdir = args.existing or args.workdir
    workdir = workdir or Path(tempfile.mkdtemp(prefix="gx-bench-api-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        _setup(workdir, args.database_url)
        from django.contrib.auth import get_user_model

        from guanxi.access.choices import Role
        from guanxi.access.services import staff_role_set

        User = get_user_model()
        admin, _new = User.objects.get_or_create(username="bench-admin")
        staff_role_set(user=admin, role=Role.ADMIN)
        manager, _new = User.objects.get_or_create(username="bench-manager")
        staff_role_set(user=manager, role=Role.ACCOUNT_MANAGER)
        if args.existing is None:
            print(f"setting up {args.customers:,} customers …", file=sys.stderr)
            ids = _customers(args.customers, manager)
        else:
            ids = _existing_customers(manager)
        size = _count_customers()
        ops = _client(User.objects.get(pk=admin.pk))
        mgr = _client(User.objects.get(pk=manager.pk))

        rows: list[tuple[str, str]] = []
        batches = []
        run = int(time.time())
        for b in range(args.batches):
            batches.append(
                [
                    {
                        "source": "bench",
                        "external_id": f"B{run}-{b:04d}-{i:04d}",
                        "customer": ids[(b * 1000 + i) % len(ids)],
                        "ordered_at": "2026-10-03 12:00",
                        "amount": f"{(i % 500) + 0.5:.2f}",
                        "lines": [{"sku": "TEA-1", "name": "龙井", "unit_price": "10"}],
                    }
                    for i in range(1000)
                ]
            )
        # A server answers many requests per process: the first one loads the
        # URL configuration and the code behind it (about 0.4 s here), which
        # is not the bulk path's cost. One small bulk (which also records the
        # product the timed orders name) goes first, untimed.
        warm_up = [
            {**order, "external_id": f"W{run}-{n}"}
            for n, order in enumerate(batches[0][:10])
        ]
        response = ops.post(
            "/api/v1/orders/bulk/", {"orders": warm_up}, content_type="application/json"
        )
        if response.status_code != 201:
            raise SystemExit(f"bulk failed: {response.content[:300]!r}")
        load_before = os.getloadavg()[0]
        for label in ("bulk create", "bulk re-post (idempotent)"):
            # CPU time too: on a shared machine the wall clock mostly measures
            # the neighbours (SQLite's own I/O waits are not in either figure).
            cpu_start = time.process_time()
            start = time.perf_counter()
            for batch in batches:
                response = ops.post(
                    "/api/v1/orders/bulk/",
                    {"orders": batch},
                    content_type="application/json",
                )
                if response.status_code not in (200, 201):
                    raise SystemExit(f"bulk failed: {response.content[:300]!r}")
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
            n = 1000 * len(batches)
            rows.append(
                (
                    f"{label}, {n:,} orders",
                    f"{n / elapsed:,.0f} orders/s "
                    f"({n / cpu:,.0f} orders per CPU second)",
                )
            )

        counter = iter(range(10**9))
        single = _timed(
            lambda: ops.post(
                "/api/v1/orders/",
                {
                    "source": "bench-single",
                    "external_id": f"S{run}-{next(counter)}",
                    "customer": ids[0],
                    "ordered_at": "2026-10-03 12:00",
                    "amount": "88",
                },
                content_type="application/json",
            ),
            args.repeat,
        )
        rows.append(
            (
                "single order create",
                f"p50 {_p(single, 50):.1f} ms, p95 {_p(single, 95):.1f} ms",
            )
        )
        for who, client in (("admin", ops), ("account manager", mgr)):
            second_page = client.get("/api/v1/customers/").json()["next"]
            for label, url in (
                ("customer list", "/api/v1/customers/"),
                ("customer list, next page (cursor)", second_page),
                ("phone search", "/api/v1/customers/?phone=138%2000000010"),
                ("customer detail", f"/api/v1/customers/{ids[10]}/"),
                ("order list", "/api/v1/orders/"),
            ):
                t = _timed(lambda url=url, client=client: client.get(url), args.repeat)
                rows.append(
                    (
                        f"{label} ({who})",
                        f"p50 {_p(t, 50):.1f} ms, p95 {_p(t, 95):.1f} ms",
                    )
                )

        print(
            f"\nload average {load_before:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end"
        )
        print(
            f"\n{size:,} customers, {1000 * args.batches:,} bulk orders, "
            f"{'PostgreSQL' if args.database_url else 'embedded SQLite'}, "
            "in-process (no network)\n"
        )
        print("| measurement | result |\n|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
    finally:
        if args.workdir is None and args.existing is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
