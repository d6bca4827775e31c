"""Staff search tokens: time the backfill migration on N customers written by
the bulk writer (tokens cleared first).

    GUANXI_DATA_DIR=DIR .venv/bin/python bench/bench_staff_search.py 50000

DIR: a migrated, throwaway data folder (its customers are deleted).
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
import time
from typing import Any


def main(count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()
    from django.apps import apps
    from django.db import connection

    from guanxi.customers.models import Customer
    from guanxi.customers.services import CustomerBulkWriter

    Customer.objects.all().delete()
    writer = CustomerBulkWriter()
    surnames = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗曾单乐"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
    people: list[dict[str, Any]] = [
        {
            "name": surnames[i % len(surnames)]
            + given[(i // 7) % len(given)]
            + given[(i // 3) % len(given)],
            "phone": f"+86138{i:08d}",
            "email": f"user{i}.x@example.com",
        }
        for i in range(count)
    ]
    for start in range(0, count, 5000):
        pks = writer.reserve(min(5000, count - start))
        writer.insert(
            pks=pks,
            people=people[start : start + 5000],
            first_seen=[None] * len(pks),
            now=dt.datetime.now(dt.UTC),
        )
    Customer.objects.update(search_tokens="")
    migration = importlib.import_module(
        "guanxi.customers.migrations.0006_backfill_staff_search_tokens"
    )

    class Editor:
        pass

    editor: Any = Editor()
    editor.connection = connection
    began = time.perf_counter()
    migration.backfill(apps, editor)
    elapsed = time.perf_counter() - began
    print(f"backfill {count} customers: {elapsed:.1f} s, {count / elapsed:.0f}/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
