"""Signed links in messages: one-click unsubscribe (no login)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "guanxi.messaging.unsubscribe"


def unsubscribe_token(*, customer_id: int, channel: str) -> str:
    return signing.dumps(
        {"c": customer_id, "ch": channel}, salt=UNSUBSCRIBE_SALT, compress=True
    )


def unsubscribe_read(token: str) -> dict[str, Any] | None:
    """The customer and channel of a token; None when it is not one of ours."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    return data


def unsubscribe_url(*, customer_id: int, channel: str) -> str:
    base = str(settings.GUANXI_PUBLIC_URL).rstrip("/")
    token = unsubscribe_token(customer_id=customer_id, channel=channel)
    return base + reverse("messaging:unsubscribe", args=[token])
