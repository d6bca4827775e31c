"""Signed links in messages: one-click unsubscribe (no login)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "guanxi.messaging.unsubscribe"


def unsubscribe_token(
    *, customer_id: int, channel: str, message_id: int | None = None
) -> str:
    """The signed token of an unsubscribe link; ``message_id`` names the
    message the link came in (its ``unsubscribed`` event)."""
    data: dict[str, Any] = {"c": customer_id, "ch": channel}
    if message_id is not None:
        data["m"] = message_id
    return signing.dumps(data, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> dict[str, Any] | None:
    """The customer and channel of a token; None when it is not one of ours."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    return data


def unsubscribe_url(
    *, customer_id: int, channel: str, message_id: int | None = None
) -> str:
    base = str(settings.GUANXI_PUBLIC_URL).rstrip("/")
    token = unsubscribe_token(
        customer_id=customer_id, channel=channel, message_id=message_id
    )
    return base + reverse("messaging:unsubscribe", args=[token])
