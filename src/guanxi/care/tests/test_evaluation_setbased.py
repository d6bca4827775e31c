"""The set-based writing of a daily evaluation against the row-by-row one on
the same data, row for row: the warnings' signals as stored (the same text
on SQLite, the same JSON on PostgreSQL), the updated warnings, the tasks in
the order written with their owners, days, priorities and remedies; with the
daily cap spilling over, quadrant thresholds, and a manager who is also in
the service team. And the numbers: the database's rounding as Python's."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db import connection, transaction

from guanxi.access.choices import Role
from guanxi.care.models import CareTask, ChurnWarning, QuadrantThresholds
from guanxi.care.services import warnings_evaluate
from guanxi.care.sqltext import rounded_text
from guanxi.care.tests.evaluating import _at
from guanxi.care.tests.reference import row_by_row
from guanxi.customers.models import Interaction
from guanxi.insights.tests.factories import make_run, make_snapshot

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)
NEXT = DAY + dt.timedelta(days=1)
# Mean gaps and probabilities whose rounding is a tie or next to one.
GAPS = [12.25, 29.15, 0.15, 2.675, 43.625, 14.678571, 5.05, 7.75, None, 3.0]
PROBABILITIES = [0.03125, 0.09375, 0.2999, 0.12345, 0.000049, 0.1, 0.0, 0.25]
RISKS = [0.7, 0.95, 0.71875, 0.800049, 0.99995, 0.2, None, 0.75]
QUADRANTS = ["star", "cash_cow", "potential", "basic"]
ANGRY = "太差了,质量很差,再也不买了,非常失望"


def _fill(make_customer: Any, managers: list[Any], day: dt.date, n: int) -> list[Any]:
    customers = []
    for i in range(n):
        manager = managers[i % len(managers)] if i % 3 == 0 else None
        customer = make_customer(assigned_manager=manager)
        customers.append(customer)
        make_snapshot(
            customer,
            day,
            quadrant=QUADRANTS[i % 4],
            days_since_last_purchase=[10, 30, 45, 61][i % 4],
            mean_gap_days=GAPS[i % len(GAPS)],
            p_alive=PROBABILITIES[(i // 2) % len(PROBABILITIES)],
            churn_risk=RISKS[(i // 3) % len(RISKS)],
        )
        kind = "visit"
        if i % 5 == 0:
            for _ in range(4):
                Interaction.objects.create(
                    customer=customer, kind="complaint", occurred_at=_at(day)
                )
        if i % 7 == 0:  # quiet: active 8 to 20 days ago, not since
            Interaction.objects.create(
                customer=customer,
                kind=kind,
                occurred_at=_at(day - dt.timedelta(i % 13 + 8), 1),
            )
        if i % 4 == 1:  # active last week, less this week
            for back in (8, 9, 10, 11):
                Interaction.objects.create(
                    customer=customer,
                    kind=kind,
                    occurred_at=_at(day - dt.timedelta(back)),
                )
        if i % 11 == 0:
            Interaction.objects.create(
                customer=customer, kind="review", occurred_at=_at(day), note=ANGRY
            )
    return customers


def _written() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The warnings by customer with their signals as the database keeps them
    (text), and the tasks in the order written."""
    signals = "signals::text" if connection.vendor == "postgresql" else "signals"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id, status, {signals}, opened_as_of, as_of, "
            "closed_at IS NULL "
            "FROM care_churnwarning ORDER BY customer_id, opened_as_of, status"
        )
        warnings = [tuple(row) for row in cursor.fetchall()]
    tasks = [
        (*row[:-1], row[-1] is None)
        for row in CareTask.objects.order_by("pk").values_list(
            "customer_id", "warning__customer_id", "owner_id", "round_robin",
            "status", "priority", "due_on", "remedy", "step", "instructions",
            "outcome", "closed_at",
        )
    ]  # fmt: skip
    return warnings, tasks


def _both(day: dt.date, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, Any]:
    """Evaluate ``day`` both ways from the same state (each rolled back): the
    same counts (opened, updated, closed), returned, and the rows of each."""
    found = []
    for row_wise in (False, True):
        with monkeypatch.context() as patch, transaction.atomic():
            if row_wise:
                row_by_row(patch)
            run = warnings_evaluate(as_of=day)
            found.append(((run.opened, run.updated, run.closed), _written()))
            transaction.set_rollback(True)
    (counts, rows), (counts_rows, rows_rows) = found
    assert counts == counts_rows
    return counts, rows, rows_rows


