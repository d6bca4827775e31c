"""Test helpers for API tokens: ``api_token_for(user)`` gives the key of the
user's token, the same one on each call while it exists (the tests' old
``Token.objects.get_or_create``), whatever the user's role (the access matrix
tries users without one)."""

from __future__ import annotations

from typing import Any

from guanxi.access.models import ApiToken
from guanxi.access.tokens import token_digest, token_new_key, token_prefix

__all__ = ["api_token_for"]

_keys: dict[int, str] = {}


def api_token_for(user: Any) -> str:
    key = _keys.get(user.pk)
    if (
        key is not None
        and ApiToken.objects.filter(user=user, digest=token_digest(key)).exists()
    ):
        return key
    key = token_new_key()
    ApiToken.objects.filter(user=user).delete()
    ApiToken.objects.create(
        user=user, prefix=token_prefix(key), digest=token_digest(key)
    )
    _keys[user.pk] = key
    return key
