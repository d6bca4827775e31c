"""Benchmark: import 1,000,000 orders (CSV, 10 columns, customers created on the way).

Side by side, in the same run and on the same file:

* ``guanxi import orders`` into a fresh embedded SQLite database (the target:
  ≤ 60 s wall, ≤ 1.5 GB peak memory on a 2-core machine);
* the floor: SQLite's own ``.import`` of the same file into one plain table
  (``sqlite3`` CLI; Python's ``executemany`` if the CLI is missing);
* django-import-export importing a 20,000-row slice of it, the way a Django
  developer would otherwise write it (a ModelResource for Order that gets or
  creates the customer by phone).

Usage: ``python bench/bench_import.py [--rows N] [--slice N] [--workdir DIR]``.
Results go to stdout as a Markdown table (copy into docs/benchmarks/import.md).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

HEADER = [
    "订单号",
    "下单时间",
    "金额",
    "币种",
    "状态",
    "门店",
    "渠道",
    "手机号",
    "姓名",
    "邮箱",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
STORES = ["西湖店", "滨江店", "静安店", "天河店", "线上商城"]
CHANNELS = ["pos", "web", "wechat", "app"]
STATUSES = ["已付款"] * 18 + ["已退款", "已取消"]


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """A deterministic orders file; about one customer for every four orders."""
    rng = random.Random(seed)
    customers = max(1, rows // 4)
    start = dt.datetime(2023, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            c = rng.randrange(customers)
            phone = f"1{'38'[c % 2]}{(c * 7919) % 1_000_000_000:09d}"
            name = SURNAMES[c % len(SURNAMES)] + GIVEN[(c // 20) % len(GIVEN)]
            email = f"c{c}@example.com" if c % 3 == 0 else ""
            when = start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 700))
            writer.writerow(
                [
                    f"O{i:08d}",
                    when.strftime("%Y-%m-%d %H:%M:%S"),
                    f"¥{rng.randrange(1000, 200000) / 100:,.2f}",
                    "CNY",
                    rng.choice(STATUSES),
                    rng.choice(STORES),
                    rng.choice(CHANNELS),
                    phone,
                    name,
                    email,
                ]
            )
    return customers


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (kB), from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0])
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds and peak memory (MB) of a command: the largest sum, over
    samples every 0.1 s, of the resident memory of the process and its
    children (the import parses large files in a forked helper process)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.1):
            peak = max(peak, _tree_rss_kb(proc.pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed:\n{out}\n{err[-3000:]}")
    return wall, peak / 1024, out


def sqlite_floor(csv_path: Path, workdir: Path) -> tuple[str, float]:
    db = workdir / "floor.sqlite3"
    db.unlink(missing_ok=True)
    cli = shutil.which("sqlite3")
    started = time.perf_counter()
    if cli:
        subprocess.run(
            [cli, str(db)],
            input=f".mode csv\n.import '{csv_path}' orders\n",
            text=True,
            check=True,
        )
        how = "sqlite3 CLI .import"
    else:
        con = sqlite3.connect(db)
        with csv_path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            cols = ", ".join(f'"{h}"' for h in header)
            con.execute(f"CREATE TABLE orders ({cols})")
            marks = ", ".join("?" for _ in header)
            con.executemany(f"INSERT INTO orders VALUES ({marks})", reader)
        con.commit()
        con.close()
        how = "Python sqlite3 executemany"
    return how, time.perf_counter() - started


IMPORT_EXPORT = r"""
import sys, time
import django
django.setup()
from django.core.management import call_command
from decimal import Decimal
import tablib
from import_export import fields, resources, widgets
from guanxi.commerce.models import Order
from guanxi.customers.models import Customer
from guanxi.customers.services import customer_apply_contact
from guanxi.customers.search import phone_key
from guanxi.core.normalize import normalize_phone, parse_amount, parse_datetime
from django.utils import timezone

STATUS = {"已付款": "paid", "已退款": "refunded", "已取消": "cancelled"}

