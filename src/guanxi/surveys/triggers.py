"""What sends a survey after something happened, wired to the apps where it
happens: an order received (commerce), an event attended (customers'
interactions), a ticket solved (feedback calls :func:`invite_after` itself,
in the transaction that solves it), a customer lapsed (care).

Imports and API writes announce once per write, never once per row
(``purchases_written``, ``interactions_written``), so each receiver here makes
one read of the customers written and one :func:`invite_after` call (one per
store for orders: the answers are reported by store); the survey cap keeps a
customer from being asked twice.

Only what happened lately counts (:data:`RECENT_DAYS`): importing a year of
order or event history must not ask anyone about a purchase of last spring.

Guanxi records no delivery of an order: its status says paid, pending,
cancelled or refunded. An order whose status is ``paid`` counts as received
(a shop hands the goods over at payment); an e-shop imports its orders as
``pending`` until they are delivered, or imports them after delivery.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.selectors import purchase_rows
from guanxi.customers.choices import InteractionKind
from guanxi.customers.selectors import interaction_rows
from guanxi.surveys.choices import Trigger
from guanxi.surveys.services import invite_after

__all__ = ["RECENT_DAYS", "invite_after_interactions", "invite_after_orders"]

log = logging.getLogger(__name__)

#: An order paid or an event attended this many days ago or less asks for a
#: survey when it is written.
RECENT_DAYS = 7
CHUNK = 5000


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def invite_after_orders(
    sender: Any, *, customer_ids: Any, now: dt.datetime | None = None, **kwargs: Any
) -> None:
    """Receiver of ``commerce.services.purchases_written``: the customers of
    this write with an order paid within :data:`RECENT_DAYS` days are invited
    after ``order_delivered``, under the store of their newest such order.
    A full refresh (``customer_ids`` None: a repair, not new orders) asks
    nobody."""
    if customer_ids is None:
        return
    ids = sorted({int(pk) for pk in customer_ids})
    since = (now or timezone.now()) - dt.timedelta(days=RECENT_DAYS)
    stores: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = (
            purchase_rows(start=since)
            .filter(customer_id__in=chunk, status=OrderStatus.PAID)
            .order_by("customer_id", "ordered_at", "pk")
            .values_list("customer_id", "store")
        )
        stores.update(rows)  # the newest order of each customer wins
    by_store: dict[str, list[int]] = {}
    for customer_id, store in stores.items():
        by_store.setdefault(store or "", []).append(customer_id)
    for store, members in sorted(by_store.items()):
        sent = invite_after(Trigger.ORDER_DELIVERED, members, store=store)
        log.info("surveys after orders: %d invited", sent.invited)


def invite_after_interactions(
    sender: Any,
    *,
    customer_ids: Any,
    kinds: Any = (),
    now: dt.datetime | None = None,
    **kwargs: Any,
) -> None:
    """Receiver of ``customers.services.interactions_written``: the customers
    of this write who attended an event within :data:`RECENT_DAYS` days are
    invited after ``event_attended``."""
    if InteractionKind.EVENT_ATTENDED not in set(kinds or ()):
        return
    ids = sorted({int(pk) for pk in customer_ids or ()})
    since = (now or timezone.now()) - dt.timedelta(days=RECENT_DAYS)
    attended: set[int] = set()
    for chunk in _chunks(ids):
        attended.update(
            interaction_rows()
            .filter(
                customer_id__in=chunk,
                kind=InteractionKind.EVENT_ATTENDED,
                occurred_at__gte=since,
            )
            .values_list("customer_id", flat=True)
            .distinct()
        )
    if attended:
        sent = invite_after(Trigger.EVENT_ATTENDED, sorted(attended))
        log.info("surveys after events: %d invited", sent.invited)
