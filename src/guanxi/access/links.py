"""One-time links to set a password: signed, expiring, single use.

Django's password-reset token, under a salt of its own: it is signed with the
secret key, carries its issue time (valid for ``PASSWORD_LINK_DAYS``) and a
hash of the user's current password and last login, so it stops working the
moment the password is set (single use) — and a new link for the same person
makes no earlier one valid again once either is used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import (
    base36_to_int,
    urlsafe_base64_decode,
    urlsafe_base64_encode,
)

__all__ = ["PASSWORD_LINK_DAYS", "link_parts", "link_user_id", "link_valid"]

#: How long a link stays valid (the seed playbook gives new staff three days).
PASSWORD_LINK_DAYS = 3


class _PasswordLinkTokens(PasswordResetTokenGenerator):
    key_salt = "guanxi.access.links.PasswordLinkTokens"

    def _seconds(self, moment: dt.datetime) -> int:
        return self._num_seconds(moment.astimezone(dt.UTC).replace(tzinfo=None))

    def token_at(self, user: Any, issued_at: dt.datetime) -> str:
        return self._make_token_with_timestamp(
            user, self._seconds(issued_at), self.secret
        )

    def valid(self, user: Any, token: str, now: dt.datetime) -> bool:
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        signed = any(
            constant_time_compare(
                self._make_token_with_timestamp(user, ts, secret), token
            )
            for secret in [self.secret, *self.secret_fallbacks]
        )
        age = self._seconds(now) - ts
        return signed and 0 <= age <= PASSWORD_LINK_DAYS * 24 * 3600


_tokens = _PasswordLinkTokens()


def link_parts(user: Any, *, issued_at: dt.datetime) -> tuple[str, str]:
    """The two path segments of ``user``'s link: their id and the token."""
    return urlsafe_base64_encode(force_bytes(user.pk)), _tokens.token_at(
        user, issued_at
    )


def link_user_id(uidb64: str) -> int | None:
    """The user id a link names, or None when it names none."""
    try:
        return int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError):
        return None


def link_valid(user: Any, token: str, *, now: dt.datetime) -> bool:
    """The link is ``user``'s, unexpired and unused."""
    return _tokens.valid(user, token, now)
