"""Configuration from the environment: generated keys for the embedded default,
required secrets in production."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("GUANXI_", "DATABASE"))
    }
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='guanxi.config.settings';"
        "from django.conf import settings; django.setup();"
        "print(settings.DATABASES['default']['ENGINE'], settings.GUANXI_ENCRYPTION_KEY_ID)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_embedded_default_generates_private_keys(tmp_path: Path) -> None:
    result = _load_settings({"GUANXI_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "k1"]
    keyfile = tmp_path / "keys.json"
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    keys = json.loads(keyfile.read_text())
    assert set(keys) == {
        "secret_key",
        "encryption_keys",
        "encryption_key_id",
        "blind_index_key",
        "blind_index_key_id",
        "blind_index_keys_retired",
        "pseudonym_key",
    }
    assert (keys["blind_index_key_id"], keys["blind_index_keys_retired"]) == ("b1", [])
    # Encryption keys are independent of the secret key.
    assert keys["secret_key"] not in keys["encryption_keys"]
    # A second start reuses the same keys.
    again = _load_settings({"GUANXI_DATA_DIR": str(tmp_path)})
    assert again.returncode == 0
    assert json.loads(keyfile.read_text()) == keys


def test_production_requires_secrets_from_the_environment(tmp_path: Path) -> None:
    result = _load_settings(
        {"GUANXI_ENV": "production", "GUANXI_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode != 0
    assert (
        "GUANXI_SECRET_KEY must be set in production (GUANXI_ENV=production)"
        in result.stderr
    )
    assert not (tmp_path / "keys.json").exists()


def test_current_key_id_must_exist(tmp_path: Path) -> None:
    result = _load_settings(
        {"GUANXI_DATA_DIR": str(tmp_path), "GUANXI_ENCRYPTION_KEY_ID": "k7"}
    )
    assert result.returncode != 0
    assert (
        "GUANXI_ENCRYPTION_KEY_ID 'k7' is not among the encryption keys"
        in result.stderr
    )


def test_bad_key_list_is_rejected(tmp_path: Path) -> None:
    result = _load_settings(
        {"GUANXI_DATA_DIR": str(tmp_path), "GUANXI_ENCRYPTION_KEYS": "k1=c2hvcnQ="}
    )
    assert result.returncode != 0
    assert "encryption key 'k1' must be 16, 24 or 32 bytes, got 5" in result.stderr
