"""Hooks of the customers app for other apps.

:data:`interactions_written` is sent after the transaction that recorded
interactions commits — once per write (a form, an API call, an import's
run), never once per row — with ``customer_ids`` (a set) and ``kinds`` (the
kinds written). Care evaluates complaints and negative feedback on it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

__all__ = ["interactions_announce", "interactions_written"]

interactions_written = Signal()


def interactions_announce(*, customer_ids: Iterable[int], kinds: Iterable[str]) -> None:
    """Send :data:`interactions_written` once the current transaction commits
    (a receiver that fails is logged by Django and does not undo the write)."""
    ids = set(customer_ids)
    found = set(kinds)
    if not ids:
        return
    transaction.on_commit(
        lambda: interactions_written.send(sender=None, customer_ids=ids, kinds=found),
        robust=True,
    )
