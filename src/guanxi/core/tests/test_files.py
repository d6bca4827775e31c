"""Files at rest: private folders and files, made so or tightened."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from guanxi.core.files import private_file, private_folder


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_folder_is_made_or_tightened(tmp_path: Path) -> None:
    made = private_folder(tmp_path / "a" / "b")
    assert (_mode(tmp_path / "a"), _mode(made)) == (0o700, 0o700)
    old = tmp_path / "old"
    old.mkdir(mode=0o755)
    old.chmod(0o755)
    private_folder(old)
    assert _mode(old) == 0o700


def test_private_file_is_made_or_tightened_with_its_sqlite_companions(
    tmp_path: Path,
) -> None:
    new = private_file(tmp_path / "new.sqlite3")
    assert (_mode(new), new.stat().st_size) == (0o600, 0)
    old = tmp_path / "old.sqlite3"
    for path in (old, Path(f"{old}-wal"), Path(f"{old}-shm")):
        path.write_bytes(b"x")
        path.chmod(0o644)
    private_file(old)
    assert [_mode(p) for p in (old, Path(f"{old}-wal"), Path(f"{old}-shm"))] == [
        0o600
    ] * 3
    assert old.read_bytes() == b"x"  # tightened, not replaced
    private_file(tmp_path / "absent", create=False)
    assert not (tmp_path / "absent").exists()


def test_the_command_line_makes_private_data_files(tmp_path: Path) -> None:
    """A fresh data folder from `guanxi migrate` (umask of a typical shell: 022)."""
    data = tmp_path / "data"
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env["GUANXI_DATA_DIR"] = str(data)
    subprocess.run(
        [sys.executable, "-c", "import os; os.umask(0o022); "
         "from guanxi.cli import main; main(['migrate', '-v', '0'])"],
        env=env, check=True, timeout=300,
    )  # fmt: skip
    assert _mode(data) == 0o700
    for name in ("guanxi.sqlite3", "huey.sqlite3", "keys.json"):
        assert (name, _mode(data / name)) == (name, 0o600)
    for name in ("guanxi.sqlite3-wal", "guanxi.sqlite3-shm"):
        if (data / name).exists():
            assert (name, _mode(data / name)) == (name, 0o600)
