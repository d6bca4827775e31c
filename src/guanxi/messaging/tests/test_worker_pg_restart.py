"""PostgreSQL restarted under a sending worker: ``guanxi worker`` as a
process sends 1,000 e-mails to an aiosmtpd server while the test's
PostgreSQL server (the one ``scripts/services`` started) is restarted with
``pg_ctl restart -m fast``, which cuts every connection. The batch resumes:
every recipient gets their message, duplicates are at most the messages in
flight at the restart (one per worker thread), and nothing stays ``sending``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guanxi.messaging.tests.servers import smtp_server
from guanxi.messaging.tests.test_worker_process import (
    CUSTOMERS,
    MAKE_CUSTOMERS,
    WAIT_SECONDS,
    _env,
    _guanxi,
    _queue,
    _stop,
    _wait_for,
)

POSTGRES_URL = os.environ.get("DATABASE_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not POSTGRES_URL.startswith("postgres"),
        reason="restarts the test PostgreSQL server; the PostgreSQL pass",
    ),
]
#: Worker threads of ``guanxi worker`` (each has at most one message in flight).
THREADS = 2


def _sql(database_url: str, statement: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        cursor = db.execute(statement)
        return cursor.fetchall() if cursor.description else []


def _pg_ctl(data_dir: str, *args: str) -> None:
    """``pg_ctl`` of the server's own installation, as the user owning it."""
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    assert binaries, "PostgreSQL's pg_ctl is not installed"
    log = str(Path(data_dir) / "server.log")
    command = [str(binaries[-1]), "-D", data_dir, "-l", log, "-w", *args]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    # No pipes: the restarted server would inherit them and keep them open.
    subprocess.run(
        command,
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.fixture
def database() -> Iterator[tuple[str, str]]:
    """A database of its own on the test server, and the server's data folder."""
    name = f"guanxi_restart_{uuid.uuid4().hex[:8]}"
    _sql(POSTGRES_URL, f'CREATE DATABASE "{name}"')
    data_dir = _sql(POSTGRES_URL, "SHOW data_directory")[0][0]
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url, str(data_dir)
    finally:
        _sql(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _statuses(database_url: str) -> dict[str, int]:
    rows = _sql(
        database_url, "SELECT status, COUNT(*) FROM messaging_message GROUP BY status"
    )
    return {str(status): int(n) for status, n in rows}


def test_postgres_restarted_mid_batch_loses_nothing(
    database: tuple[str, str], tmp_path: Path
) -> None:
    url, data_dir = database
    (tmp_path / "t.txt").write_text(
        "Subject: 你好 {{ name }}\n\n{{ name }}，新茶到了。\n", encoding="utf-8"
    )
    with smtp_server() as (smtp, port):
        env = _env(tmp_path / "data", port, "sqlite", GUANXI_MESSAGE_LEASE_SECONDS="5")
        env["DATABASE_URL"] = url
        _guanxi(env, "migrate", "-v0")
        made = subprocess.run(
            [sys.executable, "-c", MAKE_CUSTOMERS, str(CUSTOMERS)], env=env, check=False
        )
        assert made.returncode == 0
        assert _queue(env, tmp_path, CUSTOMERS) == {"queued": 1000, "suppressed": {}}
        log = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", "guanxi.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            _wait_for(smtp, 150)
            before = len({m["To"] for m in smtp.received})
            _pg_ctl(data_dir, "-m", "fast", "restart")
            assert before < CUSTOMERS, "the worker finished before the restart"
            _wait_for(smtp, CUSTOMERS)
            # Every recipient has their message; now the outbox settles: the
            # messages in flight at the restart were sent but not recorded,
            # and are sent again once their lease lapses.
            deadline = time.monotonic() + WAIT_SECONDS
            while _statuses(url) != {"sent": CUSTOMERS} and time.monotonic() < deadline:
                time.sleep(0.5)
            assert worker.poll() is None, "the worker died with the connection"
        finally:
            _stop(worker)
            log.close()
        counts = Counter(m["To"] for m in smtp.received)
    assert set(counts) == {f"c{i}@example.com" for i in range(CUSTOMERS)}
    assert sum(n - 1 for n in counts.values()) <= THREADS
    # It went on by itself on a new connection, not at the minute's sweep.
    logged = (tmp_path / "worker.log").read_text(encoding="utf-8", errors="replace")
    assert "claiming again" in logged
    assert _statuses(url) == {"sent": CUSTOMERS}
    status = json.loads(_guanxi(env, "messages", "status", "--json"))
    assert status == {
        "queued": 0,
        "sending": 0,
        "sent": 1000,
        "failed": 0,
        "suppressed": 0,
    }