class OrderResource(resources.ModelResource):
    class Meta:
        model = Order
        import_id_fields = ("source", "external_id")
        fields = ("source", "external_id", "customer", "ordered_at", "amount",
                  "currency", "status", "store", "channel")
        use_transactions = True
        skip_unchanged = True

    def before_import_row(self, row, **kwargs):
        phone = normalize_phone(row["手机号"])
        customer = Customer.objects.filter(phone_index=phone_key(phone)).first()
        if customer is None:
            customer = Customer(name=row["姓名"], phone=phone, email=row["邮箱"] or None)
            customer_apply_contact(customer)
            customer.save()
        row["customer"] = customer.pk
        row["source"] = "import"
        row["external_id"] = row["订单号"]
        row["ordered_at"] = parse_datetime(row["下单时间"], tz=timezone.get_current_timezone())
        row["amount"] = parse_amount(row["金额"])
        row["currency"] = row["币种"]
        row["status"] = STATUS[row["状态"]]
        row["store"] = row["门店"]
        row["channel"] = row["渠道"]

path, rows = sys.argv[1], int(sys.argv[2])
with open(path, encoding="utf-8") as handle:
    lines = [next(handle) for _ in range(rows + 1)]
data = tablib.Dataset().load("".join(lines), format="csv")
# import-export checks the id columns against the headers before any row hook
# runs: add the model's columns (filled in by before_import_row).
for name in OrderResource._meta.fields:
    data.append_col([""] * len(data), header=name)
started = time.perf_counter()
result = OrderResource().import_data(data, dry_run=False, raise_errors=True)
elapsed = time.perf_counter() - started
print(f"{elapsed:.3f} {Order.objects.count()}")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--slice", type=int, default=20_000)
    parser.add_argument("--workdir", default="/tmp/guanxi-bench-import")
    parser.add_argument("--skip-import-export", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="keep an orders.csv already generated"
    )
    args = parser.parse_args()

    workdir = Path(args.workdir)
    csv_path = workdir / "orders.csv"
    kept = args.reuse and csv_path.exists()
    if kept:
        for child in workdir.iterdir():
            if child != csv_path:
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
    started = time.perf_counter()
    customers = args.rows // 4 if kept else generate(csv_path, args.rows)
    print(
        f"generated {args.rows:,} orders for about {customers:,} customers "
        f"({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    python = sys.executable
    results: list[tuple[str, int, float, float | None]] = []

    how, floor = sqlite_floor(csv_path, workdir)
    results.append((f"floor: {how} (one plain table)", args.rows, floor, None))

    if not args.skip_import_export:
        env = {
            **os.environ,
            "GUANXI_DATA_DIR": str(workdir / "iexport"),
            "DATABASE_URL": "",
        }
        env["DJANGO_SETTINGS_MODULE"] = "guanxi.config.settings"
        subprocess.run(
            [python, "-m", "guanxi.cli", "migrate", "-v0"], env=env, check=True
        )
        script = workdir / "import_export_bench.py"
        script.write_text(IMPORT_EXPORT, encoding="utf-8")
        proc = subprocess.run(
            [python, str(script), str(csv_path), str(args.slice)],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        seconds_text, count = proc.stdout.split()
        results.append(
            (
                f"django-import-export 4 (slice, {count} orders)",
                args.slice,
                float(seconds_text),
                None,
            )
        )

    env = {**os.environ, "GUANXI_DATA_DIR": str(workdir / "guanxi"), "DATABASE_URL": ""}
    subprocess.run([python, "-m", "guanxi.cli", "migrate", "-v0"], env=env, check=True)
    cmd = [python, "-m", "guanxi.cli", "import", "orders", str(csv_path), "--json"]
    wall, peak, out = run_timed(cmd, env)
    results.append(
        (f"guanxi import orders → {out.strip()[:60]}…", args.rows, wall, peak)
    )
    wall2, peak2, out2 = run_timed(cmd, env)
    results.append(
        (
            f"guanxi import orders again (no-op) → {out2.strip()[:48]}…",
            args.rows,
            wall2,
            peak2,
        )
    )

    print("| what | rows | wall s | rows/s | peak RSS MB |")
    print("|---|---:|---:|---:|---:|")
    for label, rows, seconds, peak_mb in results:
        peak_text = f"{peak_mb:,.0f}" if peak_mb is not None else "—"
        print(
            f"| {label} | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} | {peak_text} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
