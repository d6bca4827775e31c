"""A daily evaluation over many customers: both ways of reading the warned
customers' rows write the same warnings and tasks, row for row; an evaluation
that finds nothing new reads no open warning back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.care import batches
from guanxi.care.models import CareTask, ChurnWarning, WarningRun
from guanxi.care.services import warnings_evaluate
from guanxi.customers.models import Interaction
from guanxi.insights.tests.factories import make_run, make_snapshot

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone())


def _fill(make_customer: Any, manager: Any) -> None:
    """Customers with every kind of signal, some managed, some not."""
    quadrants = ["star", "cash_cow", "potential", "basic"]
    for i in range(24):
        customer = make_customer(assigned_manager=manager if i % 3 == 0 else None)
        make_snapshot(
            customer,
            DAY,
            quadrant=quadrants[i % 4],
            days_since_last_purchase=[10, 30, 45, 16][i % 4],
            mean_gap_days=[5.0, None, 20.0, 4.0][i % 4],
            p_alive=[0.8, 0.2, 0.5, 0.1][(i // 4) % 4],
            churn_risk=[0.2, 0.75, 0.9, 0.1][(i // 2) % 4],
        )
        if i % 5 == 0:
            for _ in range(4):
                Interaction.objects.create(
                    customer=customer, kind="complaint", occurred_at=_at(DAY)
                )
        if i % 7 == 0:
            Interaction.objects.create(
                customer=customer, kind="visit", occurred_at=_at(DAY - dt.timedelta(20))
            )


def _written() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    warnings = [
        (w.customer_id, w.status, w.signals, w.opened_as_of, w.as_of)
        for w in ChurnWarning.objects.order_by("customer_id")
    ]
    tasks = list(
        CareTask.objects.order_by("customer_id").values_list(
            "customer_id", "warning__customer_id", "owner_id", "round_robin",
            "status", "priority", "due_on", "remedy", "step",
        )
    )  # fmt: skip
    return warnings, tasks


def test_both_read_paths_write_the_same_rows(
    make_customer: Any, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(make_customer, users["account_manager"])
    make_run(DAY)
    first = warnings_evaluate(as_of=DAY)
    by_chunks = _written()
    assert first.opened == len(by_chunks[0]) == len(by_chunks[1]) > 12
    signals = {key for _c, _s, found, _o, _a in by_chunks[0] for key in found}
    assert signals >= {
        "no_purchase", "past_rhythm", "low_p_alive", "churn_risk", "complaints",
        "quiet",
    }  # fmt: skip
    CareTask.objects.all().delete()
    ChurnWarning.objects.all().delete()
    WarningRun.objects.all().delete()
    monkeypatch.setattr(batches, "READ_ALL_FROM", 0)
    again = warnings_evaluate(as_of=DAY)
    assert again.opened == first.opened
    assert _written() == by_chunks


@pytest.mark.parametrize("read_all_from", [20_000, 0])
def test_nothing_new_reads_no_open_warning_back(
    make_customer: Any,
    users: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    read_all_from: int,
) -> None:
    monkeypatch.setattr(batches, "READ_ALL_FROM", read_all_from)
    _fill(make_customer, users["account_manager"])
    make_run(DAY)
    warnings_evaluate(as_of=DAY)
    before = _written()
    with CaptureQueriesContext(connection) as queries:
        run = warnings_evaluate(as_of=DAY)
    assert (run.opened, run.updated) == (0, 0)
    assert _written() == before
    read_back = [q["sql"] for q in queries if '"signals" FROM' in q["sql"]]
    assert read_back == []
