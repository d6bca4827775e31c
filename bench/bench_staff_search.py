"""Staff search tokens: time the backfill migration on N customers written by the
bulk writer (tokens cleared first). Usage: GUANXI_DATA_DIR=DIR python
bench/bench_staff_search.py 50000 (DIR: a migrated, throwaway data folder)."""

import datetime as dt, os, sys, time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
import django

django.setup()
from django.apps import apps as global_apps
from django.db import connection
from guanxi.customers.models import Customer
from guanxi.customers.services import CustomerBulkWriter
import importlib

N = int(sys.argv[1])
Customer.objects.all().delete()
w = CustomerBulkWriter()
surn = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗曾单乐"
given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
people = [
    {
        "name": surn[i % len(surn)]
        + given[(i // 7) % len(given)]
        + given[(i // 3) % len(given)],
        "phone": f"+86138{i:08d}",
        "email": f"user{i}.x@example.com",
    }
    for i in range(N)
]
t = time.perf_counter()
for s in range(0, N, 5000):
    pks = w.reserve(min(5000, N - s))
    w.insert(
        pks=pks,
        people=people[s : s + 5000],
        first_seen=[None] * len(pks),
        now=dt.datetime.now(dt.UTC),
    )
print("insert", round(time.perf_counter() - t, 1), "s")
Customer.objects.update(search_tokens="")
mig = importlib.import_module(
    "guanxi.customers.migrations.0006_backfill_staff_search_tokens"
)


class SE:
    connection = connection


t = time.perf_counter()
mig.backfill(global_apps, SE)
el = time.perf_counter() - t
print(f"backfill {N} customers: {el:.1f} s, {N / el:.0f}/s")
