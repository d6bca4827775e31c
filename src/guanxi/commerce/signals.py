"""Hooks of the commerce app for other apps.

:data:`purchases_written` is sent after the transaction that recorded orders
commits, once per write (the API, an import's run), with ``customer_ids`` (a
set, or None when an import refreshed every customer). Care checks whether
warned customers came back on it.

:data:`purchases_recorded` is sent with the same ``customer_ids`` inside
that transaction, before it commits: a receiver that writes there (the
journeys record the work a purchase sets off, to evaluate it in the task
worker) commits or rolls back with the orders, so no purchase is lost
between the two. It must be cheap: it runs in every write of orders.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["purchases_recorded", "purchases_written"]

purchases_written = Signal()
purchases_recorded = Signal()
