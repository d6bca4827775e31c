"""``guanxi demo`` writes all of its data or none: killed outright (SIGKILL)
half-way, it leaves the database as it was, and running it again gives what a
run that was never killed gives. Real processes on the embedded SQLite default.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs the embedded SQLite default in its own folder; SQLite pass",
    ),
]
CUSTOMERS = 10_000
WAIT_SECONDS = 240  # for a busy machine; a healthy run needs a fraction of it


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(GUANXI_DATA_DIR=str(data_dir), LANGUAGE="en", PYTHONUNBUFFERED="1")
    return env


def _guanxi(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guanxi.cli", *args],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )


def _tables(data_dir: Path) -> dict[str, Any]:
    """What the demo wrote, without the creation timestamps."""
    queries = {
        "customers": "SELECT id, phone_index, email_index, name_tokens, city, "
        "gender, first_seen_at FROM customers_customer ORDER BY id",
        "identities": "SELECT customer_id, source, external_id "
        "FROM customers_customeridentity ORDER BY customer_id",
        "tags": "SELECT customer_id, tag_id, source FROM customers_customertag "
        "ORDER BY customer_id, tag_id",
        "orders": "SELECT id, external_id, customer_id, ordered_at, amount, status, "
        "store FROM commerce_order ORDER BY id",
        "lines": "SELECT order_id, product_id, quantity, amount "
        "FROM commerce_orderline ORDER BY id",
        # Notes are encrypted with a fresh nonce each: the same note gives a
        # ciphertext of the same length, never the same bytes.
        "interactions": "SELECT customer_id, kind, occurred_at, length(note) "
        "FROM customers_interaction ORDER BY id",
    }
    with sqlite3.connect(data_dir / "guanxi.sqlite3") as db:
        return {name: db.execute(sql).fetchall() for name, sql in queries.items()}


def test_a_killed_demo_leaves_nothing_and_a_rerun_gives_a_whole_demo(
    tmp_path: Path,
) -> None:
    killed, fresh = tmp_path / "killed", tmp_path / "fresh"
    assert _guanxi(killed, "migrate", "-v0").returncode == 0
    # The same keys in both folders: the same blind indexes for the same values.
    fresh.mkdir()
    shutil.copy(killed / "keys.json", fresh / "keys.json")
    assert _guanxi(fresh, "migrate", "-v0").returncode == 0
    before = _tables(killed)
    demo = subprocess.Popen(
        [sys.executable, "-m", "guanxi.cli", "demo", "--customers", str(CUSTOMERS)],
        env=_env(killed),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # tqdm's progress on stderr ("4000/10000", lines ended by \r)
    output: list[bytes] = []

    def read() -> None:
        assert demo.stderr is not None
        while chunk := os.read(demo.stderr.fileno(), 4096):
            output.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # Kill once a good part is done.
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            seen = b"".join(output).decode("utf-8", "replace")
            done = [int(n) for n in re.findall(r"(\d+)/10000", seen)]
            if done and max(done) >= CUSTOMERS * 4 // 10:
                break
            assert demo.poll() is None, f"the demo ended before it was killed:\n{seen}"
            time.sleep(0.05)
        else:
            pytest.fail(f"no progress from the demo:\n{seen}")
        demo.send_signal(signal.SIGKILL)
        demo.wait()
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        reader.join(timeout=10)
    assert _tables(killed) == before

    again = _guanxi(killed, "demo", "--customers", str(CUSTOMERS), "--no-progress")
    assert again.returncode == 0, again.stderr
    whole = _guanxi(fresh, "demo", "--customers", str(CUSTOMERS), "--no-progress")
    assert whole.returncode == 0, whole.stderr
    result = _tables(killed)
    assert result == _tables(fresh)
    assert len(result["customers"]) == CUSTOMERS
    phones = [row[1] for row in result["customers"]]
    assert len(set(phones)) == len(phones)
