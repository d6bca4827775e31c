"""Evaluation on events: a complaint or a negative text opens or adds to a
warning at once, an order wins a warning back — once per write (the API, the
activity log, an import), through the hooks the write paths send after the
commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from guanxi.care.models import CareTask, ChurnWarning
from guanxi.care.services import warnings_on_events
from guanxi.care.tests.evaluating import _at
from guanxi.customers.models import Interaction
from guanxi.customers.services import interaction_create
from guanxi.insights.tests.factories import make_run, make_snapshot

pytestmark = pytest.mark.django_db

RUN_DAY = dt.date(2026, 11, 20)


@pytest.fixture
def scored(make_customer: Any) -> Any:
    customer = make_customer()
    make_snapshot(customer, RUN_DAY)
    make_run(RUN_DAY)
    return customer


def _complain(actor: Any, customer: Any, day: dt.date, capture: Any, n: int) -> None:
    with capture(execute=True):
        interaction_create(
            actor=actor, customer=customer, kind="complaint",
            occurred_at=_at(day).isoformat(), source="t", external_id=f"c{n}",
        )  # fmt: skip


def test_the_fourth_complaint_opens_a_warning_at_once(
    scored: Any, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    day = timezone.localdate()
    for n in range(3):
        _complain(users["admin"], scored, day, django_capture_on_commit_callbacks, n)
    assert not ChurnWarning.objects.exists()
    _complain(users["admin"], scored, day, django_capture_on_commit_callbacks, 3)
    warning = ChurnWarning.objects.get()
    assert warning.signals["complaints"]["count"] == 4
    assert warning.opened_as_of == day
    assert CareTask.objects.get().remedy == "free_upgrade"
    # The same complaint again (idempotent) changes nothing.
    _complain(users["admin"], scored, day, django_capture_on_commit_callbacks, 3)
    assert ChurnWarning.objects.count() == 1


def test_negative_feedback_adds_to_the_open_warning(
    scored: Any, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    day = timezone.localdate()
    ChurnWarning.objects.create(
        customer=scored, signals={"no_purchase": {"as_of": "2026-11-20", "days": 30}},
        opened_as_of=RUN_DAY, as_of=RUN_DAY,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        interaction_create(
            actor=users["admin"], customer=scored, kind="review",
            occurred_at=_at(day).isoformat(),
            note="太差了,质量很差,再也不买了,非常失望",
        )  # fmt: skip
    warning = ChurnWarning.objects.get()
    assert set(warning.signals) == {"no_purchase", "negative_feedback"}


def test_staff_notes_evaluate_nothing(
    scored: Any, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        interaction_create(
            actor=users["admin"], customer=scored, kind="note",
            occurred_at=_at(timezone.localdate()).isoformat(), note="太差了,非常失望",
        )  # fmt: skip
    assert len(callbacks) == 1  # announced, and care ignored the kind
    assert not ChurnWarning.objects.exists()


def test_without_a_scoring_run_events_do_nothing(make_customer: Any) -> None:
    customer = make_customer()
    for _n in range(5):
        Interaction.objects.create(
            customer=customer, kind="complaint", occurred_at=_at(timezone.localdate())
        )
    assert warnings_on_events(customer_ids=[customer.pk], interactions=True) == (
        0,
        0,
        0,
    )


def test_an_order_after_the_warning_wins_it_back_once_per_write(
    scored: Any, make_customer: Any, users: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    from guanxi.commerce.services import OrderInput, order_bulk_create

    other = make_customer()
    make_snapshot(other, RUN_DAY)
    for customer in (scored, other):
        warning = ChurnWarning.objects.create(
            customer=customer, signals={"no_purchase": {"days": 30}},
            opened_as_of=RUN_DAY, as_of=RUN_DAY,
        )  # fmt: skip
        CareTask.objects.create(
            warning=warning, customer=customer, due_on=RUN_DAY, remedy="coupon"
        )
    orders = [
        # Bought on the day the warning opened: not after it.
        _order(OrderInput, other, RUN_DAY, "o-other"),
        _order(OrderInput, scored, RUN_DAY + dt.timedelta(days=1), "o-1"),
        _order(OrderInput, scored, RUN_DAY + dt.timedelta(days=2), "o-2"),
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_bulk_create(actor=users["admin"], orders=orders)
    assert len(callbacks) == 1  # one evaluation for the whole write
    statuses = dict(ChurnWarning.objects.values_list("customer_id", "status"))
    assert statuses == {scored.pk: "won_back", other.pk: "open"}
    assert CareTask.objects.get(customer=scored).status == "obsolete"


def _order(order_input: Any, customer: Any, day: dt.date, ext: str) -> Any:
    from decimal import Decimal

    return order_input(
        external_id=ext, customer_id=customer.pk, ordered_at=_at(day),
        amount=Decimal("10.00"),
    )  # fmt: skip
