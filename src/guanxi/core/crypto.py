"""AES-GCM encryption with key ids, and HMAC blind indexes for exact lookup.

Ciphertext is stored as ``v1:<key id>:<base64url(nonce || ciphertext+tag)>``.
The field's identity is bound in as associated data, so a value copied into
another column does not decrypt. Keys rotate by adding a new key id and making
it current: old values still decrypt with their own key.

A process that meets a key id it does not know (``guanxi keys rotate`` added
one to the embedded key file after this process started) reads the key file
again before giving up, so a running server keeps reading every row while the
rotation runs, and writes under the new key from then on.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import re
import threading
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.signals import setting_changed
from django.dispatch import receiver

from guanxi.core.errors import DecryptionError

__all__ = [
    "BLIND_INDEX_FIRST_ID",
    "blind_index",
    "blind_index_key_id",
    "blind_index_key_ids",
    "blind_index_keys",
    "blind_index_under",
    "decrypt",
    "decrypt_bytes",
    "encrypt",
    "encrypt_bytes",
    "encrypt_many",
    "encryption_key",
    "encryption_key_id",
    "is_ciphertext",
    "keyring_forget",
    "open_token",
    "parse_key_list",
    "parse_retired_keys",
    "pseudonym",
    "seal_token",
]

PREFIX = "v1:"


def _settings() -> Any:
    from django.conf import settings

    return settings


@lru_cache(maxsize=16)
def _aead(key: bytes) -> AESGCM:
    return AESGCM(key)


class _Keyring:
    """The keys as the settings give them, read once (imports encrypt and hash
    hundreds of thousands of values; a settings lookup each time costs more than
    the hash). Re-read when a test or a reload changes a setting."""

    __slots__ = (
        "all",
        "blind",
        "blind_id",
        "blind_retired",
        "current",
        "current_id",
        "pseudonym",
    )

    def __init__(self, settings: Any) -> None:
        self.all: dict[str, bytes] = dict(settings.GUANXI_ENCRYPTION_KEYS)
        self.current_id: str = settings.GUANXI_ENCRYPTION_KEY_ID
        self.current = _aead(settings.GUANXI_ENCRYPTION_KEYS[self.current_id])
        self.blind: bytes = settings.GUANXI_BLIND_INDEX_KEY
        self.blind_id: str = getattr(
            settings, "GUANXI_BLIND_INDEX_KEY_ID", BLIND_INDEX_FIRST_ID
        )
        self.blind_retired: dict[str, bytes] = dict(
            getattr(settings, "GUANXI_BLIND_INDEX_KEYS_RETIRED", {})
        )
        self.pseudonym: bytes = settings.GUANXI_PSEUDONYM_KEY


_keyring: _Keyring | None = None


def _keys() -> _Keyring:
    global _keyring
    if _keyring is None:
        _keyring = _Keyring(_settings())
    return _keyring


def keyring_forget() -> None:
    """Read the keys from the settings again at the next use."""
    global _keyring
    _keyring = None


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("GUANXI_"):
        keyring_forget()


def parse_key_list(text: str) -> dict[str, bytes]:
    """Parse ``"k2=<base64>,k1=<base64>"`` into ``{"k2": b"...", "k1": b"..."}``."""
    keys: dict[str, bytes] = {}
    for number, item in enumerate(text.split(","), 1):
        item = item.strip()
        if not item:
            continue
        kid, sep, encoded = item.partition("=")
        if not sep or not kid:
            # Never any of the entry itself: it may be the key.
            raise ValueError(
                f"encryption key entry {number} is not KEY_ID=BASE64 "
                "(e.g. k1=… — an '=' between the id and the key)"
            )
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if len(raw) not in (16, 24, 32):
            raise ValueError(
                f"encryption key {kid!r} must be 16, 24 or 32 bytes, got {len(raw)}"
            )
        keys[kid] = raw
    return keys


#: The id of the first blind-index key (key files from before key ids were
#: kept have no ``blind_index_key_id``: their key is this one).
BLIND_INDEX_FIRST_ID = "b1"
_BLIND_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_retired_keys(text: str) -> list[dict[str, str]]:
    """``GUANXI_BLIND_INDEX_KEYS_RETIRED``: ``"b1=<key>@2026-12-06,b2=<key>"``
    (the date it was retired is optional) as the key file's list. Errors name
    the entry's number, never the entry (it holds a key)."""
    found: list[dict[str, str]] = []
    for number, item in enumerate(text.split(","), 1):
        item = item.strip()
        if not item:
            continue
        kid, sep, rest = item.partition("=")
        key, at, day = rest.rpartition("@") if "@" in rest else (rest, "", "")
        if (
            not sep
            or not _BLIND_KEY_ID.fullmatch(kid)
            or not key
            or (at and not _DATE.fullmatch(day))
        ):
            raise ValueError(
                f"retired blind-index key entry {number} is not ID=KEY or "
                "ID=KEY@YYYY-MM-DD (e.g. b1=…@2026-12-06)"
            )
        found.append({"id": kid, "key": key, "retired_on": day})
    return found


