"""The ``guanxi`` command speaks the terminal's language."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUANXI = Path(sys.executable).parent / "guanxi"


def _guanxi(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}
    }
    return subprocess.run(
        [str(GUANXI), *args],
        env={**clean, "GUANXI_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "CommandError: no such file: /no/such/file.csv"),
        ({"LANG": "C.UTF-8"}, "CommandError: no such file: /no/such/file.csv"),
        ({"LANG": "zh_CN.UTF-8"}, "CommandError: 文件不存在：/no/such/file.csv"),
        (
            {"LANG": "en_US.UTF-8", "LANGUAGE": "zh_CN"},
            "CommandError: 文件不存在：/no/such/file.csv",
        ),
    ],
)
def test_messages_follow_the_locale(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = _guanxi(tmp_path, "import", "customers", "/no/such/file.csv", **env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == message
    assert "Traceback" not in result.stderr
