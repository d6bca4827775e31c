"""Benchmark: the audit log's search page at 1,000,000 events (embedded SQLite).

Fills a fresh data directory with ``--events`` audit events (30 staff, a
million customers, every action, three years of moments; written with raw SQL
in chunks, as a benchmark may) and times, in this process, what the page does
for one request: the capped count and the first page of 50, newest first,
through ``audit_event_list`` and ``keyset_page`` — with no filter, by person,
by customer, by action, by a range of days, by person and days — and the next
page by its cursor. Each is run ``--repeat`` times; median and p95 wall time.

Results: docs/benchmarks.md (the audit log line).

Usage::

    python bench/bench_audit.py --data-dir /tmp/audit-1m --events 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

ACTIONS = [
    "customer.viewed", "customer.viewed", "customer.viewed", "customer.viewed",
    "export", "scope.assigned", "consent.recorded", "settings.changed",
    "staff.role",
]  # fmt: skip
STAFF = 30
CHUNK = 50_000


def _setup(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["GUANXI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fill(events: int) -> list[Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from guanxi.access.choices import Role
    from guanxi.access.services import staff_user_create
    from guanxi.audit.models import AuditEvent

    users = list(get_user_model().objects.order_by("pk"))
    if not users:
        users = [
            staff_user_create(
                username=f"staff{i}", password=None, role=list(Role)[i % 5]
            )
            for i in range(STAFF)
        ]
    have = AuditEvent.objects.count()
    rng = random.Random(13)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    span = 3 * 365 * 86400
    table = AuditEvent._meta.db_table
    sql = (
        f"INSERT INTO {table} (at, actor_id, actor_label, role, action, "
        "customer_id, object_type, object_id, details) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    made = have
    while made < events:
        n = min(CHUNK, events - made)
        rows = []
        for i in range(n):
            # Appended in time order, as a log is.
            at = start + dt.timedelta(seconds=span * (made + i) / events)
            user = users[rng.randrange(len(users))]
            action = ACTIONS[rng.randrange(len(ACTIONS))]
            customer = rng.randrange(1, 1_000_001)
            rows.append(
                (
                    at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    user.pk,
                    user.username,
                    "service",
                    action,
                    customer,
                    "customer",
                    str(customer),
                    json.dumps({"via": "web"}),
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        made += n
        print(f"  {made:,} events", flush=True)
    return users


def _time(label: str, run: Any, repeat: int) -> None:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    print(f"{label:<38} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    _setup(args.data_dir)
    t0 = time.perf_counter()
    users = _fill(args.events)
    print(f"filled in {time.perf_counter() - t0:.1f} s")

    from django.contrib.auth import get_user_model

    from guanxi.access.choices import Role
    from guanxi.access.services import staff_user_create
    from guanxi.audit.selectors import audit_event_list, audit_search_parse
    from guanxi.core.pagination import keyset_page

    admin = get_user_model().objects.filter(
        username="bench-admin"
    ).first() or staff_user_create(
        username="bench-admin", password=None, role=Role.ADMIN
    )
    person = users[3].username
    searches = {
        "no filter": {},
        "person": {"person": person},
        "customer": {"customer": "424242"},
        "action (export)": {"action": "export"},
        "days (one month)": {"date_from": "2025-06-01", "date_to": "2025-06-30"},
        "person and days (one month)": {
            "person": person,
            "date_from": "2025-06-01",
            "date_to": "2025-06-30",
        },
    }
    print(f"\n{args.events:,} events, first page of 50 and the capped count:")
    for label, query in searches.items():

        def page(query: dict[str, str] = query) -> Any:
            search = audit_search_parse(query)
            return keyset_page(
                audit_event_list(actor=admin, search=search),
                keys=("at", "id"),
                after=None,
                before=None,
                per_page=50,
            )

        _time(label, page, args.repeat)
    first = keyset_page(
        audit_event_list(actor=admin, search=audit_search_parse({"person": person})),
        keys=("at", "id"),
        after=None,
        before=None,
        per_page=50,
    )

    def next_page() -> Any:
        return keyset_page(
            audit_event_list(
                actor=admin, search=audit_search_parse({"person": person})
            ),
            keys=("at", "id"),
            after=first.next_cursor,
            before=None,
            per_page=50,
        )

    _time("person, next page by cursor", next_page, args.repeat)


if __name__ == "__main__":
    main()
