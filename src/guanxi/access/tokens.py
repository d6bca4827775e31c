"""REST API tokens kept hashed: the key is ``gx_`` and 43 URL-safe characters
(256 random bits), the database holds its SHA-256 digest and its first
characters. ``Authorization: Token <key>`` is looked up by digest.
Tokens made before (DRF's 40 hex digits, kept in clear) were hashed by
migration ``access.0003`` and work on."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

__all__ = ["HashedTokenAuthentication", "token_digest", "token_new_key", "token_prefix"]

PREFIX_CHARS = 10


def token_new_key() -> str:
    return "gx_" + secrets.token_urlsafe(32)


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def token_prefix(key: str) -> str:
    return key[:PREFIX_CHARS]


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's ``Token`` header, checked against the stored digests."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from guanxi.access.models import ApiToken

        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
