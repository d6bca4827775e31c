"""A message as the outbox, its page and the customer's timeline show it: in
words, with the customer as the reader's role may see them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from guanxi.access.policies import Policy
from guanxi.customers.presenters import customer_card
from guanxi.messaging.models import Message

__all__ = ["broadcast_label", "message_row"]


def broadcast_label(message: Message) -> str:
    """The broadcast a message belongs to, by number and audience (a segment's
    name or a file's: the business's words, no personal values)."""
    broadcast = message.broadcast
    if broadcast is None:
        return ""
    return f"#{broadcast.pk} · {broadcast.audience}"


def message_row(
    message: Message, *, policy: Policy, urls: dict[str, Callable[[int], str]]
) -> dict[str, Any]:
    """What one line of the outbox shows, ready to print. ``urls``: ``message``
    and ``customer`` make links (the customer's only for roles that know
    customers by number)."""
    card = customer_card(message.customer, policy=policy, tags=[])
    return {
        "message": message,
        "url": urls["message"](message.pk),
        "customer_label": card.get("name") or card["id"],
        "customer_ref": card["id"],
        "customer_url": urls["customer"](card["pk"]) if "pk" in card else None,
        "broadcast": broadcast_label(message),
    }