def blind_index_keys(
    data: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[str, dict[str, bytes], dict[str, str]]:
    """The current blind-index key's id, the retired keys by id and the day
    each was retired, from the environment (``GUANXI_BLIND_INDEX_KEY_ID``,
    ``GUANXI_BLIND_INDEX_KEYS_RETIRED``) or else the key file's data."""
    key_id = environ.get("GUANXI_BLIND_INDEX_KEY_ID") or str(
        data.get("blind_index_key_id") or BLIND_INDEX_FIRST_ID
    )
    if not _BLIND_KEY_ID.fullmatch(key_id):
        raise ValueError(
            "GUANXI_BLIND_INDEX_KEY_ID must be 1 to 16 letters, digits, _ or -"
        )
    text = environ.get("GUANXI_BLIND_INDEX_KEYS_RETIRED")
    entries = (
        parse_retired_keys(text)
        if text
        else list(data.get("blind_index_keys_retired") or [])
    )
    keys: dict[str, bytes] = {}
    days: dict[str, str] = {}
    for entry in entries:
        if entry["id"] == key_id:
            raise ValueError(
                f"blind-index key {key_id} is both the current and a retired key"
            )
        keys[entry["id"]] = str(entry["key"]).encode("ascii")
        days[entry["id"]] = str(entry.get("retired_on") or "")
    return key_id, keys, days


_reload_lock = threading.Lock()


def _key_from_file(kid: str) -> bytes | None:
    """The key ``kid`` from the embedded key file, which a rotation may have
    changed since this process read it; the file's primary key becomes this
    process's too (so it stops writing under the old one)."""
    path = getattr(_settings(), "GUANXI_KEY_FILE", None)
    if not path:
        return None
    with _reload_lock:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            found = parse_key_list(data["encryption_keys"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        keys = _keys()
        keys.all.update(found)
        primary = data.get("encryption_key_id")
        if primary in found and primary != keys.current_id:
            keys.current_id = primary
            keys.current = _aead(found[primary])
        return found.get(kid)


def encryption_key_id() -> str:
    """The id of the current encryption key."""
    return _keys().current_id


def encryption_key(kid: str) -> bytes:
    """The encryption key ``kid`` (for files sealed in chunks,
    :mod:`guanxi.core.sealedfile`); KeyError when it is not configured."""
    key = _keys().all.get(kid) or _key_from_file(kid)
    if key is None:
        raise KeyError(kid)
    return key


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt ``plaintext`` with the current key; ``context`` names the field."""
    keys = _keys()
    nonce = os.urandom(12)
    sealed = keys.current.encrypt(
        nonce, plaintext.encode("utf-8"), context.encode("utf-8")
    )
    token = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}{keys.current_id}:{token}"


def encrypt_many(plaintexts: list[str | None], *, context: str) -> list[str | None]:
    """:func:`encrypt` for many values of one field (None stays None): the same
    format, with the nonces drawn from the system in one call."""
    keys = _keys()
    seal = keys.current.encrypt
    aad = context.encode("utf-8")
    head = f"{PREFIX}{keys.current_id}:"
    nonces = os.urandom(12 * len(plaintexts))
    out: list[str | None] = []
    append = out.append
    for i, plaintext in enumerate(plaintexts):
        if plaintext is None:
            append(None)
            continue
        nonce = nonces[12 * i : 12 * i + 12]
        raw = nonce + seal(nonce, plaintext.encode("utf-8"), aad)
        append(head + base64.urlsafe_b64encode(raw).decode("ascii"))
    return out


def is_ciphertext(value: str) -> bool:
    return value.startswith(PREFIX) and value.count(":") >= 2


def decrypt(stored: str, *, context: str) -> str:
    """Decrypt a stored value; a wrong or missing key raises :class:`DecryptionError`."""
    if not is_ciphertext(stored):
        raise DecryptionError(f"{context}: the stored value is not Guanxi ciphertext")
    _, kid, token = stored.split(":", 2)
    key = _keys().all.get(kid)
    if key is None:
        key = _key_from_file(kid)
    if key is None:
        raise DecryptionError(f"{context}: encryption key {kid!r} is not configured")
    try:
        raw = base64.urlsafe_b64decode(token)
        plain = _aead(key).decrypt(raw[:12], raw[12:], context.encode("utf-8"))
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError(
            f"{context}: cannot decrypt with key {kid!r} (wrong key or damaged value)"
        ) from exc
    return plain.decode("utf-8")


BYTES_PREFIX = b"GXE1:"


def encrypt_bytes(data: bytes, *, context: str) -> bytes:
    """A file's content encrypted with the current key:
    ``GXE1:<key id>:`` then nonce, ciphertext and tag."""
    keys = _keys()
    nonce = os.urandom(12)
    sealed = keys.current.encrypt(nonce, data, context.encode("utf-8"))
    return BYTES_PREFIX + keys.current_id.encode("ascii") + b":" + nonce + sealed


def decrypt_bytes(stored: bytes, *, context: str) -> bytes:
    """What :func:`encrypt_bytes` sealed; a wrong or missing key, or a damaged
    file, raises :class:`DecryptionError`."""
    if not stored.startswith(BYTES_PREFIX) or b":" not in stored[len(BYTES_PREFIX) :]:
        raise DecryptionError(f"{context}: the stored file is not Guanxi ciphertext")
    kid_raw, _sep, raw = stored[len(BYTES_PREFIX) :].partition(b":")
    kid = kid_raw.decode("ascii", "replace")
    key = _keys().all.get(kid) or _key_from_file(kid)
    if key is None:
        raise DecryptionError(f"{context}: encryption key {kid!r} is not configured")
    try:
        return _aead(key).decrypt(raw[:12], raw[12:], context.encode("utf-8"))
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError(
            f"{context}: cannot decrypt with key {kid!r} (wrong key or damaged file)"
        ) from exc


def blind_index(normalized: str, *, context: str) -> str:
    """Keyed hash of an already-normalised value, for exact search and de-duplication."""
    msg = f"{context}\x00{normalized}".encode()
    return hmac.digest(_keys().blind, msg, "sha256").hex()[:32]


def blind_index_key_id() -> str:
    """The id of the blind-index key :func:`blind_index` hashes with."""
    return _keys().blind_id


def blind_index_key_ids() -> tuple[str, ...]:
    """The current blind-index key's id, then the retired keys' still kept."""
    keys = _keys()
    return (keys.blind_id, *sorted(set(keys.blind_retired) - {keys.blind_id}))


def blind_index_under(normalized: str, *, context: str, key_id: str) -> str | None:
    """:func:`blind_index` under the current or a retired blind-index key
    (the keyed hashes of erased people stay under the key of their day);
    None when no key of that id is configured."""
    keys = _keys()
    if key_id == keys.blind_id:
        key = keys.blind
    else:
        found = keys.blind_retired.get(key_id)
        if found is None:
            return None
        key = found
    msg = f"{context}\x00{normalized}".encode()
    return hmac.digest(key, msg, "sha256").hex()[:32]


def pseudonym(value: str | int, *, context: str = "customer") -> str:
    """Stable keyed-hash identifier shown to roles that must not identify people."""
    msg = f"{context}\x00{value}".encode()
    return "p_" + hmac.digest(_keys().pseudonym, msg, "sha256").hex()[:16]


def seal_token(plaintext: str, *, context: str) -> str:
    """``plaintext`` encrypted and authenticated as one URL-safe token (a list
    cursor): nobody can read what is in it or forge one. ``context`` names what
    it is for, so a token made for one purpose opens for no other."""
    stored = encrypt(plaintext, context=f"token\x00{context}")
    return base64.urlsafe_b64encode(stored.encode("ascii")).decode("ascii").rstrip("=")


def open_token(token: str, *, context: str) -> str | None:
    """What :func:`seal_token` sealed, or None for a token that is not one of
    ours for ``context`` (damaged, forged, made for something else, or sealed
    with a key no longer configured)."""
    if not token or len(token) > 4096 or not token.isascii():
        return None
    try:
        stored = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode(
            "ascii"
        )
        return decrypt(stored, context=f"token\x00{context}")
    except (ValueError, DecryptionError):
        return None
