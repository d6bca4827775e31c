"""AES-GCM encryption with key ids, and HMAC blind indexes for exact lookup.

Ciphertext is stored as ``v1:<key id>:<base64url(nonce || ciphertext+tag)>``.
The field's identity is bound in as associated data, so a value copied into
another column does not decrypt. Keys rotate by adding a new key id and making
it current: old values still decrypt with their own key.
"""

from __future__ import annotations

import base64
import hmac
import os
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.signals import setting_changed
from django.dispatch import receiver

from guanxi.core.errors import DecryptionError

__all__ = [
    "blind_index",
    "decrypt",
    "encrypt",
    "encrypt_many",
    "is_ciphertext",
    "open_token",
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

    __slots__ = ("all", "blind", "current", "current_id", "pseudonym")

    def __init__(self, settings: Any) -> None:
        self.all: dict[str, bytes] = dict(settings.GUANXI_ENCRYPTION_KEYS)
        self.current_id: str = settings.GUANXI_ENCRYPTION_KEY_ID
        self.current = _aead(settings.GUANXI_ENCRYPTION_KEYS[self.current_id])
        self.blind: bytes = settings.GUANXI_BLIND_INDEX_KEY
        self.pseudonym: bytes = settings.GUANXI_PSEUDONYM_KEY


_keyring: _Keyring | None = None


def _keys() -> _Keyring:
    global _keyring
    if _keyring is None:
        _keyring = _Keyring(_settings())
    return _keyring


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    global _keyring
    if setting.startswith("GUANXI_"):
        _keyring = None


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
    keys = _keys().all
    key = keys.get(kid)
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


def blind_index(normalized: str, *, context: str) -> str:
    """Keyed hash of an already-normalised value, for exact search and de-duplication."""
    msg = f"{context}\x00{normalized}".encode()
    return hmac.digest(_keys().blind, msg, "sha256").hex()[:32]


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
