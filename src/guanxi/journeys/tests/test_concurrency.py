"""Two schedulers at the same moment enrol each customer once and queue one
message each (real threads, each with its own connection, on SQLite and on
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from guanxi.journeys.engine import run_moment
from guanxi.journeys.models import Enrolment, Journey, StepRun
from guanxi.journeys.services import journeys_run
from guanxi.messaging.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_runs_at_once_enrol_and_send_once(
    make_customer: Any, template: Any, make_journey: Any
) -> None:
    journey = make_journey(
        {
            "trigger": {"type": "event", "event": "customer_created"},
            "steps": [{"id": "hello", "type": "send_message", "template": "checkin"}],
        },
        holdout_percent=0,
    )
    today = timezone.localdate()
    Journey.objects.filter(pk=journey.pk).update(
        enabled_at=run_moment(today - dt.timedelta(days=1))
    )
    customers = [make_customer(email=f"t{i}@example.com") for i in range(60)]
    start = threading.Barrier(2)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            start.wait()
            results.append(journeys_run(as_of=today).as_dict())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r["enrolled"] for r in results)[1] <= 60
    assert sum(r["enrolled"] for r in results) == 60
    assert sum(r["queued"] for r in results) == 60
    assert Enrolment.objects.count() == 60
    assert StepRun.objects.count() == 60
    assert sorted(Message.objects.values_list("customer_id", flat=True)) == sorted(
        c.pk for c in customers
    )


def test_two_workers_draining_at_once_enrol_each_buyer_once(
    make_customer: Any, make_journey: Any
) -> None:
    from guanxi.journeys.models import PendingPurchases
    from guanxi.journeys.pending import (
        DrainCounts,
        ids_pack,
        purchases_pending_drain,
        purchases_pending_record,
    )

    make_journey(
        {
            "trigger": {"type": "event", "event": "purchase"},
            "steps": [{"id": "wait", "type": "wait", "duration": {"days": 7}}],
        },
        holdout_percent=0,
    )
    Journey.objects.update(enabled_at=timezone.now() - dt.timedelta(days=1))
    now = timezone.now()
    buyers = [make_customer(last_purchase_at=now) for _ in range(40)]
    ids = [c.pk for c in buyers]
    for first in range(0, 40, 5):  # eight writes, each buyer in two of them
        purchases_pending_record(None, customer_ids=ids[first : first + 10])
    assert PendingPurchases.objects.count() == 8
    assert PendingPurchases.objects.last().customer_ids == ids_pack(ids[35:])  # type: ignore[union-attr]
    start = threading.Barrier(2)
    results: list[DrainCounts] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(purchases_pending_drain())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.done for r in results) == 8  # each row done by one of them
    assert sum(r.failed for r in results) == 0
    assert sum(r.entered for r in results) == 40
    assert not PendingPurchases.objects.exists()
    assert sorted(Enrolment.objects.values_list("customer_id", flat=True)) == ids
