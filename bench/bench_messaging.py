"""Benchmark: e-mail dispatch from the outbox, and queueing a broadcast to
1,000,000 customers.

Dispatch (issue 11: ≥ 200 e-mails a second, two worker processes, 2 cores):

* an SMTP server (aiosmtpd, its own process, 127.0.0.1) that accepts every
  mail and counts it;
* the floor: a bare sender (``smtplib``, one connection per process, reused
  for every mail, as Guanxi's e-mail channel keeps one per batch) in as many
  processes as Guanxi gets workers, sending the same multipart text + HTML
  mail — the server's own acceptance rate;
* Guanxi: ``guanxi send`` queues ``--emails`` service e-mails (an audience
  file of that many customers), then two ``guanxi worker`` processes drain
  the outbox; the rate from the workers' start to the last ``sent`` (Django's
  start included) and the sustained rate (10 % to 90 % of the messages sent).

Queueing (≤ 60 s for 1,000,000): ``guanxi send --audience all`` on a database
of ``--customers`` customers, service and marketing (marketing reads every
customer's current consent), wall time of the whole command.

The customers: ``--real`` of them are made the way an import makes them
(encrypted name, e-mail and phone, blind indexes); the rest are copies of those
rows made by one ``INSERT … SELECT`` (the same encrypted values, unique
synthetic blind indexes: queueing never decrypts, so this changes nothing it
measures; dispatch only ever uses the real ones).

Usage::

    python bench/bench_messaging.py --data-dir /tmp/bench-msg [--emails 20000]
        [--customers 1000000] [--skip-dispatch] [--skip-queue]

Results go to stdout as Markdown (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import smtplib
import sqlite3
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

SMTP_SERVER = """
import signal, sys, threading
from aiosmtpd.controller import Controller

class Sink:
    count = 0
    lock = threading.Lock()
    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            Sink.count += 1
        return "250 Message accepted"

controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: done.set())
done.wait()
controller.stop()
print(Sink.count, flush=True)
"""

MAKE_CUSTOMERS = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
import django
django.setup()
from django.db import connection, transaction
from guanxi.customers.models import Customer
from guanxi.customers.services import customer_apply_contact
real, total = int(sys.argv[1]), int(sys.argv[2])
have = Customer.objects.count()
if have < real:
    rows = []
    for i in range(have, real):
        c = Customer(name=f"客户{i}", email=f"c{i}@example.com", phone=f"+86139{i:08d}")
        customer_apply_contact(c)
        rows.append(c)
    Customer.objects.bulk_create(rows, batch_size=1000)
    have = real
table = Customer._meta.db_table
columns = [f.column for f in Customer._meta.concrete_fields if f.column != "id"]
while have < total:
    step = min(real, total - have)
    top = Customer.objects.order_by("-pk").values_list("pk", flat=True).first()
    picked = []
    for c in columns:
        if c in {"email_index", "phone_index"}:
            tag = "e" if c == "email_index" else "p"
            if connection.vendor == "postgresql":
                picked.append(f"'{tag}' || lpad((id + {top})::text, 20, '0')")
            else:
                picked.append(f"'{tag}' || printf('%020d', id + {top})")
        else:
            picked.append(c)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(picked)} FROM {table} WHERE id <= %s "
            f"ORDER BY id LIMIT %s",
            [real, step],
        )
    have += step
    print(f"{have:,} customers", file=sys.stderr, flush=True)
"""

TEMPLATE = (
    "Subject: {{ name }}，新茶到了 / New tea is in\n\n"
    "{{ name }}，您好：\n\n"
    "今年的春茶已经到店，欢迎来{{ store or '店里' }}品尝。\n"
    "Dear {{ name }}, this spring's tea has arrived; come and taste it.\n"
)


