"""What orders set off in the journeys is recorded in the orders' own
transaction and done by the task worker: an import enrols once the pending
work is done, for the moment of the purchase; a rolled-back import leaves
nothing; a failure keeps the work for a retry; a journey switched off
meanwhile gets nothing; the scheduler does what is pending first."""

from __future__ import annotations

import datetime as dt
import io
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from guanxi.commerce.services import OrderInput, order_bulk_create
from guanxi.customers.models import Customer
from guanxi.journeys import purchases
from guanxi.journeys.models import Enrolment, Journey, PendingPurchases, StepRun
from guanxi.journeys.pending import ids_pack, ids_unpack, purchases_pending_drain
from guanxi.journeys.services import journey_set_state, journeys_run

pytestmark = pytest.mark.django_db

BOUGHT = {
    "trigger": {"type": "event", "event": "purchase"},
    "steps": [{"id": "wait", "type": "wait", "duration": {"days": 7}}],
}
WINBACK = {
    "trigger": {"type": "date", "field": "days_after_last_purchase", "days": 30},
    "steps": [{"id": "wait", "type": "wait", "duration": {"days": 7}}],
}
T0 = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)


def _import(tmp_path: Path, rows: list[tuple[str, str]], when: dt.datetime) -> None:
    """``guanxi import orders`` of one order per (order id, phone)."""
    text = "订单号,下单时间,金额,手机号\n" + "".join(
        f"{oid},{timezone.localtime(when):%Y-%m-%d %H:%M},100,{phone}\n"
        for oid, phone in rows
    )
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    call_command("import", "orders", str(path), stdout=io.StringIO())


def _on_since(when: dt.datetime) -> None:
    Journey.objects.update(enabled_at=when)


def test_ids_pack_runs_and_back() -> None:
    assert ids_pack([9, 3, 7, 8, 3, 11]) == "3,7-9,11"
    assert ids_unpack("3,7-9,11") == [3, 7, 8, 9, 11]
    assert ids_pack([]) == "" and ids_unpack("") == []
    ids = [1, 2, 3, 5, 10**9, 10**9 + 1]
    assert ids_unpack(ids_pack(ids)) == ids


def test_an_import_enrols_once_its_pending_work_is_done_at_the_purchase_moment(
    make_journey: Any, template: Any, tmp_path: Path
) -> None:
    make_journey(BOUGHT, holdout_percent=0)
    with time_machine.travel(T0, tick=False) as clock:
        _on_since(T0 - dt.timedelta(days=3))
        rows = [(f"B-{i}", f"1390013900{i}") for i in range(3)]
        _import(tmp_path, rows, T0 - dt.timedelta(hours=1))
        buyers = sorted(Customer.objects.values_list("pk", flat=True))
        assert len(buyers) == 3
        (row,) = PendingPurchases.objects.all()  # one row for the import
        assert (row.at, ids_unpack(row.customer_ids), row.everyone) == (
            T0,
            buyers,
            False,
        )
        assert not Enrolment.objects.exists()  # not in the import's path
        clock.shift(dt.timedelta(minutes=10))  # the worker, later
        done = purchases_pending_drain()
        assert (done.done, done.failed, done.entered) == (1, 0, 3)
    assert not PendingPurchases.objects.exists()
    entered = Enrolment.objects.order_by("customer_id")
    assert [e.customer_id for e in entered] == buyers
    for enrolment in entered:  # as if done when the orders were written
        assert (enrolment.entered_at, enrolment.step_at) == (T0, T0)
        assert enrolment.next_due_at == T0 + dt.timedelta(days=7)
        assert enrolment.entry_key == "once"
    assert purchases_pending_drain().done == 0  # nothing left, nothing doubled
    assert Enrolment.objects.count() == 3


def test_an_import_that_rolls_back_leaves_no_pending_work(
    make_journey: Any, make_customer: Any, users: dict[str, Any]
) -> None:
    make_journey(BOUGHT, holdout_percent=0)
    customer = make_customer()
    with pytest.raises(RuntimeError), transaction.atomic():
        order_bulk_create(
            actor=users["admin"],
            orders=[
                OrderInput(
                    external_id="r-1",
                    customer_id=customer.pk,
                    ordered_at=timezone.now(),
                    amount=Decimal("10.00"),
                )
            ],
        )
        assert PendingPurchases.objects.count() == 1  # in the same transaction
        raise RuntimeError("the import died before its commit")
    assert not PendingPurchases.objects.exists()


