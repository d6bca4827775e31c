"""Secrets and encryption keys: from the environment, or generated into the data folder.

The embedded default generates its secrets on first run into
``$GUANXI_DATA_DIR/keys.json`` (mode 0600) so a new user has nothing to set up;
production settings require them from the environment. Encryption keys are
never derived from ``SECRET_KEY``.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any

from guanxi.core.crypto import (
    BLIND_INDEX_FIRST_ID,
    blind_index_keys,
    parse_key_list,
    parse_retired_keys,
)

__all__ = [
    "BLIND_INDEX_FIRST_ID",
    "blind_index_keys",
    "generate_keyfile",
    "load_keyfile",
    "parse_key_list",
    "parse_retired_keys",
]


def _new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def generate_keyfile(path: Path) -> dict[str, Any]:
    """Create a new key file at ``path`` and return its contents."""
    data = {
        "secret_key": secrets.token_urlsafe(50),
        "encryption_keys": f"k1={_new_key()}",
        "encryption_key_id": "k1",
        "blind_index_key": _new_key(),
        "blind_index_key_id": BLIND_INDEX_FIRST_ID,
        "blind_index_keys_retired": [],
        "pseudonym_key": _new_key(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    return data


def load_keyfile(path: Path) -> dict[str, Any]:
    """Read the key file, generating it on first run."""
    if not path.exists():
        try:
            return generate_keyfile(path)
        except FileExistsError:  # another process created it first
            pass
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data
