"""Benchmark: what the orders' revision costs the writers of orders, with two
checkouts of Guanxi alternated (e.g. main and a branch).

Each round, for each checkout (``--src``, a ``src`` folder), a fresh database
(SQLite file, or a new PostgreSQL database on ``--pg-url``'s server) gets:

* an import of ``--rows`` orders (the CSV of bench_import.py, customers
  created on the way), one transaction;
* ``--writes`` single-order writes through the API's service
  (``order_create``), each its own transaction, each one bump;
* ``--bumps`` bare ``order_revision_bump()`` calls, each its own transaction.

Measured in CPU seconds: the benchmark's process (``time.process_time``,
with its children's) and, on PostgreSQL, the server's processes (postmaster and its children,
from /proc; ``--pg-pid`` is the postmaster's pid). Each figure in the table
is the median over the rounds.

Usage: ``python bench/bench_revision.py --db sqlite|postgres --src A --src B
[--rounds 3] [--rows 20000] [--writes 1000] [--bumps 5000]
[--pg-url postgres://…/postgres --pg-pid N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def server_cpu(pid: int | None) -> float:
    """CPU seconds of a PostgreSQL server: the postmaster with its reaped
    children, plus its live children (backends, writers)."""
    if not pid:
        return 0.0

    def fields(p: int) -> list[str]:
        text = Path(f"/proc/{p}/stat").read_text()
        return text[text.rindex(")") + 2 :].split()

    top = fields(pid)
    ticks = sum(int(v) for v in top[11:15])  # utime stime cutime cstime
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == pid:
            continue
        try:
            mine = fields(int(entry.name))
        except (OSError, ValueError):
            continue
        if int(mine[1]) == pid:
            ticks += int(mine[11]) + int(mine[12])
    return ticks / TICK


def child(args: argparse.Namespace) -> None:
    """One checkout, one fresh database: the three measures, as JSON."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import guanxi
    from guanxi.access.choices import Role
    from guanxi.access.services import staff_user_create
    from guanxi.commerce.models import Order
    from guanxi.commerce.selectors import order_revision
    from guanxi.commerce.services import OrderInput, order_create, order_revision_bump
    from guanxi.ingest.pipeline import import_run
    from guanxi.ingest.readers import open_table

    out: dict[str, Any] = {"src": str(Path(guanxi.__file__).parents[1])}

    def own() -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    def measured(name: str, work: Any) -> None:
        cpu, server = own(), server_cpu(args.pg_pid)
        work()
        out[name] = own() - cpu
        out[name + "_server"] = server_cpu(args.pg_pid) - server

    table = open_table(Path(args.csv))
    try:
        measured("import", lambda: import_run(kind="orders", table=table))
    finally:
        table.close()
    out["orders"] = Order.objects.count()
    admin = staff_user_create(
        username="bench", password="bench-pass-7x", role=Role.ADMIN
    )
    customers = list(
        Order.objects.values_list("customer_id", flat=True).distinct()[: args.writes]
    )
    when = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)

    def writes() -> None:
        for n in range(args.writes):
            order_create(
                actor=admin,
                order=OrderInput(
                    external_id=f"W-{n}",
                    customer_id=customers[n % len(customers)],
                    ordered_at=when,
                    amount=Decimal("12.00"),
                ),
            )

    measured("writes", writes)

    def bumps() -> None:
        for _ in range(args.bumps):
            order_revision_bump()

    measured("bumps", bumps)
    out["revision"] = order_revision()
    print(json.dumps(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--src", action="append", default=[])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=1_000)
    parser.add_argument("--bumps", type=int, default=5_000)
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--pg-pid", type=int, default=0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--csv", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    if args.db == "postgres" and not (args.pg_url and args.pg_pid):
        parser.error("PostgreSQL needs --pg-url and --pg-pid")
    sys.path.insert(0, str(HERE))
    from bench_import import generate

    work = Path(tempfile.mkdtemp(prefix="guanxi-bench-revision-"))
    csv_path = work / "orders.csv"
    generate(csv_path, args.rows)
    load = os.getloadavg()
    results: dict[str, list[dict[str, Any]]] = {src: [] for src in args.src}
    for round_ in range(args.rounds):
        for n, src in enumerate(args.src):
            data = work / f"data-{round_}-{n}"
            env = {
                **os.environ,
                "PYTHONPATH": src,
                "GUANXI_DATA_DIR": str(data),
                "DJANGO_SETTINGS_MODULE": "guanxi.config.settings",
                "DATABASE_URL": "",
            }
            if args.db == "postgres":
                import psycopg

                name = f"bench_revision_{round_}_{n}"
                with psycopg.connect(args.pg_url, autocommit=True) as db:
                    db.execute(f"DROP DATABASE IF EXISTS {name}")
                    db.execute(f"CREATE DATABASE {name}")
                env["DATABASE_URL"] = args.pg_url.rsplit("/", 1)[0] + "/" + name
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    f"--csv={csv_path}",
                    f"--writes={args.writes}",
                    f"--bumps={args.bumps}",
                    f"--pg-pid={args.pg_pid}",
                ],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            found = json.loads(done.stdout.strip().splitlines()[-1])
            assert found["src"] == str(Path(src).resolve()), found["src"]
            results[src].append(found)
            print(json.dumps(found), file=sys.stderr)
    print(
        f"{args.db}, {args.rows:,} orders imported, {args.writes:,} single-order "
        f"writes, {args.bumps:,} bumps; median of {args.rounds} rounds, CPU s "
        f"(client + server); load {load[0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    print("| checkout | import | writes | bumps | per write (ms) | per bump (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for src, runs in results.items():

        def median(key: str, runs: list[dict[str, Any]] = runs) -> float:
            return statistics.median(r[key] + r[key + "_server"] for r in runs)

        print(
            f"| {src} | {median('import'):.2f} | {median('writes'):.2f} "
            f"| {median('bumps'):.2f} "
            f"| {median('writes') / args.writes * 1000:.2f} "
            f"| {median('bumps') / args.bumps * 1000:.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
