"""The order hook's purchase triggers and its statements: every
purchase-triggered journey entered in one insert per chunk of ids, the
entry rule applied in the statement, the holdout the same function of
customer and journey in SQL as in Python, and a number of statements that
does not grow with the buyers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.journeys import purchases
from guanxi.journeys.engine import id_table
from guanxi.journeys.holdout import holdout_basis_points, holdout_key, holdout_sql
from guanxi.journeys.models import Enrolment, Journey, StepRun
from guanxi.journeys.pending import purchases_evaluate

pytestmark = pytest.mark.django_db

WAIT = [{"id": "wait", "type": "wait", "duration": {"days": 7}}]


def _event(event: str) -> dict[str, Any]:
    return {"trigger": {"type": "event", "event": event}, "steps": WAIT}


LEAVES = {
    "trigger": {"type": "date", "field": "birthday"},
    "steps": [
        {
            "id": "buy",
            "type": "wait_event",
            "event": "purchase",
            "timeout": {"days": 14},
            "next": "wait",
            "timeout_next": "",
        },
        *WAIT,
    ],
}


def _on_since(when: dt.datetime) -> None:
    Journey.objects.update(enabled_at=when)


def _buyers(make_customer: Any, n: int, **values: Any) -> list[Any]:
    now = timezone.now()
    values.setdefault("last_purchase_at", now)
    values.setdefault("first_purchase_at", now - dt.timedelta(days=90))
    return [make_customer(**values) for _ in range(n)]


def _entered(slug: str) -> list[int]:
    return sorted(
        Enrolment.objects.filter(journey__slug=slug).values_list(
            "customer_id", flat=True
        )
    )


def _writes(queries: list[dict[str, str]], table: str) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().startswith(("INSERT", "UPDATE")) and table in q["sql"]
    ]


def test_every_purchase_triggered_journey_enters_in_one_insert(
    make_customer: Any, make_journey: Any
) -> None:
    make_journey(_event("purchase"), slug="bought", holdout_percent=0)
    make_journey(_event("first_purchase"), slug="first", holdout_percent=0)
    _on_since(timezone.now() - dt.timedelta(days=3))
    again = _buyers(make_customer, 2)
    new = _buyers(make_customer, 1, first_purchase_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        purchases_evaluate(customer_ids={c.pk for c in [*again, *new]})
    assert len(_writes(queries.captured_queries, "journeys_enrolment")) == 1
    assert _entered("bought") == sorted(c.pk for c in [*again, *new])
    assert _entered("first") == [new[0].pk]  # only a first purchase counts there
    row = Enrolment.objects.get(journey__slug="first")
    assert (row.state, row.step, row.entry_key, row.holdout) == (
        "active",
        "wait",
        "once",
        False,
    )
    assert row.next_due_at == row.entered_at + dt.timedelta(days=7)
    assert row.step_at == row.entered_at
    assert row.version_id == Journey.objects.get(slug="first").current_version_id


def test_a_purchase_before_the_journey_was_switched_on_or_a_day_ago_enrols_nobody(
    make_customer: Any, make_journey: Any
) -> None:
    make_journey(_event("purchase"), holdout_percent=0)
    now = timezone.now()
    old = _buyers(make_customer, 1, last_purchase_at=now - dt.timedelta(days=2))
    _on_since(now - dt.timedelta(days=3))
    purchases_evaluate(customer_ids={old[0].pk})
    assert not Enrolment.objects.exists()
    recent = make_customer(last_purchase_at=now)
    _on_since(now + dt.timedelta(minutes=1))  # switched on after it
    purchases_evaluate(customer_ids={recent.pk})
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize(
    ("rule", "earlier_key", "earlier_state", "enters"),
    [
        ("once", "once", "completed", False),
        ("reentry", "2020-01-01", "completed", True),
        ("reentry", "2020-01-01", "active", False),  # still in it
        ("reentry", "today", "exited", False),  # entered today already
        ("per_period", "2020", "completed", True),
        ("per_period", "this year", "completed", False),
    ],
)
def test_a_buyer_enters_again_only_as_the_entry_rule_allows(
    make_customer: Any,
    make_journey: Any,
    rule: str,
    earlier_key: str,
    earlier_state: str,
    enters: bool,
) -> None:
    journey = make_journey(
        _event("purchase"), holdout_percent=0, entry_rule=rule, entry_period="year"
    )
    _on_since(timezone.now() - dt.timedelta(days=3))
    (before, fresh) = _buyers(make_customer, 2)
    today = timezone.localdate()
    key = {"today": today.isoformat(), "this year": f"{today.year}"}.get(
        earlier_key, earlier_key
    )
    Enrolment.objects.create(
        journey=journey,
        version_id=journey.current_version_id,
        customer=before,
        entry_key=key,
        state=earlier_state,
    )
    with CaptureQueriesContext(connection) as queries:
        purchases_evaluate(customer_ids={before.pk, fresh.pk})
    inserts = _writes(queries.captured_queries, "journeys_enrolment")
    assert len(inserts) == 1 and "NOT EXISTS" in inserts[0]
    assert Enrolment.objects.filter(customer=fresh).count() == 1
    assert Enrolment.objects.filter(customer=before).count() == (2 if enters else 1)


def test_more_buyers_than_an_id_chunk_enter_once_each(
    make_customer: Any, make_journey: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_journey(_event("purchase"), holdout_percent=0, entry_rule="reentry")
    _on_since(timezone.now() - dt.timedelta(days=3))
    buyers = _buyers(make_customer, 5)
    monkeypatch.setattr(purchases, "ID_CHUNK", 2)  # three chunks: 2, 2 and 1
    with CaptureQueriesContext(connection) as queries:
        purchases_evaluate(customer_ids={c.pk for c in buyers})
    assert len(_writes(queries.captured_queries, "journeys_enrolment")) == 3
    assert _entered("test") == sorted(c.pk for c in buyers)
    purchases_evaluate(customer_ids={c.pk for c in buyers})  # again
    assert Enrolment.objects.count() == 5


def test_the_holdout_of_entrants_is_the_keyed_hash_of_customer_and_journey(
    make_customer: Any, make_journey: Any
) -> None:
    one = make_journey(_event("purchase"), slug="one", holdout_percent=50)
    two = make_journey(_event("purchase"), slug="two", holdout_percent=20)
    _on_since(timezone.now() - dt.timedelta(days=3))
    buyers = _buyers(make_customer, 30)
    purchases_evaluate(customer_ids={c.pk for c in buyers})
    for journey, percent in ((one, 50), (two, 20)):
        key = holdout_key(journey.pk)
        held = {c.pk for c in buyers if holdout_basis_points(key, c.pk) < percent * 100}
        got = Enrolment.objects.filter(journey=journey, holdout=True)
        assert set(got.values_list("customer_id", flat=True)) == held
    assert 0 < Enrolment.objects.filter(holdout=True).count() < 60


@pytest.mark.parametrize("key_from", ["parameter", "column"])
def test_the_holdout_in_sql_equals_the_python_function_on_many_ids(
    key_from: str,
) -> None:
    ids = [*range(1, 20_001, 7), 10**9 + 7, 2**62]
    keys = [holdout_key(3), holdout_key(41)]
    table, params = id_table(ids)
    for key in keys:
        args: list[Any]
        if key_from == "parameter":
            sql = f"SELECT i.value, {holdout_sql('i.value')} FROM {table}"
            args = [key, *params]
        else:
            sql = (
                f"SELECT i.value, {holdout_sql('i.value', key='k.hold')} "
                f"FROM {table} CROSS JOIN (SELECT %s AS hold) k"
            )
            args = [*params, key]
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            got = {int(pk): int(share) for pk, share in cursor.fetchall()}
        assert got == {pk: holdout_basis_points(key, pk) for pk in ids}
    assert len(set(got.values())) > 2000  # the shares spread over 0–9999


def test_leaving_on_a_purchase_comes_before_moving_on_from_a_wait_for_one(
    make_customer: Any, make_journey: Any
) -> None:
    leaves = make_journey(
        LEAVES, slug="leaves", holdout_percent=0, exit_on_purchase=True
    )
    stays = make_journey(LEAVES, slug="stays", holdout_percent=0)
    (buyer,) = _buyers(make_customer, 1)
    earlier = timezone.now() - dt.timedelta(hours=1)
    for journey in (leaves, stays):
        Enrolment.objects.create(
            journey=journey,
            version_id=journey.current_version_id,
            customer=buyer,
            entry_key="2026",
            step="buy",
            step_at=earlier,
            entered_at=earlier,
        )
    purchases_evaluate(customer_ids={buyer.pk})
    left = Enrolment.objects.get(journey=leaves)
    assert (left.state, left.exit_reason, left.step) == ("exited", "purchase", "")
    moved = Enrolment.objects.get(journey=stays)
    assert (moved.state, moved.step) == ("active", "wait")
    assert sorted(
        StepRun.objects.values_list("enrolment__journey__slug", "outcome")
    ) == [
        ("leaves", "exited"),
        ("stays", "event"),
    ]


def test_the_number_of_statements_does_not_grow_with_the_buyers(
    make_customer: Any, make_journey: Any
) -> None:
    make_journey(_event("purchase"), slug="bought", holdout_percent=10)
    make_journey(_event("first_purchase"), slug="first", holdout_percent=10)
    leaves = make_journey(
        LEAVES, slug="leaves", holdout_percent=0, exit_on_purchase=True
    )
    _on_since(timezone.now() - dt.timedelta(days=3))
    buyers = _buyers(make_customer, 12)
    earlier = timezone.now() - dt.timedelta(hours=1)
    for customer in buyers:
        Enrolment.objects.create(
            journey=leaves,
            version_id=leaves.current_version_id,
            customer=customer,
            entry_key="2026",
            step="buy",
            step_at=earlier,
            entered_at=earlier,
        )
    purchases_evaluate(customer_ids=set())  # reads the definitions
    counts = []
    for group in (buyers[:2], buyers[2:]):  # 2 buyers, then 10
        with CaptureQueriesContext(connection) as queries:
            purchases_evaluate(customer_ids={c.pk for c in group})
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
    assert Enrolment.objects.filter(journey__slug="bought").count() == 12
    assert Enrolment.objects.filter(journey=leaves, state="exited").count() == 12
