"""Hooks of the commerce app for other apps.

:data:`purchases_written` is sent after the transaction that recorded orders
commits, once per write (the API, an import's run), with ``customer_ids`` (a
set, or None when an import refreshed every customer). Care checks whether
warned customers came back on it.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["purchases_written"]

purchases_written = Signal()
