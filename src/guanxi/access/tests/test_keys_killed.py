"""``guanxi keys rotate`` killed outright (SIGKILL) half-way: every row still
reads, and the next run finishes the rotation with every value re-encrypted
exactly once.

Real processes on the embedded SQLite default in a folder of its own (its own
key file): customers imported with ``guanxi import``, the rotation killed as
soon as its first batches are committed, then run again.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs the embedded SQLite default in its own folder; SQLite pass",
    ),
]
CUSTOMERS = 5_000
VALUES = CUSTOMERS * 4  # name, phone, email, address
WAIT_SECONDS = 300  # for a busy machine; a healthy run needs a fraction of it

READ_ALL = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
import django
django.setup()
from guanxi.customers.models import Customer
names = [c.name for c in Customer.objects.only("name").iterator()]
print(len([n for n in names if n and n.startswith("客户")]))
"""


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GUANXI_")
        and k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(GUANXI_DATA_DIR=str(data_dir), LANGUAGE="en")
    return env


def _guanxi(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guanxi.cli", *args],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        check=True,
    )


def _rotation(db: Path) -> tuple[str, str | None] | None:
    """(progress, finished_at) of the rotation, read as another process would."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        row = conn.execute(
            "SELECT progress, finished_at FROM access_keyrotation"
        ).fetchone()
    return None if row is None else (row[0], row[1])


def test_a_killed_rotation_leaves_every_row_readable_and_resumes(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    _guanxi(data_dir, "migrate", "-v0")
    people = tmp_path / "people.csv"
    with people.open("w", encoding="utf-8") as handle:
        handle.write("name,phone,email,address\n")
        for i in range(CUSTOMERS):
            handle.write(f"客户{i},139{i:08d},c{i}@example.com,上海路{i}号\n")
    _guanxi(data_dir, "import", "customers", str(people))
    db = data_dir / "guanxi.sqlite3"

    rotation = subprocess.Popen(
        [sys.executable, "-m", "guanxi.cli", "keys", "rotate", "--no-progress"],
        env=_env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        # Killed once a batch of customers is committed, before the end.
        while True:
            state = _rotation(db) if db.exists() else None
            if state is not None and "customers.Customer" in state[0]:
                break
            assert rotation.poll() is None, "the rotation ended before it was killed"
            assert time.monotonic() < deadline, "no batch committed in time"
            time.sleep(0.01)
        rotation.send_signal(signal.SIGKILL)
    finally:
        rotation.wait()
    state = _rotation(db)
    assert state is not None and state[1] is None  # unfinished

    # Both keys are in use, and every row reads.
    status = json.loads(_guanxi(data_dir, "keys", "status", "--json").stdout)
    assert status["primary"] == "k2"
    assert set(status["values_by_key"]) == {"k1", "k2"}
    assert sum(status["values_by_key"].values()) == VALUES
    assert status["unfinished"]["key_id"] == "k2"
    read = subprocess.run(
        [sys.executable, "-c", READ_ALL],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        check=True,
    )
    assert read.stdout.strip() == str(CUSTOMERS)

    resumed = _guanxi(data_dir, "keys", "rotate", "--json", "--no-progress")

    assert json.loads(resumed.stdout) == {"key_id": "k2", "reencrypted": VALUES}
    status = json.loads(_guanxi(data_dir, "keys", "status", "--json").stdout)
    assert status["values_by_key"] == {"k2": VALUES}
    assert status["unfinished"] is None
    keys = json.loads((data_dir / "keys.json").read_text())
    assert keys["encryption_key_id"] == "k2"
