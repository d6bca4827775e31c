"""Thresholds per value quadrant (no purchase, rhythm, P(alive), risk,
complaints, quiet days, active window) and the week-on-week activity drop."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from guanxi.care.tests.evaluating import DAY, _evaluate, _interact, _signals
from guanxi.insights.tests.factories import make_snapshot

pytestmark = pytest.mark.django_db


def _quadrant(quadrant: str, **values: Any) -> None:
    from guanxi.care.models import QuadrantThresholds

    QuadrantThresholds.objects.create(quadrant=quadrant, **values)


@pytest.mark.parametrize(("days", "fires"), [(13, False), (14, True)])
def test_a_quadrant_has_its_own_no_purchase_days(
    make_customer: Any, days: int, fires: bool
) -> None:
    _quadrant("star", no_purchase_days=14)
    _quadrant("basic", no_purchase_days=60)
    star = make_customer()
    basic = make_customer()
    cow = make_customer()
    make_snapshot(
        star, DAY, quadrant="star", days_since_last_purchase=days, mean_gap_days=None
    )
    make_snapshot(
        basic, DAY, quadrant="basic", days_since_last_purchase=59, mean_gap_days=None
    )
    make_snapshot(
        cow, DAY, quadrant="cash_cow", days_since_last_purchase=30, mean_gap_days=None
    )
    _evaluate()
    assert ("no_purchase" in _signals(star)) is fires
    assert _signals(basic) == {}  # 59 < 60: its own threshold, not the global 30
    assert "no_purchase" in _signals(cow)  # no override: the global 30


def test_quadrant_thresholds_for_rhythm_p_alive_and_risk(make_customer: Any) -> None:
    _quadrant("star", rhythm_factor=2.0, p_alive_below=0.5, churn_risk_from=0.4)
    star = make_customer()
    basic = make_customer()
    for customer, quadrant in ((star, "star"), (basic, "basic")):
        make_snapshot(
            customer, DAY, quadrant=quadrant, days_since_last_purchase=11,
            mean_gap_days=5.0, p_alive=0.45, churn_risk=0.4,
        )  # fmt: skip
    _evaluate()
    assert set(_signals(star)) == {"past_rhythm", "low_p_alive", "churn_risk"}
    assert _signals(star)["past_rhythm"]["k"] == 2.0
    assert _signals(basic) == {}


@pytest.mark.parametrize(("count", "fires"), [(1, False), (2, True)])
def test_a_quadrant_has_its_own_complaints_threshold(
    make_customer: Any, count: int, fires: bool
) -> None:
    _quadrant("star", complaints_per_month_above=1)
    star = make_customer()
    basic = make_customer()
    make_snapshot(star, DAY, quadrant="star")
    make_snapshot(basic, DAY, quadrant="basic")
    for customer in (star, basic):
        for i in range(count):
            _interact(customer, dt.date(2026, 11, 1 + i), kind="complaint")
    _evaluate()
    assert ("complaints" in _signals(star)) is fires
    assert _signals(basic) == {}


@pytest.mark.parametrize(("quiet", "fires"), [(2, False), (3, True)])
def test_a_quadrant_has_its_own_quiet_days(
    make_customer: Any, quiet: int, fires: bool
) -> None:
    _quadrant("star", quiet_days=3, active_window_days=5)
    star = make_customer()
    basic = make_customer()
    make_snapshot(star, DAY, quadrant="star")
    make_snapshot(basic, DAY, quadrant="basic")
    for customer in (star, basic):
        _interact(customer, DAY - dt.timedelta(days=quiet), hour=23)
    _evaluate()
    assert ("quiet" in _signals(star)) is fires
    assert _signals(basic) == {}  # the global 7 days


def test_a_quadrant_active_window_is_its_own(make_customer: Any) -> None:
    _quadrant("star", quiet_days=3, active_window_days=5)
    star = make_customer()
    basic = make_customer()
    make_snapshot(star, DAY, quadrant="star")
    make_snapshot(basic, DAY, quadrant="basic", days_since_last_purchase=5)
    # 8 days ago: beyond the star's 3 + 5 days, within basic's 7 + 30.
    for customer in (star, basic):
        _interact(customer, DAY - dt.timedelta(days=8))
    _evaluate()
    assert "quiet" not in _signals(star)
    assert "quiet" in _signals(basic)


def _week(customer: Any, last_week: int, this_week: int) -> None:
    for i in range(last_week):
        _interact(customer, DAY - dt.timedelta(days=7 + i % 7), kind="login")
    for i in range(this_week):
        _interact(customer, DAY - dt.timedelta(days=i % 7), kind="visit")


@pytest.mark.parametrize(("this_week", "fires"), [(2, False), (1, True)])
def test_week_on_week_drop_below_half(
    make_customer: Any, this_week: int, fires: bool
) -> None:
    customer = make_customer()
    make_snapshot(customer, DAY)
    _week(customer, 4, this_week)  # 0.5 × 4 = 2: at the ratio is not below it
    _evaluate()
    assert ("activity_drop" in _signals(customer)) is fires
    if fires:
        assert _signals(customer)["activity_drop"] == {
            "as_of": "2026-11-20", "this_week": 1, "last_week": 4,
        }  # fmt: skip


def test_week_on_week_edges_of_the_weeks(make_customer: Any) -> None:
    """This week is the 7 days ending with the as-of day, last week the 7
    before; a day earlier counts in neither; notes by staff do not count."""
    customer = make_customer()
    make_snapshot(customer, DAY)
    _interact(
        customer, DAY - dt.timedelta(days=7), hour=0
    )  # last week's first hour? no: its last day
    _interact(customer, DAY - dt.timedelta(days=13), hour=0)  # last week's first day
    _interact(customer, DAY - dt.timedelta(days=14), hour=23)  # before: not counted
    _interact(customer, DAY - dt.timedelta(days=6), kind="note")  # staff: not counted
    _interact(customer, DAY - dt.timedelta(days=6), hour=0)  # this week's first day
    _evaluate()
    # 1 this week, 2 last week: 1 is not below 0.5 × 2.
    assert "activity_drop" not in _signals(customer)


def test_week_on_week_needs_activity_last_week_and_a_quadrant_ratio(
    make_customer: Any,
) -> None:
    _quadrant("star", drop_ratio=0.8)
    new = make_customer()
    star = make_customer()
    basic = make_customer()
    make_snapshot(new, DAY)
    make_snapshot(star, DAY, quadrant="star")
    make_snapshot(basic, DAY, quadrant="basic")
    _week(new, 0, 0)
    _interact(new, DAY - dt.timedelta(days=20))
    for customer in (star, basic):
        _week(customer, 5, 3)  # 3 < 0.8 × 5 = 4; 3 ≥ 0.5 × 5 = 2.5
    _evaluate()
    assert "activity_drop" not in _signals(new)
    assert "activity_drop" in _signals(star)
    assert "activity_drop" not in _signals(basic)
