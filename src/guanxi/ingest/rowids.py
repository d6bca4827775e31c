"""Ids of imported interactions whose file gives none: keyed, never a bare
hash of who the row names.

An interaction row without an id gets one from what it says (customer id,
phone, e-mail, name, kind, time, channel, note), so that importing the same
file again finds the same interactions. A bare SHA-256 of a phone number can
be reversed by trying every number, so the stored id is a keyed hash: the
row's SHA-256 digest (never stored) under the blind-index key, with the key's
id in the id::

    h2:<blind-index key id>:<HMAC-SHA256(key, "ingest.interaction_id" 0 digest), 128 bits>

A blind-index rotation cannot compute these again (the rows' values are not
kept), so the ids stay under the key of their day, as erased people's hashes
do: an import looks a row up under the current key and every retired key
still configured, and ``guanxi keys prune`` keeps a retired key while an
interaction id names it (docs/decisions/0006-keyed-interaction-ids.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from guanxi.core.crypto import blind_index_key_ids, blind_index_under
from guanxi.customers.selectors import interaction_ids_named

__all__ = [
    "GENERATED_PREFIX",
    "ID_CONTEXT",
    "generated_id_keys",
    "generated_ids",
    "interaction_row_digest",
]

GENERATED_PREFIX = "h2:"
ID_CONTEXT = "ingest.interaction_id"
_WHO = ("customer_id", "customer_phone", "customer_email", "customer_name")
_WHAT = ("kind", "occurred_at", "channel", "note")


def interaction_row_digest(values: Mapping[str, Any]) -> str:
    """The unkeyed digest of what a row says (what the ``h:`` ids were, before
    they were keyed); never stored."""
    who = "|".join(str(values.get(n, "")) for n in _WHO)
    what = "|".join(str(values.get(n, "")) for n in _WHAT)
    return hashlib.sha256(f"{who}\x00{what}".encode()).hexdigest()[:40]


def generated_ids(digest: str, key_ids: Sequence[str] | None = None) -> list[str]:
    """The row's id under each blind-index key (the current one first): the
    first is written, any of them means the row is recorded already."""
    found = []
    for key_id in blind_index_key_ids() if key_ids is None else key_ids:
        mac = blind_index_under(digest, context=ID_CONTEXT, key_id=key_id)
        if mac is not None:
            found.append(f"{GENERATED_PREFIX}{key_id}:{mac}")
    return found


def generated_id_keys(key_ids: Iterable[str]) -> set[str]:
    """Which of these blind-index key ids some interaction's id names."""
    return {
        key_id
        for key_id in key_ids
        if interaction_ids_named(prefix=f"{GENERATED_PREFIX}{key_id}:")
    }
