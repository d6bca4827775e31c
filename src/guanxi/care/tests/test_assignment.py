"""The per-person daily cap: a manager's customers stay theirs and spill to
later days; customers without a manager go round the service team, skipping
full days, and spill to the next day when the whole team is full."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

from guanxi.access.choices import Role
from guanxi.care.models import CareTask, ChurnWarning
from guanxi.care.services import warnings_evaluate
from guanxi.insights.tests.factories import make_run, make_snapshot

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)
DUE = DAY + dt.timedelta(days=1)


def _warn(customers: list[Any], day: dt.date = DAY, **scores: Any) -> None:
    for customer in customers:
        make_snapshot(customer, day, days_since_last_purchase=40, **scores)


def _per_day(owner: Any) -> dict[dt.date, int]:
    return dict(
        Counter(CareTask.objects.filter(owner=owner).values_list("due_on", flat=True))
    )


def test_a_managers_customers_spill_to_later_days(
    make_customer: Any, users: dict[str, Any], settings: Any
) -> None:
    settings.GUANXI_CARE_DAILY_CAP = 2
    manager = users["account_manager"]
    basic = [make_customer(assigned_manager=manager) for _ in range(3)]
    star = make_customer(assigned_manager=manager)
    _warn(basic)
    _warn([star], quadrant="star")
    make_run(DAY)
    warnings_evaluate(as_of=DAY)
    tasks = CareTask.objects.filter(owner=manager)
    assert tasks.count() == 4  # nobody else gets a manager's customer
    assert _per_day(manager) == {DUE: 2, DUE + dt.timedelta(days=1): 2}
    # The most urgent first: the star customer is due on the first day.
    assert tasks.get(customer=star).due_on == DUE
    assert CareTask.objects.filter(round_robin=True).count() == 0


def test_round_robin_skips_full_members_then_spills(
    make_customer: Any, users: dict[str, Any], make_user: Any, settings: Any
) -> None:
    settings.GUANXI_CARE_DAILY_CAP = 2
    first = users["service"]
    second = make_user(Role.SERVICE, username="service-2")
    # The first member's day is already full from an earlier evaluation.
    earlier = DAY - dt.timedelta(days=1)
    for customer in (make_customer(), make_customer()):
        warning = ChurnWarning.objects.create(
            customer=customer, signals={}, opened_as_of=earlier, as_of=earlier
        )
        CareTask.objects.create(
            warning=warning, customer=customer, owner=first, due_on=DUE, remedy="coupon"
        )
    loose = [make_customer() for _ in range(7)]
    _warn(loose)
    make_run(DAY)
    warnings_evaluate(as_of=DAY)
    owners = [
        (t.owner, t.due_on)
        for t in CareTask.objects.filter(customer__in=loose).order_by("pk")
    ]
    later = DUE + dt.timedelta(days=1)
    assert owners == [
        (second, DUE),
        (second, DUE),
        (first, later),
        (second, later),
        (first, later),
        (second, later),
        (first, DUE + dt.timedelta(days=2)),
    ]
    for member in (first, second):
        assert max(_per_day(member).values()) == 2


def test_the_turn_after_the_last_member_goes_back_to_the_first(
    make_customer: Any, users: dict[str, Any], make_user: Any
) -> None:
    """The round-robin goes on from the owner of the newest round-robin task;
    when that is the last member of the team, the first is next (the turn
    once ran past the end of the team: IndexError, no warning written)."""
    from guanxi.access.selectors import staff_round_robin

    make_user(Role.SERVICE, username="service-2")
    team = staff_round_robin()
    last = team[-1]
    earlier = DAY - dt.timedelta(days=1)
    done = make_customer()
    warning = ChurnWarning.objects.create(
        customer=done, signals={}, opened_as_of=earlier, as_of=earlier
    )
    CareTask.objects.create(
        warning=warning,
        customer=done,
        owner_id=last,
        due_on=DAY,
        remedy="coupon",
        round_robin=True,
    )
    loose = [make_customer() for _ in range(3)]
    _warn(loose)
    make_run(DAY)
    warnings_evaluate(as_of=DAY)
    owners = list(
        CareTask.objects.filter(customer__in=loose)
        .order_by("pk")
        .values_list("owner_id", flat=True)
    )
    assert owners == [team[0], team[1 % len(team)], team[2 % len(team)]]


def test_no_cap_keeps_every_task_on_the_first_day(
    make_customer: Any, users: dict[str, Any], settings: Any
) -> None:
    settings.GUANXI_CARE_DAILY_CAP = 0
    manager = users["account_manager"]
    _warn([make_customer(assigned_manager=manager) for _ in range(5)])
    make_run(DAY)
    warnings_evaluate(as_of=DAY)
    assert _per_day(manager) == {DUE: 5}


def test_the_cap_counts_days_across_evaluations(
    make_customer: Any, users: dict[str, Any], settings: Any
) -> None:
    settings.GUANXI_CARE_DAILY_CAP = 3
    manager = users["account_manager"]
    _warn([make_customer(assigned_manager=manager) for _ in range(2)])
    make_run(DAY)
    warnings_evaluate(as_of=DAY)
    # The next evaluation's tasks are due a day later: three fit, one spills.
    nxt = DAY + dt.timedelta(days=1)
    _warn([make_customer(assigned_manager=manager) for _ in range(4)], day=nxt)
    make_run(nxt)
    warnings_evaluate(as_of=nxt)
    assert _per_day(manager) == {
        DUE: 2,
        DUE + dt.timedelta(days=1): 3,
        DUE + dt.timedelta(days=2): 1,
    }


@pytest.mark.parametrize("cap", [0, 1, 3])
def test_the_plan_as_ranges_places_as_one_by_one(
    make_customer: Any, users: dict[str, Any], make_user: Any, cap: int
) -> None:
    """The ranges a daily evaluation places by (tasks_plan) give every task
    the owner and day tasks_place gives it, with days partly taken."""
    import random

    from guanxi.care.assignment import tasks_place, tasks_plan

    team = [users["service"], make_user(Role.SERVICE, username="service-2")]
    team.append(make_user(Role.SERVICE, username="service-3"))
    managers = [users["account_manager"].pk, users["other_manager"].pk]
    customer = make_customer()
    warning = ChurnWarning.objects.create(
        customer=customer, signals={}, opened_as_of=DAY, as_of=DAY
    )
    taken = [(team[1], DUE), (team[1], DUE), (team[2], DUE), (team[0], DUE)]
    taken += [(users["account_manager"], DUE), (team[2], DUE + dt.timedelta(2))]
    for owner, due in taken:
        CareTask.objects.create(
            warning=warning, customer=customer, owner=owner, due_on=due,
            round_robin=owner in team,
        )  # fmt: skip
    rnd = random.Random(cap)
    wanted = [rnd.choice([None, None, *managers]) for _ in range(40)]
    priorities = [rnd.randint(1, 4) for _ in wanted]
    placed = tasks_place(due_on=DUE, managers=wanted, priorities=priorities, cap=cap)
    plan = tasks_plan(
        due_on=DUE,
        managed=dict(Counter(m for m in wanted if m is not None)),
        by_turn=wanted.count(None),
        cap=cap,
    )
    assert plan is not None
    ranks: Counter[int | None] = Counter()
    expected = []
    for place in placed:  # most urgent first, then by index: the ranks' order
        manager = wanted[place.index]
        rank = ranks[manager]
        ranks[manager] += 1
        if manager is not None:
            day = max(d for m, lo, d in plan.days if m == manager and lo <= rank)
            expected.append((manager, day, False))
            continue
        lo, day, members = max(t for t in plan.turns if t[0] <= rank)
        expected.append((members[(rank - lo) % len(members)], day, True))
    assert [(p.owner_id, p.due_on, p.round_robin) for p in placed] == expected
    if cap:
        assert len({p.due_on for p in placed}) > 2
