"""The dashboard's figures of a run: written when the run finishes, per
account manager and for everyone, equal to counts taken directly from the
snapshots; written again they replace, not add."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

import pytest
from tests.access import World

from guanxi.insights.figures import PV_EDGES, run_figures_write
from guanxi.insights.models import RunFigures, ScoreRun, ScoreSnapshot
from guanxi.insights.selectors import dashboard_scores
from guanxi.insights.services import run_finished
from guanxi.insights.tests.factories import (
    make_run,
    make_snapshot,
    record_stage_changes,
)

FIRST = dt.date(2026, 10, 31)
SECOND = dt.date(2026, 11, 30)
QUADRANTS = ("star", "cash_cow", "potential", "basic")
STAGES = ("prospect", "new", "growing", "mature", "at_risk", "lapsed")


@pytest.fixture
def scored(world: World, make_customer: Any) -> World:
    """Two runs over 13 customers: 6 of the account manager's, 4 of the other
    manager's, 3 unassigned; one of the manager's is new in the second run."""
    rng = random.Random(7)
    manager, other = world.users["account_manager"], world.other_manager
    owners = [manager] * 5 + [other] * 3 + [None] * 3
    customers = [world.own_customer, world.foreign_customer] + [
        make_customer(assigned_manager=owner) for owner in owners
    ]
    late = make_customer(assigned_manager=manager)
    for day in (FIRST, SECOND):
        make_run(day)
        if day == SECOND:
            customers.append(late)
        for customer in customers:
            make_snapshot(
                customer,
                day,
                quadrant=rng.choice(QUADRANTS),
                stage=rng.choice(STAGES),
                r_score=rng.randint(1, 5),
                f_score=rng.randint(1, 5),
                m_score=rng.randint(1, 5),
                potential_value=rng.choice([0.0, 99.99, 100.0, 750.0, 4999.0, 60000.0]),
            )
    record_stage_changes(SECOND, FIRST)
    return world


def max_pk() -> int:
    return int(ScoreSnapshot.objects.order_by("-customer_id")[0].customer_id)


def direct(day: dt.date, manager: Any | None) -> dict[str, Any]:
    """The figures counted straight from the snapshots, in Python."""
    rows = ScoreSnapshot.objects.filter(as_of=day).select_related("customer")
    if manager is not None:
        rows = rows.filter(customer__assigned_manager=manager)
    snaps = list(rows)
    before = {s.customer_id: s.stage for s in ScoreSnapshot.objects.filter(as_of=FIRST)}
    bins = [0] * len(PV_EDGES)
    for s in snaps:
        bins[sum(1 for edge in PV_EDGES[1:] if s.potential_value >= edge)] += 1
    grid = Counter((s.r_score, s.f_score) for s in snaps)
    m_sum: Counter[tuple[int | None, int | None]] = Counter()
    for s in snaps:
        m_sum[(s.r_score, s.f_score)] += s.m_score or 0
    flow = Counter((before.get(s.customer_id, ""), s.stage) for s in snaps)
    return {
        "customers": len(snaps),
        "quadrants": dict(Counter(s.quadrant for s in snaps)),
        "stages": dict(Counter(s.stage for s in snaps)),
        "pv_bins": bins,
        "rfm": [[r, f, n, m_sum[(r, f)]] for (r, f), n in sorted(grid.items())],
        "flow": sorted([a, b, n] for (a, b), n in flow.items()),
        "high_value": sum(1 for s in snaps if s.quadrant == "star"),
    }


def stored(day: dt.date, scope: str) -> dict[str, Any]:
    row = RunFigures.objects.get(run__as_of=day, scope=scope)
    fig = row.figures
    return {
        "customers": row.customers,
        "quadrants": fig["quadrants"],
        "stages": fig["stages"],
        "pv_bins": fig["pv_bins"],
        "rfm": fig["rfm"],
        "flow": sorted(fig["flow"]["links"]),
        "high_value": row.high_value,
    }


def test_a_finished_run_writes_figures_for_everyone_and_each_manager(
    scored: World,
) -> None:
    run = ScoreRun.objects.get(as_of=SECOND)
    run_finished.send(sender=ScoreRun, run=run, progress=None)
    manager, other = scored.users["account_manager"], scored.other_manager
    assert set(RunFigures.objects.filter(run=run).values_list("scope", flat=True)) == {
        "all",
        f"user-{manager.pk}",
        f"user-{other.pk}",
    }
    assert stored(SECOND, f"user-{manager.pk}") == direct(SECOND, manager)
    assert stored(SECOND, f"user-{other.pk}") == direct(SECOND, other)
    assert stored(SECOND, "all") == direct(SECOND, None)
    assert stored(SECOND, f"user-{manager.pk}")["customers"] == 7
    assert stored(SECOND, "all")["customers"] == 14
    # The customer first scored in this run comes from "not scored before".
    assert [link for link in stored(SECOND, "all")["flow"] if link[0] == ""] == [
        ["", ScoreSnapshot.objects.get(as_of=SECOND, customer__pk=max_pk()).stage, 1]
    ]


def test_the_first_run_has_no_flow(scored: World) -> None:
    run_figures_write(run=ScoreRun.objects.get(as_of=FIRST))
    row = RunFigures.objects.get(run__as_of=FIRST, scope="all")
    assert row.figures["flow"] == {"previous": None, "links": []}
    assert row.customers == 13


def test_writing_again_replaces(scored: World) -> None:
    run = ScoreRun.objects.get(as_of=SECOND)
    run_figures_write(run=run)
    first = list(
        RunFigures.objects.order_by("scope").values_list(
            "scope", "customers", "figures"
        )
    )
    ScoreSnapshot.objects.filter(as_of=SECOND, customer=scored.own_customer).update(
        quadrant="star"
    )
    run_figures_write(run=run)
    again = list(
        RunFigures.objects.order_by("scope").values_list(
            "scope", "customers", "figures"
        )
    )
    assert len(again) == len(first) == 3
    assert stored(SECOND, "all") == direct(SECOND, None)


def test_a_run_without_snapshots_still_says_so(db: Any) -> None:
    run = make_run(SECOND)
    assert run_figures_write(run=run) == 1
    row = RunFigures.objects.get(run=run)
    assert (row.scope, row.customers, row.figures["quadrants"]) == ("all", 0, {})


def test_dashboard_scores_read_the_viewers_scope(scored: World) -> None:
    for day in (FIRST, SECOND):
        run_figures_write(run=ScoreRun.objects.get(as_of=day))
    manager = scored.users["account_manager"]
    mine = dashboard_scores(actor=manager)
    assert mine.as_of == SECOND
    assert mine.figures is not None
    assert sum(mine.figures["quadrants"].values()) == 7
    assert mine.series == [
        (FIRST, 6, direct(FIRST, manager)["high_value"]),
        (SECOND, 7, direct(SECOND, manager)["high_value"]),
    ]
    everyone = dashboard_scores(actor=scored.users["analyst"])
    assert sum(everyone.figures["quadrants"].values()) == 14  # type: ignore[index]
    assert dashboard_scores(actor=scored.users["no_role"]).figures is None


def test_a_manager_without_scored_customers_sees_zeros(
    scored: World, make_user: Any
) -> None:
    from guanxi.access.choices import Role

    run_figures_write(run=ScoreRun.objects.get(as_of=SECOND))
    newcomer = make_user(Role.ACCOUNT_MANAGER)
    scores = dashboard_scores(actor=newcomer)
    assert scores.as_of == SECOND
    assert scores.figures == {}
    assert scores.series == []


def test_figures_not_written_for_the_latest_run_are_none(scored: World) -> None:
    scores = dashboard_scores(actor=scored.users["admin"])
    assert scores.as_of == SECOND
    assert scores.figures is None


def test_a_real_scoring_run_writes_its_figures(demo_data: dict[str, Any]) -> None:
    """Through the run's own signal, on the demo data, twice (a stage flow)."""
    from guanxi.insights.services import score_run

    from .conftest import AS_OF

    score_run(as_of=AS_OF - dt.timedelta(days=30))
    run = score_run(as_of=AS_OF)
    assert run.message == ""  # no follow-up step failed
    manager = demo_data["users"]["account_manager"]
    scopes = set(RunFigures.objects.filter(run=run).values_list("scope", flat=True))
    assert {"all", f"user-{manager.pk}"} <= scopes
    mine = RunFigures.objects.get(run=run, scope=f"user-{manager.pk}")
    counted = dict(
        Counter(
            ScoreSnapshot.objects.filter(
                as_of=AS_OF, customer__assigned_manager=manager
            ).values_list("quadrant", flat=True)
        )
    )
    assert mine.figures["quadrants"] == counted
    assert mine.customers == sum(counted.values()) > 0
    everyone = RunFigures.objects.get(run=run, scope="all")
    assert everyone.customers == 300
    assert (
        everyone.figures["flow"]["previous"]
        == (AS_OF - dt.timedelta(days=30)).isoformat()
    )
    assert sum(n for _a, _b, n in everyone.figures["flow"]["links"]) == 300
