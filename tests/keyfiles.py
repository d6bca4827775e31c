"""A key file with one encryption key, one blind-index key (id ``b1``, none
retired) and a pseudonym key, made the settings' source: the set-up of the
tests of keys, key rotation and what is keyed by them."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

K1 = base64.urlsafe_b64encode(b"1" * 32).decode()
BLIND = base64.urlsafe_b64encode(b"b" * 32).decode()
PSEUDO = base64.urlsafe_b64encode(b"p" * 32).decode()


@pytest.fixture
def keyfile(settings: Any, tmp_path: Path) -> Path:
    """The key file (as from before blind-index key ids were kept) and the
    settings read from it."""
    path = tmp_path / "keys.json"
    path.write_text(
        json.dumps(
            {
                "secret_key": "x" * 50,
                "encryption_keys": f"k1={K1}",
                "encryption_key_id": "k1",
                "blind_index_key": BLIND,
                "pseudonym_key": PSEUDO,
            }
        )
    )
    path.chmod(0o600)
    settings.GUANXI_KEY_FILE = path
    settings.GUANXI_ENCRYPTION_KEYS = {"k1": b"1" * 32}
    settings.GUANXI_ENCRYPTION_KEY_ID = "k1"
    settings.GUANXI_BLIND_INDEX_KEY = BLIND.encode()
    settings.GUANXI_BLIND_INDEX_KEY_ID = "b1"
    settings.GUANXI_BLIND_INDEX_KEYS_RETIRED = {}
    settings.GUANXI_BLIND_INDEX_RETIRED_ON = {}
    settings.GUANXI_PSEUDONYM_KEY = PSEUDO.encode()
    return path
