"""The data commands set up a new data folder's tables before they run.

``guanxi demo`` as the first command in an empty folder used to stop with
"no such table: auth_user"; it now migrates first and says so, once.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a new embedded SQLite data folder; SQLite pass",
    ),
]


def _guanxi(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(GUANXI_DATA_DIR=str(data_dir), LANGUAGE="en", LANG="C.UTF-8")
    return subprocess.run(
        [sys.executable, "-m", "guanxi.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_demo_in_a_new_folder_sets_up_the_database_first(tmp_path: Path) -> None:
    first = _guanxi(tmp_path, "demo", "--customers", "30", "--seed", "1")
    assert first.returncode == 0, first.stderr
    assert "Preparing the database (" in first.stderr
    with sqlite3.connect(tmp_path / "guanxi.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM customers_customer").fetchone() == (30,)
    # Once set up, no second notice.
    again = _guanxi(tmp_path, "api-token", "demo_admin")
    assert again.returncode == 0, again.stderr
    assert "Preparing the database" not in again.stderr


def test_help_of_a_data_command_does_not_touch_the_folder(tmp_path: Path) -> None:
    shown = _guanxi(tmp_path, "import", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "usage:" in shown.stdout
    assert "Preparing the database" not in shown.stderr


def test_score_after_an_upgrade_applies_the_missing_steps_first(tmp_path: Path) -> None:
    made = _guanxi(tmp_path, "demo", "--customers", "30", "--seed", "1")
    assert made.returncode == 0, made.stderr
    # As if the folder came from a release before the insights' last migrations.
    back = _guanxi(tmp_path, "migrate", "insights", "0001", "--verbosity", "0")
    assert back.returncode == 0, back.stderr
    scored = _guanxi(tmp_path, "score", "--no-progress", "--json")
    assert scored.returncode == 0, scored.stderr
    insights = Path(__file__).resolve().parents[2] / "insights" / "migrations"
    missing = len(list(insights.glob("0[0-9][0-9][0-9]_*.py"))) - 1
    assert f"Preparing the database ({missing} steps)" in scored.stderr
    assert "Traceback" not in scored.stderr
    assert "failed" not in scored.stdout
    with sqlite3.connect(tmp_path / "guanxi.sqlite3") as db:
        # The dashboard's figures, written by a receiver of the finished run
        # into a table of the missing steps.
        assert db.execute("SELECT COUNT(*) FROM insights_runfigures").fetchone()[0] > 0
        assert db.execute("SELECT message FROM insights_scorerun").fetchone() == ("",)
