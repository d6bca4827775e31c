"""Signed links for customers (no login): the feedback form of one customer
and the page of one ticket."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

__all__ = [
    "form_read",
    "form_token",
    "form_url",
    "ticket_read",
    "ticket_token",
    "ticket_url",
]

FORM_SALT = "guanxi.feedback.form"
TICKET_SALT = "guanxi.feedback.ticket"


def _read(token: str, salt: str, key: str) -> int | None:
    try:
        data: Any = signing.loads(token, salt=salt)
    except signing.BadSignature:
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def form_token(*, customer_id: int) -> str:
    return signing.dumps({"c": customer_id}, salt=FORM_SALT)


def form_read(token: str) -> int | None:
    """The customer of a feedback form link; None when it is not ours."""
    return _read(token, FORM_SALT, "c")


def ticket_token(*, ticket_id: int) -> str:
    return signing.dumps({"t": ticket_id}, salt=TICKET_SALT)


def ticket_read(token: str) -> int | None:
    return _read(token, TICKET_SALT, "t")


def _base() -> str:
    return str(settings.GUANXI_PUBLIC_URL).rstrip("/")


def form_url(*, customer_id: int) -> str:
    """The customer's own feedback form (to put in a message)."""
    return _base() + reverse(
        "feedback-public:form", args=[form_token(customer_id=customer_id)]
    )


def ticket_url(*, ticket_id: int) -> str:
    return _base() + reverse(
        "feedback-public:ticket", args=[ticket_token(ticket_id=ticket_id)]
    )
