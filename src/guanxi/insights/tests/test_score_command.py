"""``guanxi score`` as people run it: real processes, a killed run, both databases."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs its own data folders (and its own PostgreSQL database); SQLite pass",
    ),
]
WAIT = 300
TODAY = dt.date.today()


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(GUANXI_DATA_DIR=str(data_dir), LANGUAGE="en", LANG="C.UTF-8", **extra)
    return env


def _guanxi(
    data_dir: Path, *args: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guanxi.cli", *args],
        env=_env(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=WAIT,
    )


def _demo(data_dir: Path, customers: int = 400, **extra: str) -> None:
    done = _guanxi(
        data_dir,
        "demo",
        "--customers",
        str(customers),
        "--seed",
        "5",
        "--no-progress",
        **extra,
    )
    assert done.returncode == 0, done.stderr


def _snapshots(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT customer_id, as_of, stage, quadrant, emotion, orders, total_spend, "
            "current_value, potential_value, churn_risk FROM insights_scoresnapshot "
            "ORDER BY customer_id, as_of"
        ).fetchall()


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("score-demo")
    _demo(folder)
    return folder


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2026-13-01", "argument --as-of: '2026-13-01' is not a date (YYYY-MM-DD)"),
        ("yesterday", "argument --as-of: 'yesterday' is not a date (YYYY-MM-DD)"),
        ("2026-1-5", "argument --as-of: '2026-1-5' is not a date (YYYY-MM-DD)"),
        (
            (TODAY + dt.timedelta(days=2)).isoformat(),
            f"CommandError: as of {TODAY + dt.timedelta(days=2)} is after today "
            f"({TODAY}): scores are of the past",
        ),
        (
            "1999-01-01",
            "CommandError: There are no orders on or before 1999-01-01 to score: "
            "import orders first.",
        ),
    ],
)
def test_bad_dates_get_a_message_and_change_nothing(
    demo_folder: Path, as_of: str, message: str
) -> None:
    done = _guanxi(demo_folder, "score", "--as-of", as_of, "--json")
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    with sqlite3.connect(demo_folder / "guanxi.sqlite3") as con:
        assert con.execute("SELECT COUNT(*) FROM insights_scorerun").fetchone() == (0,)
        assert con.execute(
            "SELECT COUNT(*) FROM insights_scoresnapshot"
        ).fetchone() == (0,)


def test_a_killed_run_restarted_ends_with_one_snapshot_per_customer(
    tmp_path: Path,
) -> None:
    _demo(tmp_path, customers=1500)
    db = tmp_path / "guanxi.sqlite3"
    killed_at = None
    for _attempt in range(3):
        process = subprocess.Popen(
            [sys.executable, "-m", "guanxi.cli", "score", "--no-progress"],
            env=_env(tmp_path, GUANXI_SCORE_CHUNK="5"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and process.poll() is None:
            with sqlite3.connect(db, timeout=30) as con:
                row = con.execute(
                    "SELECT written_through FROM insights_scorerun"
                ).fetchone()
            if row and row[0] > 0:
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
        process.wait(timeout=WAIT)
        with sqlite3.connect(db) as con:
            state = con.execute(
                "SELECT status, written_through FROM insights_scorerun"
            ).fetchone()
        if state[0] == "running" and state[1] > 0:
            killed_at = state[1]
            break
    assert killed_at is not None, "the run always finished before it could be killed"
    with sqlite3.connect(db) as con:
        written = con.execute(
            "SELECT MAX(customer_id) FROM insights_scoresnapshot"
        ).fetchone()
        assert written[0] == killed_at  # half-way: nothing past the checkpoint
    # The dead run's heartbeat must look stale to be taken over at once.
    with sqlite3.connect(db) as con:
        con.execute("UPDATE insights_scorerun SET heartbeat_at = '2000-01-01 00:00:00'")
    again = _guanxi(tmp_path, "score", "--json", "--no-progress")
    assert again.returncode == 0, again.stderr
    printed = json.loads(again.stdout)
    with sqlite3.connect(db) as con:
        customers = con.execute("SELECT COUNT(*) FROM customers_customer").fetchone()[0]
        rows, distinct = con.execute(
            "SELECT COUNT(*), COUNT(DISTINCT customer_id) FROM insights_scoresnapshot"
        ).fetchone()
    assert rows == distinct == customers == printed["customers"] == 1500
    # And the same rows a run that was never killed writes.
    fresh = tmp_path / "fresh"
    _demo(fresh, customers=1500)
    clean = _guanxi(fresh, "score", "--json", "--no-progress")
    assert clean.returncode == 0, clean.stderr
    assert _snapshots(db) == _snapshots(fresh / "guanxi.sqlite3")


def test_scores_on_sqlite_and_postgresql_are_identical(tmp_path: Path) -> None:
    url = os.environ.get("GUANXI_TEST_POSTGRES_URL")
    if not url:
        pytest.skip(
            "GUANXI_TEST_POSTGRES_URL is not set: no PostgreSQL to compare with"
        )
    import psycopg

    name = f"guanxi_score_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f"CREATE DATABASE {name}")
    try:
        base, _slash, _db = url.rpartition("/")
        pg_url = f"{base}/{name}"
        sqlite_dir, pg_dir = tmp_path / "sqlite", tmp_path / "pg"
        _demo(sqlite_dir)
        _demo(pg_dir, DATABASE_URL=pg_url)
        as_of = (TODAY - dt.timedelta(days=1)).isoformat()
        on_sqlite = _guanxi(sqlite_dir, "score", "--as-of", as_of, "--json")
        on_pg = _guanxi(
            pg_dir, "score", "--as-of", as_of, "--json", DATABASE_URL=pg_url
        )
        assert on_sqlite.returncode == 0, on_sqlite.stderr
        assert on_pg.returncode == 0, on_pg.stderr
        first, second = json.loads(on_sqlite.stdout), json.loads(on_pg.stdout)
        first.pop("seconds"), second.pop("seconds")
        assert first == second
        columns = (
            "customer_id, as_of::text, orders, total_spend, first_purchase::text, "
            "last_purchase::text, days_since_last_purchase, mean_gap_days, orders_30d, "
            "spend_30d, r_score, f_score, m_score, rfm_segment, current_value, "
            "potential_value, value_score, quadrant, stage, emotion, p_alive, "
            "expected_purchases_90d, churn_risk"
        )
        with psycopg.connect(pg_url) as con:
            pg_rows = con.execute(
                f"SELECT {columns} FROM insights_scoresnapshot ORDER BY customer_id"
            ).fetchall()
            pg_reasons = con.execute(
                "SELECT emotion_reasons::text, churn_reasons::text FROM "
                "insights_scoresnapshot ORDER BY customer_id"
            ).fetchall()
        with sqlite3.connect(sqlite_dir / "guanxi.sqlite3") as con:
            sqlite_rows = con.execute(
                f"SELECT {columns.replace('::text', '')} FROM insights_scoresnapshot "
                "ORDER BY customer_id"
            ).fetchall()
            sqlite_reasons = con.execute(
                "SELECT emotion_reasons, churn_reasons FROM insights_scoresnapshot "
                "ORDER BY customer_id"
            ).fetchall()
        assert len(sqlite_rows) == len(pg_rows) == 400
        assert [tuple(r) for r in pg_rows] == [tuple(r) for r in sqlite_rows]
        assert [tuple(json.loads(v) for v in r) for r in pg_reasons] == [
            tuple(json.loads(v) for v in r) for r in sqlite_reasons
        ]
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def test_the_process_ends_with_everything_written_and_closed(tmp_path: Path) -> None:
    """``guanxi score`` ends without the interpreter's teardown
    (``core.exiting``): what it wrote must all be there for other processes —
    its output, the run and every snapshot, the follow-ups' tasks in the
    queue — and its database closed (the write-ahead log checkpointed)."""
    _demo(tmp_path, customers=300)
    huey = tmp_path / "huey.sqlite3"
    with sqlite3.connect(huey) as con:
        queued_before = con.execute("SELECT COUNT(*) FROM task").fetchone()[0]
    done = _guanxi(
        tmp_path, "score", "--as-of", "2026-06-30", "--json", "--no-progress"
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    db = tmp_path / "guanxi.sqlite3"
    wal = Path(f"{db}-wal")
    # Closed by the command: the last connection's close wrote the log back.
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        run = con.execute(
            "SELECT status, customers, followups FROM insights_scorerun "
            "WHERE as_of = '2026-06-30'"
        ).fetchone()
        snapshots = con.execute(
            "SELECT COUNT(*) FROM insights_scoresnapshot WHERE as_of = '2026-06-30'"
        ).fetchone()[0]
    assert run == ("done", printed["customers"], "queued")
    assert snapshots == printed["customers"] > 0
    with sqlite3.connect(huey) as con:
        queued = con.execute("SELECT COUNT(*) FROM task").fetchone()[0]
    # The follow-up chain, and the co-purchase pairs' own task.
    assert queued == queued_before + 2
