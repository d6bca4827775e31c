"""Encryption at rest: no plaintext in the table, a wrong key is an error."""

from __future__ import annotations

import base64

import pytest

from guanxi.core.crypto import blind_index, decrypt, encrypt
from guanxi.core.errors import DecryptionError


def test_round_trip_and_context_binding() -> None:
    token = encrypt("张伟", context="customers.Customer.name")
    assert token.startswith("v1:")
    assert "张伟" not in token
    assert decrypt(token, context="customers.Customer.name") == "张伟"
    with pytest.raises(DecryptionError) as err:
        decrypt(token, context="customers.Customer.address")
    assert "cannot decrypt" in err.value.message


def test_wrong_key_is_an_error_not_data(settings) -> None:  # type: ignore[no-untyped-def]
    token = encrypt("+8613800138000", context="c")
    kid = token.split(":")[1]
    other = base64.urlsafe_b64decode(base64.urlsafe_b64encode(b"\x01" * 32))
    settings.GUANXI_ENCRYPTION_KEYS = {kid: other}
    with pytest.raises(DecryptionError) as err:
        decrypt(token, context="c")
    assert (
        err.value.message
        == f"c: cannot decrypt with key {kid!r} (wrong key or damaged value)"
    )


def test_missing_key_is_an_error(settings) -> None:  # type: ignore[no-untyped-def]
    token = encrypt("x", context="c")
    settings.GUANXI_ENCRYPTION_KEYS = {"k9": b"\x02" * 32}
    settings.GUANXI_ENCRYPTION_KEY_ID = "k9"
    settings.GUANXI_KEY_FILE = ""  # nor in a key file read again
    with pytest.raises(DecryptionError) as err:
        decrypt(token, context="c")
    assert (
        err.value.message
        == f"c: encryption key {token.split(':')[1]!r} is not configured"
    )


def test_rotation_keeps_old_values_readable(settings) -> None:  # type: ignore[no-untyped-def]
    old = encrypt("old", context="c")
    settings.GUANXI_ENCRYPTION_KEYS = {
        **settings.GUANXI_ENCRYPTION_KEYS,
        "k2": b"\x03" * 32,
    }
    settings.GUANXI_ENCRYPTION_KEY_ID = "k2"
    new = encrypt("new", context="c")
    assert new.split(":")[1] == "k2"
    assert decrypt(old, context="c") == "old"
    assert decrypt(new, context="c") == "new"


def test_blind_index_is_deterministic_and_keyed(settings) -> None:  # type: ignore[no-untyped-def]
    a = blind_index("+8613800138000", context="customer.phone")
    assert a == blind_index("+8613800138000", context="customer.phone")
    assert a != blind_index("+8613800138001", context="customer.phone")
    settings.GUANXI_BLIND_INDEX_KEY = b"another-key"
    assert a != blind_index("+8613800138000", context="customer.phone")


def test_encrypt_many_is_encrypt_for_a_list() -> None:
    from guanxi.core.crypto import encrypt_many

    values = ["张伟", None, "+8613800138000", "张伟", ""]
    sealed = encrypt_many(values, context="customers.Customer.name")
    assert sealed[1] is None
    assert [
        decrypt(v, context="customers.Customer.name") if v is not None else None
        for v in sealed
    ] == values
    assert sealed[0] != sealed[3]  # a fresh nonce for every value
    first = sealed[0]
    assert first is not None
    assert first.split(":")[:2] == encrypt("x", context="c").split(":")[:2]
    with pytest.raises(DecryptionError):
        decrypt(first, context="customers.Customer.phone")


def test_a_malformed_key_entry_is_named_by_position_never_quoted() -> None:
    from guanxi.core.crypto import parse_key_list

    secret = "USG4bWFkZS11cC1rZXktbWF0ZXJpYWwtMzItYnl0ZXM"
    with pytest.raises(ValueError) as err:
        parse_key_list(f"k2={secret},k1:{secret}")
    assert str(err.value) == (
        "encryption key entry 2 is not KEY_ID=BASE64 "
        "(e.g. k1=… — an '=' between the id and the key)"
    )
    assert "USG4" not in str(err.value) and "k1:" not in str(err.value)