@pytest.mark.parametrize(
    ("cap", "quadrants", "overlap"),
    [(0, False, False), (2, True, False), (3, False, True)],
    ids=["no-cap", "cap-and-quadrants", "manager-in-team"],
)
def test_set_based_writes_what_row_by_row_writes(
    make_customer: Any,
    users: dict[str, Any],
    make_user: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    cap: int,
    quadrants: bool,
    overlap: bool,
) -> None:
    settings.GUANXI_CARE_DAILY_CAP = cap
    team = [users["service"], make_user(Role.SERVICE, username="service-2")]
    team.append(make_user(Role.SERVICE, username="service-3"))
    managers = [users["account_manager"], users["other_manager"]]
    if overlap:
        managers.append(team[1])
    if quadrants:
        QuadrantThresholds.objects.create(
            quadrant="star", no_purchase_days=14, quiet_days=3, drop_ratio=0.8,
            rhythm_factor=1.5, p_alive_below=0.1,
        )  # fmt: skip
        QuadrantThresholds.objects.create(
            quadrant="basic", no_purchase_days=60, complaints_per_month_above=4,
            churn_risk_from=0.9, rhythm_factor=2.0,
        )  # fmt: skip
    customers = _fill(make_customer, managers, DAY, 60)
    # Days already taken: the first member and a manager have tasks due.
    old = ChurnWarning.objects.create(
        customer=customers[1], signals={"quiet": {"as_of": "2026-11-01", "days": 9}},
        opened_as_of=dt.date(2026, 11, 1), as_of=dt.date(2026, 11, 1),
    )  # fmt: skip
    for owner in (team[0], managers[0], team[0]):
        CareTask.objects.create(
            warning=old, customer=customers[1], owner=owner, due_on=NEXT,
            round_robin=owner == team[0],
        )  # fmt: skip
    make_run(DAY)
    counts, rows, expected = _both(DAY, monkeypatch)
    assert rows[0] == expected[0]
    assert rows[1] == expected[1]
    warnings, tasks = rows
    assert len(warnings) > 40 and len(tasks) == len(warnings) + 2
    assert {row[2] for row in tasks} >= {team[0].pk, team[1].pk, team[2].pk}
    if cap:
        assert len({row[6] for row in tasks}) > 3  # spilled over to later days
    # The next day: new signals add to the open warnings, new customers open.
    warnings_evaluate(as_of=DAY)
    later = DAY + dt.timedelta(days=3)
    for i, customer in enumerate(customers[:30]):
        make_snapshot(
            customer, later, quadrant=QUADRANTS[i % 4], days_since_last_purchase=70,
            mean_gap_days=GAPS[(i + 1) % len(GAPS)], p_alive=0.05, churn_risk=0.96,
        )  # fmt: skip
    _fill(make_customer, managers, later, 12)
    make_run(later)
    counts, rows, expected = _both(later, monkeypatch)
    assert rows[0] == expected[0]
    assert rows[1] == expected[1]
    opened, updated, _closed = counts
    assert opened >= 10 and updated >= 10  # new warnings and signals added


def test_the_database_rounds_as_python_does(db: Any) -> None:
    rnd = random.Random(7)
    values = [*[g for g in GAPS if g is not None], *PROBABILITIES, 0.15, 0.25, 0.35]
    values += [round(rnd.random(), 6) for _ in range(300)]
    values += [rnd.randint(0, 8000) / 32 for _ in range(100)]
    values += [rnd.randint(0, 8000) / 20 for _ in range(100)]
    values += [rnd.uniform(0, 500) for _ in range(100)]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE care_test_numbers (i INTEGER PRIMARY KEY, "
            "x DOUBLE PRECISION NOT NULL)"
        )
        cursor.executemany(
            "INSERT INTO care_test_numbers (i, x) VALUES (%s, %s)",
            list(enumerate(values)),
        )
        for digits in (1, 4):
            cursor.execute(
                f"SELECT {rounded_text('x', digits)} FROM care_test_numbers ORDER BY i"
            )
            got = [text for (text,) in cursor.fetchall()]
            assert got == [repr(round(v, digits)) for v in values]
        cursor.execute("DROP TABLE care_test_numbers")
