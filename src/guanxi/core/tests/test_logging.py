"""What reaches the terminal from the log is one line without a traceback or
the text of an exception (which can quote personal values); the whole record
goes to the data folder's log file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import logging, django
django.setup()
try:
    raise ValueError("duplicate key (phone)=(+8613800138000)")
except ValueError:
    logging.getLogger("guanxi.probe").exception("a step failed:\\nsecond line")
"""


def _run(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "GUANXI_LOG_FILE"}
    }
    env.update(
        GUANXI_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="guanxi.config.settings",
        **extra,
    )
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_terminal_gets_one_line_and_the_file_everything(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 0, done.stderr
    log = tmp_path / "log" / "guanxi.log"
    assert done.stderr == (
        f"a step failed: second line (ValueError; details in {log.resolve()})\n"
    )
    written = log.read_text(encoding="utf-8")
    assert "ERROR guanxi.probe: a step failed:" in written
    assert "Traceback (most recent call last):" in written
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    assert oct(log.parent.stat().st_mode & 0o777) == "0o700"


def test_no_log_file_when_it_is_switched_off(tmp_path: Path) -> None:
    done = _run(tmp_path, GUANXI_LOG_FILE="")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "a step failed: second line (ValueError)\n"
    assert not (tmp_path / "log" / "guanxi.log").exists()


HUEY_SCRIPT = """
import logging, django
django.setup()
# Huey's run_huey adds its own handler (tracebacks on the terminal) only to
# a "huey" logger without handlers.
assert logging.getLogger("huey").handlers
try:
    raise RuntimeError("database is locked")
except RuntimeError:
    logging.getLogger("huey").exception("Unhandled exception in task 8878.")
logging.getLogger("huey").info("Executing task 8878")
"""


def test_the_task_workers_records_take_the_same_way(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "GUANXI_LOG_FILE", "GUANXI_LOG_LEVEL"}
    }
    env.update(
        GUANXI_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="guanxi.config.settings"
    )
    done = subprocess.run(
        [sys.executable, "-c", HUEY_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    log = tmp_path / "log" / "guanxi.log"
    assert done.stderr == (
        f"Unhandled exception in task 8878. (RuntimeError; details in {log.resolve()})\n"
    )
    assert "Traceback (most recent call last):" in log.read_text(encoding="utf-8")