def test_with_every_journey_off_nothing_is_recorded(
    make_journey: Any, tmp_path: Path
) -> None:
    make_journey(BOUGHT, holdout_percent=0, on=False)
    _import(tmp_path, [("C-1", "13900139001")], timezone.now())
    assert not PendingPurchases.objects.exists()


def test_a_purchase_mid_wait_takes_the_customer_out_once_drained(
    make_journey: Any, make_customer: Any, template: Any, tmp_path: Path
) -> None:
    make_journey(WINBACK, holdout_percent=0, exit_on_purchase=True)
    month_ago = timezone.now() - dt.timedelta(days=30)
    customer = make_customer(phone="+8613900139002", last_purchase_at=month_ago)
    assert journeys_run().enrolled == 1
    Enrolment.objects.update(entered_at=timezone.now() - dt.timedelta(hours=1))
    _import(tmp_path, [("D-1", "13900139002")], timezone.now())
    assert Enrolment.objects.get(customer=customer).state == "active"
    assert purchases_pending_drain().done == 1
    left = Enrolment.objects.get(customer=customer)
    assert (left.state, left.exit_reason) == ("exited", "purchase")
    assert list(StepRun.objects.values_list("step", "outcome", "detail")) == [
        ("wait", "exited", "purchase")
    ]


def test_a_failed_evaluation_stays_for_a_retry_and_is_logged_without_values(
    make_journey: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_journey(BOUGHT, holdout_percent=0)
    _on_since(timezone.now() - dt.timedelta(days=1))
    _import(tmp_path, [("E-1", "13900139003")], timezone.now())
    _import(tmp_path, [("E-2", "13900139004")], timezone.now())
    first, _second = PendingPurchases.objects.values_list("pk", flat=True)
    first_ids = ids_unpack(PendingPurchases.objects.get(pk=first).customer_ids)
    real = purchases.purchase_enrol

    def failing(entries: Any, ids: Any, *, moment: Any) -> int:
        entered = real(entries, ids, moment=moment)  # rolled back with the rest
        if ids == first_ids:
            raise ValueError("refused +8613900139003")
        return entered

    monkeypatch.setattr("guanxi.journeys.pending.purchase_enrol", failing)
    with caplog.at_level(logging.WARNING, logger="guanxi.journeys.pending"):
        counts = purchases_pending_drain()
    assert (counts.done, counts.failed, counts.entered) == (1, 1, 1)
    assert list(PendingPurchases.objects.values_list("pk", flat=True)) == [first]
    assert list(Enrolment.objects.values_list("customer_id", flat=True)) != first_ids
    assert [r.getMessage() for r in caplog.records] == [
        f"journeys: pending purchases {first} failed (ValueError); kept for a retry"
    ]
    assert "139003" not in caplog.text
    monkeypatch.setattr("guanxi.journeys.pending.purchase_enrol", real)
    assert purchases_pending_drain().entered == 1  # the retry
    assert not PendingPurchases.objects.exists()
    assert Enrolment.objects.count() == 2


def test_pending_work_of_a_journey_switched_off_meanwhile_does_nothing(
    make_journey: Any, users: dict[str, Any], tmp_path: Path
) -> None:
    make_journey(BOUGHT, holdout_percent=0)
    _on_since(timezone.now() - dt.timedelta(days=1))
    _import(tmp_path, [("F-1", "13900139005")], timezone.now())
    assert PendingPurchases.objects.count() == 1
    journey_set_state(actor=users["admin"], slug="test", on=False)
    assert purchases_pending_drain().done == 1
    assert not PendingPurchases.objects.exists()
    assert not Enrolment.objects.exists()
    journey_set_state(actor=users["admin"], slug="test", on=True)
    assert journeys_run().enrolled == 0  # switching on counts from then


def test_the_scheduler_does_the_pending_work_first(
    make_journey: Any, tmp_path: Path
) -> None:
    make_journey(BOUGHT, holdout_percent=0)
    _on_since(timezone.now() - dt.timedelta(days=1))
    _import(tmp_path, [("G-1", "13900139006")], timezone.now())
    assert journeys_run().enrolled == 1
    assert not PendingPurchases.objects.exists()
    assert Enrolment.objects.count() == 1
