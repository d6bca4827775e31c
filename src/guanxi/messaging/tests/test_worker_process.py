"""The real thing: ``guanxi send`` and ``guanxi worker`` as processes, Huey
on its SQLite storage and on Redis, mail to an aiosmtpd server in this
process. Faults: a worker killed with SIGKILL mid-batch of 1,000 (then a new
worker delivers the rest: the plain delivery path too), two workers at once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from guanxi.messaging.tests.servers import (
    SMS_KEY_ID,
    SMS_SECRET,
    ProviderRecorder,
    SmtpRecorder,
    smtp_server,
    tencent_sms_server,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs the embedded SQLite default in its own folder; SQLite pass",
    ),
]
WAIT_SECONDS = 180  # for a busy machine; a healthy run needs a fraction of it
REDIS_URL = os.environ.get("GUANXI_TEST_REDIS_URL", "")
MAKE_CUSTOMERS = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
import django
django.setup()
from guanxi.customers.models import Customer
from guanxi.customers.services import customer_apply_contact
rows = []
for i in range(int(sys.argv[1])):
    c = Customer(name=f"客户{i}", email=f"c{i}@example.com", phone=f"+86139{i:08d}")
    customer_apply_contact(c)
    rows.append(c)
Customer.objects.bulk_create(rows, batch_size=1000)
"""


def _env(data_dir: Path, smtp_port: int, queue: str, **extra: str) -> dict[str, str]:
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
        **extra,
    )
    if queue == "redis":
        env["REDIS_URL"] = REDIS_URL
    return env


