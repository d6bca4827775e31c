"""Hashed search keys for encrypted customer fields."""

from __future__ import annotations

from guanxi.core.crypto import blind_index
from guanxi.core.normalize import normalize_name

__all__ = ["email_key", "name_query_tokens", "name_tokens", "phone_key"]


def phone_key(e164: str | None) -> str | None:
    return blind_index(e164, context="customer.phone") if e164 else None


def email_key(email: str | None) -> str | None:
    return blind_index(email.lower(), context="customer.email") if email else None


def _grams(text: str) -> set[str]:
    compact = "".join(normalize_name(text).lower().split())
    grams = set(compact)
    grams.update(compact[i : i + 2] for i in range(len(compact) - 1))
    return grams


def _token(gram: str) -> str:
    return blind_index(gram, context="customer.name")[:10]


def name_tokens(name: str | None) -> str:
    """Space-delimited hashed unigrams and bigrams: ``" t1 t2 … "``."""
    if not name:
        return ""
    return " " + " ".join(sorted(_token(g) for g in _grams(name))) + " "


def name_query_tokens(query: str) -> list[str]:
    """Tokens that every matching name contains (bigrams, or the single character)."""
    compact = "".join(normalize_name(query).lower().split())
    if not compact:
        return []
    if len(compact) == 1:
        return [_token(compact)]
    return sorted({_token(compact[i : i + 2]) for i in range(len(compact) - 1)})
