"""What orders set off in the journeys, done by the task worker shortly after
the import instead of inside it (decision 0007).

A write of orders sends :data:`~guanxi.commerce.signals.purchases_recorded`
inside its transaction; :func:`purchases_pending_record` then writes one
:class:`~guanxi.journeys.models.PendingPurchases` row (the buyers' ids
packed, and the moment) when a journey is switched on, and queues
:func:`journeys_pending_task` once the orders commit. The row commits or
rolls back with the orders, so a crash between the two loses nothing.

:func:`purchases_pending_drain` (the task, the periodic drain and the
scheduler before it evaluates) takes the rows one at a time, oldest first,
each in one transaction that deletes the row and does its work
(:func:`purchases_evaluate`, for the moment of the purchase): a worker that
dies mid-way rolls both back and the row is done again later; two workers
never take the same row (PostgreSQL skips a row another transaction holds;
SQLite's transactions here take the write lock when they begin, so they run
one after the other and the second finds the row gone). A row whose work
fails stays for the next drain and is logged by its id only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.journeys.choices import JourneyState
from guanxi.journeys.engine import definition_load, entry_key
from guanxi.journeys.models import Journey, PendingPurchases
from guanxi.journeys.purchases import (
    PURCHASE_EVENTS,
    exits_on_purchase,
    purchase_enrol,
    purchase_plan,
    purchases_seen,
    waits_on_purchase,
)

__all__ = [
    "DrainCounts",
    "ids_pack",
    "ids_unpack",
    "journeys_pending_periodic_task",
    "journeys_pending_task",
    "purchases_evaluate",
    "purchases_pending_drain",
    "purchases_pending_record",
]

log = logging.getLogger(__name__)


def ids_pack(ids: Iterable[int]) -> str:
    """Ids ascending, runs of consecutive ids as ``a-b``: ``"3,7-9"``."""
    out: list[str] = []
    start = end = None
    for pk in sorted(set(ids)):
        if end is not None and pk == end + 1:
            end = pk
            continue
        if start is not None:
            out.append(str(start) if start == end else f"{start}-{end}")
        start = end = pk
    if start is not None:
        out.append(str(start) if start == end else f"{start}-{end}")
    return ",".join(out)


def ids_unpack(text: str) -> list[int]:
    """The ids :func:`ids_pack` packed, ascending."""
    ids: list[int] = []
    for part in text.split(",") if text else ():
        first, _sep, last = part.partition("-")
        ids.extend(range(int(first), int(last or first) + 1))
    return ids


def purchases_pending_record(sender: Any, *, customer_ids: Any, **kwargs: Any) -> None:
    """Receiver of ``commerce.services.purchases_recorded``, in the orders'
    transaction: one row with the buyers and the moment when a journey is
    switched on (one small query when none is), and the task queued for
    when the orders commit. The work itself is done by the task worker."""
    if not Journey.objects.filter(state=JourneyState.ON).exists():
        return
    PendingPurchases.objects.create(
        at=timezone.now(),
        customer_ids="" if customer_ids is None else ids_pack(customer_ids),
        everyone=customer_ids is None,
    )
    transaction.on_commit(lambda: journeys_pending_task(), robust=True)


def purchases_evaluate(
    *, customer_ids: Any, moment: dt.datetime | None = None
) -> tuple[int, int]:
    """What purchases set off for the customers ``customer_ids`` (None:
    every customer's were refreshed) at ``moment`` (now when None): purchase
    triggers, exits on purchase and waits for a purchase, in the journeys
    switched on now. Cheap per customer: one query when every journey is
    off; otherwise two small ones (the journeys, their versions' ids), one
    locked read of the enrolments the purchases change when a journey ends
    on a purchase or waits for one, and one insert for all
    purchase-triggered journeys, per chunk of ids (see
    :mod:`guanxi.journeys.purchases`). (Entered, moved on from a wait.)"""
    journeys = list(
        Journey.objects.filter(state=JourneyState.ON).exclude(current_version=None)
    )
    if not journeys:
        return 0, 0
    moment = moment or timezone.now()
    plan = purchase_plan(journeys)  # reads the definitions not read before
    if customer_ids is None:  # a full refresh: the next run reads the day's purchases
        exits_on_purchase(moment=moment, plan=plan)
        return 0, waits_on_purchase(moment=moment, plan=plan)
    ids = sorted(customer_ids)
    _left, moved = purchases_seen(plan, ids, moment=moment)
    day = timezone.localdate(moment)
    entries = []
    for journey in journeys:
        assert journey.current_version_id is not None
        trigger = definition_load(journey.current_version_id).trigger
        if trigger["type"] == "event" and trigger["event"] in PURCHASE_EVENTS:
            key = entry_key(journey, occurrence=day.isoformat(), day=day)
            entries.append((journey, key))
    return purchase_enrol(entries, ids, moment=moment), moved


@dataclass
class DrainCounts:
    """What a drain did: rows done, rows whose work failed (kept), customers
    who entered a journey and who moved on from a wait."""

    done: int = 0
    failed: int = 0
    entered: int = 0
    advanced: int = 0


def _claim(skip: Sequence[int]) -> tuple[int, dt.datetime, str, bool] | None:
    """Delete the oldest pending row not in ``skip`` and return it, in the
    caller's transaction (which does its work): on PostgreSQL a row another
    transaction holds is skipped; on SQLite the transaction holds the write
    lock already."""
    table = connection.ops.quote_name(PendingPurchases._meta.db_table)
    where, params = "", list[Any]()
    if skip:
        where = f"WHERE id NOT IN ({', '.join(['%s'] * len(skip))}) "
        params = list(skip)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        f"DELETE FROM {table} WHERE id = (SELECT id FROM {table} {where}"
        f"ORDER BY id LIMIT 1{lock}) RETURNING id, at, customer_ids, everyone"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    pk, at, packed, everyone = row
    at = PendingPurchases._meta.get_field("at").to_python(at)
    if connection.vendor == "sqlite" and timezone.is_naive(at):
        at = timezone.make_aware(at, dt.UTC)
    return int(pk), at, str(packed), bool(everyone)


def purchases_pending_drain(*, limit: int | None = None) -> DrainCounts:
    """Do the pending purchases' work, oldest first, each row in one
    transaction with its deletion, until none is left (or ``limit`` rows
    are done). A row whose work fails is rolled back, logged by its id and
    the error's kind (never a value) and left for the next drain."""
    counts = DrainCounts()
    failed: list[int] = []
    while limit is None or counts.done < limit:
        claimed: list[int] = []
        try:
            with transaction.atomic():
                row = _claim(failed)
                if row is None:
                    break
                pk, at, packed, everyone = row
                claimed.append(pk)
                entered, advanced = purchases_evaluate(
                    customer_ids=None if everyone else ids_unpack(packed), moment=at
                )
        except Exception as error:  # kept for a retry, logged below
            if not claimed:
                raise
            failed.append(claimed[0])
            counts.failed += 1
            log.warning(
                "journeys: pending purchases %s failed (%s); kept for a retry",
                claimed[0],
                type(error).__name__,
            )
            continue
        counts.done += 1
        counts.entered += entered
        counts.advanced += advanced
    return counts


@db_task()  # type: ignore[untyped-decorator]
def journeys_pending_task() -> None:
    """The journeys' work of the orders written: queued when they commit."""
    counts = purchases_pending_drain()
    if counts.done or counts.failed:
        log.info(
            "journeys: pending purchases done %s, failed %s", counts.done, counts.failed
        )


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def journeys_pending_periodic_task() -> None:
    """Every minute: what a queued task did not do (the queue lost it, or it
    failed); one small query when nothing is pending."""
    journeys_pending_task.call_local()