def _guanxi(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "guanxi.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "guanxi.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_for(smtp: SmtpRecorder, count: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while len({m["To"] for m in smtp.received}) < count and time.monotonic() < deadline:
        time.sleep(0.2)


CUSTOMERS = 1000


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated data folder with 1,000 customers, copied for each test
    (starting Django in a process is slow on a busy machine)."""
    folder = tmp_path_factory.mktemp("messaging-world")
    env = _env(folder / "data", 25, "sqlite")
    _guanxi(env, "migrate", "-v0")
    done = subprocess.run(
        [sys.executable, "-c", MAKE_CUSTOMERS, str(CUSTOMERS)], env=env, check=False
    )
    assert done.returncode == 0
    return folder / "data"


@pytest.fixture
def world(prepared: Path, tmp_path: Path) -> Iterator[tuple[SmtpRecorder, Path, int]]:
    shutil.copytree(prepared, tmp_path / "data")
    (tmp_path / "t.txt").write_text(
        "Subject: 你好 {{ name }}\n\n{{ name }}，新茶到了。\n", encoding="utf-8"
    )
    (tmp_path / "sms.txt").write_text("{{ name }}，新茶到了。\n", encoding="utf-8")
    with smtp_server() as (smtp, port):
        yield smtp, tmp_path, port


def _queue(
    env: dict[str, str], folder: Path, customers: int, channel: str = "email"
) -> dict[str, object]:
    ids = folder / "ids.csv"
    ids.write_text("".join(f"{i}\n" for i in range(1, customers + 1)), encoding="utf-8")
    out = _guanxi(
        env,
        "send",
        "--channel",
        channel,
        "--audience",
        f"file:{ids}",
        "--purpose",
        "service",
        "--template",
        str(folder / ("sms.txt" if channel == "sms" else "t.txt")),
        "--json",
    )
    return dict(json.loads(out))


def _statuses(data_dir: Path) -> dict[str, int]:
    """The outbox by status, read from the database file (starting Django
    for ``guanxi messages status`` takes long on a busy machine; that
    command is tested in test_commands)."""
    with sqlite3.connect(data_dir / "guanxi.sqlite3") as db:
        rows = db.execute(
            "SELECT status, COUNT(*) FROM messaging_message GROUP BY status"
        ).fetchall()
    return dict(rows)


def _queues() -> list[str]:
    return ["sqlite", "redis"] if REDIS_URL else ["sqlite"]


@pytest.mark.parametrize("queue", _queues())
def test_a_worker_killed_mid_batch_loses_nothing(
    world: tuple[SmtpRecorder, Path, int], queue: str
) -> None:
    smtp, folder, port = world
    env = _env(folder / "data", port, queue, GUANXI_MESSAGE_LEASE_SECONDS="3")
    assert _queue(env, folder, 1000) == {"queued": 1000, "suppressed": {}}
    worker = _worker(env)
    try:
        _wait_for(smtp, 150)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        _stop(worker)
    before = len(smtp.received)
    assert before < 1000, "the worker finished before it was killed"
    time.sleep(3.5)  # the dead worker's leases lapse
    again = _worker(env)
    try:
        _wait_for(smtp, 1000)
    finally:
        _stop(again)
    counts = Counter(m["To"] for m in smtp.received)
    assert set(counts) == {f"c{i}@example.com" for i in range(1000)}
    twice = [to for to, n in counts.items() if n > 1]
    assert len(twice) <= 2  # in flight at the kill: one per worker thread
    assert max(counts.values()) <= 2
    status = json.loads(_guanxi(env, "messages", "status", "--json"))
    assert status == {
        "queued": 0,
        "sending": 0,
        "sent": 1000,
        "failed": 0,
        "suppressed": 0,
    }


def test_two_workers_at_once_send_exactly_one_message_per_customer(
    world: tuple[SmtpRecorder, Path, int],
) -> None:
    smtp, folder, port = world
    env = _env(folder / "data", port, "sqlite")
    assert _queue(env, folder, 400) == {"queued": 400, "suppressed": {}}
    workers = [_worker(env), _worker(env)]
    try:
        _wait_for(smtp, 400)
        time.sleep(1)  # a duplicate would arrive now
    finally:
        for worker in workers:
            _stop(worker)
    counts = Counter(m["To"] for m in smtp.received)
    assert counts == Counter({f"c{i}@example.com": 1 for i in range(400)})
    assert _statuses(folder / "data") == {"sent": 400}


def test_sms_through_a_worker_process_arrives_once_each(
    world: tuple[SmtpRecorder, Path, int],
) -> None:
    """``guanxi send --channel sms`` and ``guanxi worker`` as processes, to
    Tencent Cloud SMS's stand-in, which checks every signature and throttles
    the first request."""
    _smtp, folder, port = world
    server = ProviderRecorder(key_id=SMS_KEY_ID, secret=SMS_SECRET)
    server.answers[:] = [(200, {"Code": "LimitExceeded.PhoneNumberOneHourLimit"})]
    with tencent_sms_server(server) as sms_port:
        env = _env(
            folder / "data",
            port,
            "sqlite",
            GUANXI_SMS_PROVIDER="tencent",
            GUANXI_SMS_KEY_ID=SMS_KEY_ID,
            GUANXI_SMS_KEY_SECRET=SMS_SECRET,
            GUANXI_SMS_SIGN_NAME="关系茶庄",
            GUANXI_SMS_TEMPLATE="1234",
            GUANXI_SMS_APP_ID="1400000000",
            GUANXI_SMS_ENDPOINT=f"http://127.0.0.1:{sms_port}/",
            GUANXI_CHANNELS_LOOPBACK_HTTP="1",
            GUANXI_MESSAGE_RETRY_BASE_SECONDS="0",
        )
        assert _queue(env, folder, 50, channel="sms") == {
            "queued": 50,
            "suppressed": {},
        }
        worker = _worker(env)
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while len(server.received) < 50 and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1)  # a duplicate would arrive now
        finally:
            _stop(worker)
    assert server.bad_signatures == 0
    assert server.requests == 51  # one throttled, then each once
    phones = Counter(r["PhoneNumberSet"][0] for r in server.received)
    assert phones == Counter({f"+86139{i:08d}": 1 for i in range(50)})
    assert _statuses(folder / "data") == {"sent": 50}
