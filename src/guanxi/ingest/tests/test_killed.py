"""A CLI import killed outright (SIGKILL): its parsing helper process goes too,
and the database is as it was.

Real processes: ``guanxi import orders`` on a file large enough to be parsed in
a forked helper, in a fresh embedded SQLite database.
"""

from __future__ import annotations

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
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]
ROWS = 60_000  # above FORK_FROM: parsed in a helper process
WAIT_SECONDS = 120  # for a busy machine; a healthy run needs a fraction of it

# The same import, with the kernel's "kill me with my parent" switched off, so
# that only the helper's own check of its parent can end it.
WITHOUT_PDEATHSIG = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
import django
django.setup()
from guanxi.ingest import parallel
parallel.kernel_kills_child_with_parent = lambda: None
from django.core.management import call_command
call_command("import", "orders", sys.argv[1])
"""


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(GUANXI_DATA_DIR=str(data_dir), LANGUAGE="en")
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("killed-import")
    subprocess.run(
        [sys.executable, "-m", "guanxi.cli", "migrate", "-v0"],
        env=_env(data_dir),
        check=True,
    )
    return data_dir


@pytest.fixture(scope="module")
def orders_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("killed-import-file") / "orders.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("订单号,下单时间,金额,手机号,姓名\n")
        for i in range(ROWS):
            handle.write(
                f"K-{i},2024-01-{1 + i % 28:02d} 10:00:00,{i % 500}.50,"
                f"138{i % 20000:08d},客户{i % 20000}\n"
            )
    return path


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for whoever adopted it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _counts(data_dir: Path) -> tuple[int, int]:
    with sqlite3.connect(data_dir / "guanxi.sqlite3") as db:
        customers = db.execute("SELECT COUNT(*) FROM customers_customer").fetchone()
        orders = db.execute("SELECT COUNT(*) FROM commerce_order").fetchone()
    return customers[0], orders[0]


@pytest.mark.parametrize("how", ["kernel", "parent check"])
def test_the_parsing_helper_exits_when_the_import_is_killed(
    migrated: Path, orders_file: Path, how: str
) -> None:
    if how == "kernel":
        command = [sys.executable, "-m", "guanxi.cli", "import", "orders"]
    else:
        command = [sys.executable, "-c", WITHOUT_PDEATHSIG]
    parent = subprocess.Popen(
        [*command, str(orders_file)],
        env=_env(migrated),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    helper = None
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while helper is None and time.monotonic() < deadline:
            assert parent.poll() is None, "the import ended before it was killed"
            children = _children(parent.pid)
            helper = children[0] if children else None
            time.sleep(0.05)
        assert helper is not None, "no parsing helper process appeared"
        # Killed at once: the helper parses on, fills the queue and would then
        # wait for a reader that is gone.
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + WAIT_SECONDS
        while _running(helper) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(helper), "the parsing helper outlived the killed import"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if helper is not None and _running(helper):
            os.kill(helper, signal.SIGKILL)
    assert _counts(migrated) == (0, 0)
