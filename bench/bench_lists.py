"""Benchmark: the customer list with its purchase columns, and a bulk tag.

On a database ``guanxi demo`` filled (the kept purchase figures are written by
the demo itself), through Django's full request stack in-process (the test
client calls the WSGI handler; no network):

* the customer list as an admin, p50/p95 over ``--requests`` requests each:
  first page newest first; sorted by spend, by orders and by last purchase
  (first page, and the page after it by keyset cursor); filtered by a spend
  range with a city; filtered by last purchase in the last 30 days; and as an
  account manager (their own customers) sorted by spend;
* a bulk tag of about ``--bulk`` customers ("every customer matching" the
  list's filter that comes closest, e.g. ``gender=female``): the
  confirmation's count, then the background run as the task worker runs it
  (chunks of 2,000 in their own transactions, with progress), timed in wall
  seconds; then the same run again (nothing left to change).

Usage::

    GUANXI_DATA_DIR=/tmp/demo guanxi demo --customers 200000
    python bench/bench_lists.py --data-dir /tmp/demo [--requests 30] [--bulk 100000]

Results go to stdout as a Markdown table (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode


def _setup(data_dir: Path) -> None:
    os.environ["GUANXI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _timed(action: Callable[[], Any], n: int) -> list[float]:
    action()  # warm-up: templates, database pages
    wall = []
    for _ in range(n):
        start = time.perf_counter()
        action()
        wall.append((time.perf_counter() - start) * 1000)
    return wall


def _get(client: Any, url: str) -> Callable[[], Any]:
    def call() -> Any:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return call


def _next_url(client: Any, url: str) -> str:
    html = client.get(url).content.decode()
    found = re.search(r'rel="next" href="([^"]+)"', html)
    assert found, url
    return found.group(1).replace("&amp;", "&")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--bulk", type=int, default=100_000)
    args = parser.parse_args()
    _setup(args.data_dir)

    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.test import Client

    from guanxi.access.choices import Role
    from guanxi.access.services import staff_user_create
    from guanxi.customers.bulk_actions import bulk_action_prepare
    from guanxi.customers.bulk_runs import bulk_action_run
    from guanxi.customers.choices import BulkStatus
    from guanxi.customers.listing import list_queryset
    from guanxi.customers.models import BulkAction, Customer, Tag

    users = get_user_model().objects
    admin = users.filter(username="bench-admin").first() or staff_user_create(
        username="bench-admin", password="bench-pass-123", role=Role.ADMIN
    )
    manager = users.filter(staff_profile__role=Role.ACCOUNT_MANAGER).first()
    customers = Customer.objects.count()
    print(f"{customers:,} customers", flush=True)

    client = Client(headers={"Accept-Language": "en"})
    client.force_login(admin)
    since = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    pages = [
        ("newest first", "/customers/"),
        ("by spend", "/customers/?sort=-spend"),
        ("by spend, next page", _next_url(client, "/customers/?sort=-spend")),
        ("by orders", "/customers/?sort=-orders"),
        ("by last purchase", "/customers/?sort=-last_purchase"),
        (
            "by last purchase, next page",
            _next_url(client, "/customers/?sort=-last_purchase"),
        ),
        (
            "spend 500–2,000 in 上海, by spend",
            "/customers/?city=上海&spend_min=500&spend_max=2000&sort=-spend",
        ),
        (f"last purchase since {since}", f"/customers/?last_purchase_from={since}"),
    ]
    rows = []
    for name, url in pages:
        wall = _timed(_get(client, url), args.requests)
        rows.append(("admin", name, wall))
    if manager is not None:
        own = Client(headers={"Accept-Language": "en"})
        own.force_login(manager)
        wall = _timed(_get(own, "/customers/?sort=-spend"), args.requests)
        rows.append(("account manager", "by spend (own customers)", wall))

    print("| role | customer list | p50 ms | p95 ms |")
    print("|---|---|---:|---:|")
    for role, name, wall in rows:
        print(f"| {role} | {name} | {_p(wall, 0.5):.0f} | {_p(wall, 0.95):.0f} |")

    # The bulk tag: every customer matching a filter of about --bulk
    # customers (the filter the list sends; the count is printed).
    tag, _ = Tag.objects.get_or_create(name="bench-bulk")
    tag.customer_links.all().delete()
    Tag.objects.filter(pk=tag.pk).update(customer_count=0)
    candidates = [
        {"gender": "female"},
        {"gender": "male"},
        {"purchases": "any"},
        {},
    ]
    chosen = min(
        candidates,
        key=lambda f: abs(list_queryset(urlencode(f), actor=admin).count() - args.bulk),
    )
    start = time.perf_counter()
    action = bulk_action_prepare(
        actor=admin, kind="tag", tag=tag.pk, everyone_matching=True, params=chosen
    )
    prepared = time.perf_counter() - start
    print(f"\nbulk filter {urlencode(chosen) or '(none)'}: {action.total:,} customers")
    results = []
    for attempt in ("first run", "again (nothing to change)"):
        BulkAction.objects.filter(pk=action.pk).update(
            status=BulkStatus.QUEUED, done=0, changed=0
        )
        start = time.perf_counter()
        bulk_action_run(action_id=action.pk)
        seconds = time.perf_counter() - start
        action.refresh_from_db()
        assert action.status == BulkStatus.DONE, action.status
        results.append((attempt, action.done, action.changed, seconds))
    print(f"confirmation (checks and counts): {prepared:.2f} s")
    print("| bulk tag | customers | changed | wall s |")
    print("|---|---:|---:|---:|")
    for attempt, done, changed, seconds in results:
        print(f"| {attempt} | {done:,} | {changed:,} | {seconds:.1f} |")
    Tag.objects.filter(pk=tag.pk).delete()


if __name__ == "__main__":
    main()
