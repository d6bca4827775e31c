"""Load benchmark of the web pages: ``guanxi start`` + locust on loopback.

Fills nothing: point it at a data folder that ``guanxi demo --customers
1000000`` (or ``guanxi start --demo``) filled, scored by ``guanxi score`` (or,
for a quick look, ``bench/fake_scores.py``). It picks a random sample of the
customers ``--username`` may open (ids and phones), starts ``guanxi start`` on
a free port, runs locust headless (dashboard and its order figures, customer
list, search by phone, customer 360) and prints p50/p95/p99 per endpoint as
Markdown; ``--warm`` first computes the dashboard's order figures (timed: their
first computation per scope is not what the pages' p95 is about);
``--explain`` prints the queries behind each page with their plans instead.

    python bench/bench_web.py --data-dir /tmp/gx-bench --users 10 --time 120s --warm
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sample(data_dir: Path, size: int, seed: int, username: str) -> list[list[object]]:
    """Random customers (id, phone) that ``username`` may open, read through
    Django in a child process; also says whether the folder has scores."""
    code = f"""
import json, random, django
django.setup()
from django.contrib.auth import get_user_model
from django.db.models import Max
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_scope
from guanxi.insights.selectors import latest_as_of
user = get_user_model().objects.get(username={username!r})
scope = customer_scope(actor=user)
top = Customer.objects.aggregate(m=Max("id"))["m"] or 0
rng = random.Random({seed})
ids = sorted({{rng.randint(1, top) for _ in range({size})}})
rows = scope.filter(id__in=ids).only("id", "phone")
found = [[c.id, c.phone] for c in rows if c.phone]
if len(found) < {size} // 10:  # a manager's few customers: pick among them
    found = [[c.id, c.phone] for c in scope.order_by("?").only("id", "phone")[:{size}] if c.phone]
print(json.dumps(found))
print(Customer.objects.count())
print(1 if latest_as_of() is not None else 0)
"""
    env = dict(os.environ, GUANXI_DATA_DIR=str(data_dir))
    env["DJANGO_SETTINGS_MODULE"] = "guanxi.config.settings"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    print(f"customers in the database: {out[1]}", file=sys.stderr)
    print(f"scored: {'yes' if out[2] == '1' else 'no'}", file=sys.stderr)
    os.environ["GUANXI_BENCH_SCORED"] = out[2]
    return json.loads(out[0])  # type: ignore[no-any-return]


EXPLAIN_CODE = """
import json, sys, time, django
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
sample = json.load(open(sys.argv[1]))
client = Client()
client.force_login(get_user_model().objects.get(username=sys.argv[2]))
cid, phone = sample[len(sample) // 2]
for name, url, params in [
    ("dashboard", "/", {}),
    ("customer list", "/customers/", {}),
    ("search by phone", "/customers/", {"q": phone}),
    ("customer 360", f"/customers/{cid}/", {}),
    ("dashboard (cached order figures)", "/", {}),
]:
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        status = client.get(url, params).status_code
        ms = (time.perf_counter() - started) * 1000
    print(f"## {name}: {status}, {len(ctx.captured_queries)} queries, {ms:.0f} ms")
    for q in ctx.captured_queries:
        sql = q["sql"]
        print(f"- {float(q['time']) * 1000:.1f} ms: {sql[:300]}")
        if sql.startswith("SELECT") and connection.vendor == "sqlite":
            with connection.cursor() as cur:
                cur.execute("EXPLAIN QUERY PLAN " + sql)
                for row in cur.fetchall():
                    print(f"    plan: {row[-1]}")
"""


def explain(data_dir: Path, sample_file: Path, username: str) -> None:
    """One request per page in-process: the SQL, its time and its query plan."""
    env = dict(os.environ, GUANXI_DATA_DIR=str(data_dir))
    env["DJANGO_SETTINGS_MODULE"] = "guanxi.config.settings"
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-c", EXPLAIN_CODE, str(sample_file), username],
        env=env,
        check=False,
    )


def warm_dashboard(base: str, username: str, password: str) -> float:
    """Log in and ask for the dashboard's order figures until they are there
    (the first computation per scope; measured separately from the run)."""
    import http.cookiejar
    import re
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/").read().decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    data = urllib.parse.urlencode(
        {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": found.group(1) if found else "",
        }
    ).encode()
    opener.open(urllib.request.Request(f"{base}/login/", data=data))
    started = time.monotonic()
    while time.monotonic() - started < 900:
        body = opener.open(f"{base}/dashboard/orders/", timeout=900).read().decode()
        if "stat-customers" in body:
            return time.monotonic() - started
        time.sleep(1)
    raise SystemExit("the dashboard's order figures did not come within 900 s")


def wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("guanxi start exited early")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("guanxi start did not answer in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/gx-bench"))
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--time", default="60s")
    parser.add_argument("--wait", default="0.5,1.5", help="think time min,max (s)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--username", default="demo_admin")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument(
        "--explain", action="store_true", help="print SQL and plans, no load"
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="compute the dashboard's order figures before the load (timed)",
    )
    args = parser.parse_args()

    logins = json.loads((args.data_dir / "demo-logins.json").read_text())
    work = Path(tempfile.mkdtemp(prefix="gx-bench-web-"))
    sample_file = work / "sample.json"
    sample_file.write_text(
        json.dumps(sample(args.data_dir, args.sample, 7, args.username))
    )
    if args.explain:
        explain(args.data_dir, sample_file, args.username)
        return 0

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["GUANXI_DATA_DIR"] = str(args.data_dir)
    # The ten simulated users share one login: the per-person limit on
    # searches by phone (30 a minute, for a person at a desk) would answer
    # most of their searches 429 and the p95 would time the refusal.
    env.setdefault("GUANXI_CONTACT_SEARCHES_PER_MINUTE", "1000000")
    server = subprocess.Popen(
        [
            str(BIN / "guanxi"),
            "start",
            "--port",
            str(port),
            "--workers",
            str(args.threads),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/login/", server, 600)
        if args.warm:
            seconds = warm_dashboard(
                f"http://127.0.0.1:{port}", args.username, logins[args.username]
            )
            print(
                f"dashboard order figures computed in {seconds:.1f} s", file=sys.stderr
            )
        locust_env = dict(
            os.environ,
            GUANXI_BENCH_USER=args.username,
            GUANXI_BENCH_PASSWORD=logins[args.username],
            GUANXI_BENCH_SAMPLE=str(sample_file),
            GUANXI_BENCH_WAIT=args.wait,
        )
        subprocess.run(
            [
                str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"),
                "--headless", "-u", str(args.users), "-r", str(args.users),
                "-t", args.time, "--host", f"http://127.0.0.1:{port}",
                "--csv", str(work / "run"), "--only-summary",
            ],
            env=locust_env,
            check=False,
        )  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)

    print()
    print("| endpoint | requests | failures | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with open(work / "run_stats.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] == "login":
                continue
            print(
                f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} "
                f"| {row['50%']} | {row['95%']} | {row['99%']} "
                f"| {float(row['Max Response Time']):.0f} |"
            )
    print(f"\n(raw locust CSV in {work})")
    return 0


if __name__ == "__main__":
    random.seed(0)
    raise SystemExit(main())
