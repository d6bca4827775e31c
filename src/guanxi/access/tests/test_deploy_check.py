"""``guanxi check --deploy --fail-level WARNING`` passes with production
settings (HTTPS, HSTS, secure cookies, strong secret key), and fails with the
embedded defaults, in a fresh process as an operator runs it."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def _check(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GUANXI_", "DATABASE", "REDIS", "DJANGO_"))
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "guanxi.cli",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env={**clean, "GUANXI_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=240,
    )


def _production(tmp_path: Path) -> dict[str, str]:
    key = base64.urlsafe_b64encode(bytes(range(32))).decode()
    return {
        "GUANXI_ENV": "production",
        "GUANXI_SECRET_KEY": "p7Qz-" + "kX9mV2rT8wL4nB6yH1cJ5dF3gS0aZ" * 2,
        "GUANXI_ENCRYPTION_KEYS": f"k1={key}",
        "GUANXI_ENCRYPTION_KEY_ID": "k1",
        "GUANXI_BLIND_INDEX_KEY": "b" * 32,
        "GUANXI_PSEUDONYM_KEY": "p" * 32,
        "GUANXI_ALLOWED_HOSTS": "crm.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'guanxi.sqlite3'}",
    }


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    result = _check(tmp_path, _production(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_plain_http_in_production_does_not_pass(tmp_path: Path) -> None:
    result = _check(tmp_path, {**_production(tmp_path), "GUANXI_HTTPS": "0"})
    assert result.returncode == 1
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr
