"""Benchmark: the order import with a coupon column against the same file
without it.

Builds on ``bench_import.py``'s generator: a first file of N orders creates
the customers; one coupon is issued to every 10th of them; a second file of N
new orders for the same customers, where each order of a customer holding a
coupon redeems it on their first order in the file (about N/40 redemptions),
is imported twice into copies of that database: with its coupon column and
with the column removed. Wall time and CPU seconds (user + system, the import
and its parsing helper) for each.

Usage: ``python bench/bench_coupons.py [--rows N] [--workdir DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_import import generate

ISSUE = r"""
import sys
import django
django.setup()
from decimal import Decimal
from guanxi.customers.models import Customer
from guanxi.customers.services import phone_key
from guanxi.coupons.models import CouponDefinition
from guanxi.coupons.services import coupons_issue
import csv
definition = CouponDefinition.objects.create(slug="bench", name_zh="满10减1",
    name_en="1 off 10", value=Decimal(1), minimum_spend=Decimal(0), valid_days=3650)
ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[::10])
result = coupons_issue(definition=definition, customer_ids=ids, source="bench")
by_key = {phone_key(c.phone): result.codes[c.pk]
          for c in Customer.objects.filter(pk__in=ids)}
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for key, code in by_key.items():
        out.write(f"{key},{code}\n")
print(len(by_key))
"""


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workdir", default="/tmp/guanxi-bench-coupons")
    args = parser.parse_args()
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    python = sys.executable
    env = {**os.environ, "GUANXI_DATA_DIR": str(work / "base"), "DATABASE_URL": ""}
    env["DJANGO_SETTINGS_MODULE"] = "guanxi.config.settings"
    first, second = work / "first.csv", work / "second.csv"
    generate(first, args.rows, seed=7)
    generate(second, args.rows, seed=11)
    subprocess.run([python, "-m", "guanxi.cli", "migrate", "-v0"], env=env, check=True)
    _run([python, "-m", "guanxi.cli", "import", "orders", str(first)], env)
    codes_file = work / "codes.csv"
    _run([python, "-c", ISSUE, str(codes_file)], env)
    codes = dict(line.strip().split(",", 1) for line in codes_file.open())
    # The second file, with a coupon column: the first order of each
    # coupon-holding customer redeems it (phones are normalised by the import:
    # match on the same key it uses).
    with_coupons, without = work / "with.csv", work / "without.csv"
    used = 0
    seen: set[str] = set()
    key_of = _keys(python, env, second)
    with (
        second.open(encoding="utf-8") as src,
        with_coupons.open("w", encoding="utf-8", newline="") as a,
        without.open("w", encoding="utf-8", newline="") as b,
    ):
        reader = csv.reader(src)
        wa, wb = csv.writer(a), csv.writer(b)
        header = next(reader)
        wa.writerow([*header, "优惠券"])
        wb.writerow(header)
        for n, row in enumerate(reader):
            row[0] = f"S{row[0]}"
            key = key_of[n]
            code = ""
            if key in codes and key not in seen:
                seen.add(key)
                code = codes[key]
                used += 1
            wa.writerow([*row, code])
            wb.writerow(row)
    print(
        f"{args.rows:,} orders, {len(codes):,} coupons, {used:,} redeemed",
        file=sys.stderr,
    )
    print("| file | wall s | CPU s |\n|---|---:|---:|")
    for label, path in (
        ("without the coupon column", without),
        ("with it", with_coupons),
    ):
        copy = work / label.split()[0]
        shutil.copytree(work / "base", copy)
        run_env = {**env, "GUANXI_DATA_DIR": str(copy)}
        wall, cpu, out = _run(
            [python, "-m", "guanxi.cli", "import", "orders", str(path), "--json"],
            run_env,
        )
        print(f"| {label} | {wall:.1f} | {cpu:.1f} |  {out.strip()[:60]}")
    return 0


def _keys(python: str, env: dict[str, str], path: Path) -> list[str]:
    """The blind index of each row's phone, as the import computes it."""
    script = (
        "import sys, csv, django\ndjango.setup()\n"
        "from guanxi.core.normalize import normalize_phone\n"
        "from guanxi.customers.services import phone_key\n"
        "rows = csv.reader(open(sys.argv[1], encoding='utf-8'))\nnext(rows)\n"
        "for r in rows: print(phone_key(normalize_phone(r[7])))\n"
    )
    done = subprocess.run(
        [python, "-c", script, str(path)], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return done.stdout.split()


if __name__ == "__main__":
    raise SystemExit(main())