def _env(data_dir: Path, smtp_port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        GUANXI_DATA_DIR=str(data_dir),
        LANGUAGE="en",
        GUANXI_EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        GUANXI_EMAIL_FROM="shop@example.com",
        GUANXI_QUIET_HOURS="",
    )
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    return env


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def _guanxi(env: dict[str, str], *args: str) -> tuple[str, float]:
    start = time.perf_counter()
    _guanxi.cpu = _children_cpu()  # type: ignore[attr-defined]
    done = subprocess.run(
        [sys.executable, "-m", "guanxi.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    _guanxi.cpu = _children_cpu() - _guanxi.cpu  # type: ignore[attr-defined]
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return done.stdout, seconds


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mail(i: int) -> EmailMessage:
    """A mail of the size and shape Guanxi sends (multipart text + HTML)."""
    mail = EmailMessage()
    mail["Subject"] = f"客户{i}，新茶到了 / New tea is in"
    mail["From"] = "shop@example.com"
    mail["To"] = f"c{i}@example.com"
    mail["Message-ID"] = f"<bare{i}@example.com>"
    text = (
        f"客户{i}，您好：\n\n今年的春茶已经到店，欢迎来店里品尝。\n"
        f"Dear 客户{i}, this spring's tea has arrived; come and taste it.\n"
    )
    mail.set_content(text)
    mail.add_alternative(
        "<p>" + text.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>",
        subtype="html",
    )
    return mail


def _bare(port: int, first: int, count: int) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        for i in range(first, first + count):
            smtp.send_message(_mail(i))


def bare_rate(port: int, emails: int, processes: int) -> tuple[float, float]:
    share = emails // processes
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.starmap(_bare, [(port, p * share, share) for p in range(processes)])
    seconds = time.perf_counter() - start
    return seconds, share * processes / seconds


def _sent(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / "guanxi.sqlite3", timeout=30) as db:
        return dict(
            db.execute(
                "SELECT status, COUNT(*) FROM messaging_message "
                "WHERE broadcast_id = (SELECT MAX(id) FROM messaging_broadcast) "
                "GROUP BY status"
            ).fetchall()
        )


def _sent_pg() -> dict[str, int]:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as db:
        return dict(
            db.execute(
                "SELECT status, COUNT(*) FROM messaging_message "
                "WHERE broadcast_id = (SELECT MAX(id) FROM messaging_broadcast) "
                "GROUP BY status"
            ).fetchall()
        )


def guanxi_rate(
    env: dict[str, str], data_dir: Path, emails: int, workers: int
) -> dict[str, Any]:
    ids = data_dir.parent / "dispatch-ids.csv"
    ids.write_text("".join(f"{i}\n" for i in range(1, emails + 1)), encoding="utf-8")
    template = data_dir.parent / "template.txt"
    template.write_text(TEMPLATE, encoding="utf-8")
    out, queued_in = _guanxi(
        env,
        "send",
        "--channel",
        "email",
        "--audience",
        f"file:{ids}",
        "--purpose",
        "service",
        "--template",
        str(template),
        "--json",
    )
    assert json.loads(out)["queued"] == emails, out
    status = _sent_pg if os.environ.get("DATABASE_URL") else lambda: _sent(data_dir)
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "guanxi.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    marks: list[tuple[float, int]] = []
    cpu_before = os.times()
    try:
        while True:
            now = time.perf_counter() - start
            counts = status()
            sent = counts.get("sent", 0)
            marks.append((now, sent))
            if sent + counts.get("failed", 0) >= emails or now > 1800:
                break
            time.sleep(0.25)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    cpu_after = os.times()
    total = marks[-1][0]

    def at(share: float) -> float:
        return next(t for t, s in marks if s >= share * emails)

    t10, t90 = at(0.1), at(0.9)
    return {
        "queue_seconds": queued_in,
        "statuses": status(),
        "total_seconds": total,
        "overall_rate": marks[-1][1] / total,
        "first_sent_seconds": next(t for t, s in marks if s > 0),
        "sustained_rate": 0.8 * emails / (t90 - t10),
        "worker_cpu_seconds": (cpu_after.children_user + cpu_after.children_system)
        - (cpu_before.children_user + cpu_before.children_system),
    }


def dispatch(args: argparse.Namespace, data_dir: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SMTP_SERVER, str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"
    try:
        bare_seconds, bare = bare_rate(port, args.emails, args.workers)
        env = _env(data_dir, port)
        guanxi = guanxi_rate(env, data_dir, args.emails, args.workers)
    finally:
        server.send_signal(signal.SIGTERM)
        accepted = int(server.communicate(timeout=60)[0].strip() or 0)
    print(f"\n## Dispatch, {args.emails:,} e-mails, {args.workers} processes\n")
    print(f"SMTP server accepted {accepted:,} mails in all")
    print(f"outbox after the run: {guanxi['statuses']}\n")
    print("| sender | wall s | e-mails/s |")
    print("|---|---:|---:|")
    print(
        f"| bare smtplib, {args.workers} processes, one connection each "
        f"| {bare_seconds:.1f} | {bare:.0f} |"
    )
    print(
        f"| Guanxi, {args.workers} × `guanxi worker`, start to last sent "
        f"| {guanxi['total_seconds']:.1f} | {guanxi['overall_rate']:.0f} |"
    )
    print(
        f"| Guanxi, sustained (10 % → 90 % sent) | | {guanxi['sustained_rate']:.0f} |"
    )
    print(
        f"\nratio Guanxi sustained / bare: {guanxi['sustained_rate'] / bare:.2f}; "
        f"first mail sent {guanxi['first_sent_seconds']:.1f} s after the workers "
        f"started; workers' CPU {guanxi['worker_cpu_seconds']:.1f} s; "
        f"`guanxi send` of {args.emails:,}: {guanxi['queue_seconds']:.1f} s"
    )


def _pg_cpu() -> float | None:
    """CPU seconds used so far by the PostgreSQL server of ``DATABASE_URL``
    (the postmaster and its processes: backends, WAL writer, checkpointer),
    read from /proc; None without PostgreSQL or when it is not on this
    machine. Under a shared machine's load this is what the database spent,
    which wall time is not."""
    if not os.environ.get("DATABASE_URL"):
        return None
    import psycopg

    try:
        with psycopg.connect(os.environ["DATABASE_URL"]) as db:
            row = db.execute("SHOW data_directory").fetchone()
        assert row is not None
        first = (Path(row[0]) / "postmaster.pid").read_text().splitlines()[0]
        postmaster = int(first)
    except (OSError, ValueError, AssertionError, psycopg.Error):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(entry.name) == postmaster:
            # Its own time and that of the processes that ended (reaped).
            total += sum(int(f) for f in fields[11:15])
        elif int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def queue(args: argparse.Namespace, data_dir: Path) -> None:
    env = _env(data_dir, 25)
    template = data_dir.parent / "template.txt"
    template.write_text(TEMPLATE, encoding="utf-8")
    print(
        f"\n## Queueing, `guanxi send --audience all`, {args.customers:,} customers\n"
    )
    print(
        "| purpose | wall s | CPU s | PostgreSQL CPU s | queued | suppressed "
        "| load before → after |"
    )
    print("|---|---:|---:|---:|---:|---|---|")
    for purpose in ("service", "marketing"):
        load_before = os.getloadavg()[0]
        pg_before = _pg_cpu()
        out, seconds = _guanxi(
            env,
            "send",
            "--channel",
            "email",
            "--audience",
            "all",
            "--purpose",
            purpose,
            "--template",
            str(template),
            "--json",
        )
        counts = json.loads(out)
        pg_after = _pg_cpu()
        pg = (
            f"{pg_after - pg_before:.1f}"
            if pg_before is not None and pg_after is not None
            else "—"
        )
        print(
            f"| {purpose} | {seconds:.1f} | {_guanxi.cpu:.1f} "  # type: ignore[attr-defined]
            f"| {pg} | {counts['queued']:,} "
            f"| {counts['suppressed']} "
            f"| {load_before:.1f} → {os.getloadavg()[0]:.1f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--emails", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--real", type=int, default=20_000)
    parser.add_argument("--skip-dispatch", action="store_true")
    parser.add_argument("--skip-queue", action="store_true")
    args = parser.parse_args()
    data_dir = args.data_dir.resolve() / "data"
    env = _env(data_dir, 25)
    print(f"load average before: {os.getloadavg()}", flush=True)
    _guanxi(env, "migrate", "-v0")
    real = max(args.real, args.emails)
    total = real if args.skip_queue else max(real, args.customers)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MAKE_CUSTOMERS, str(real), str(total)],
        env=env,
        check=False,
    )
    assert done.returncode == 0
    print(f"customers ready in {time.perf_counter() - start:.1f} s", flush=True)
    if not args.skip_dispatch:
        dispatch(args, data_dir)
        print(f"load average: {os.getloadavg()}", flush=True)
    if not args.skip_queue:
        queue(args, data_dir)
        print(f"load average: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
