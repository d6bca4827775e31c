"""Segment reads against a small population: what each rule matches, scope,
counts equal to members, the share over time, per-manager shares."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from guanxi.customers.models import Customer, Tag
from guanxi.segments.models import Segment, SegmentCount
from guanxi.segments.selectors import (
    Share,
    everyone_actor,
    members_are_sparse,
    segment_count,
    segment_history,
    segment_latest_counts,
    segment_members,
    segment_share_by_manager,
)
from guanxi.segments.tests.factories import AS_OF, scored_run, snapshot

pytestmark = pytest.mark.django_db
EARLIER = AS_OF - dt.timedelta(days=30)


def rule(field: str, op: str, value: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        out["value"] = value
    return out


@pytest.fixture
def people(users: dict[str, Any], make_customer: Any) -> dict[str, Customer]:
    """Two customers of the account manager, two of another manager, one of
    nobody and one added after the run (no scores yet)."""
    complained = Tag.objects.create(name="complained")
    vip = Tag.objects.create(name="VIP")
    mine, other = users["account_manager"], users["other_manager"]
    made = {
        "a1": make_customer(city="上海", gender="female", assigned_manager=mine),
        "a2": make_customer(city="上海", gender="male", assigned_manager=mine),
        "b1": make_customer(
            city="上海", birthday=dt.date(1990, 5, 1), assigned_manager=other
        ),
        "b2": make_customer(
            city="杭州", birthday=dt.date(1985, 6, 2), assigned_manager=other
        ),
        "c1": make_customer(city="", gender="female"),
        "new": make_customer(city="上海", assigned_manager=mine),
    }
    made["a1"].tags.add(complained, vip)
    made["b1"].tags.add(vip)
    made["c1"].tags.add(vip)
    scored_run(EARLIER)
    scored_run(AS_OF)
    scores: dict[str, dict[str, Any]] = {
        "a1": {
            "quadrant": "star",
            "stage": "mature",
            "churn_risk": 0.2,
            "spend_30d": 900,
        },
        "a2": {
            "quadrant": "star",
            "stage": "at_risk",
            "churn_risk": 0.8,
            "spend_30d": 0,
        },
        "b1": {
            "quadrant": "star",
            "stage": "mature",
            "churn_risk": None,
            "spend_30d": 300,
        },
        "b2": {"quadrant": "cash_cow", "stage": "lapsed", "churn_risk": 0.95},
        "c1": {"quadrant": "potential", "stage": "new", "churn_risk": 0.5},
    }
    for key, values in scores.items():
        snapshot(made[key], AS_OF, **values)
        snapshot(made[key], EARLIER, quadrant="basic" if key != "b1" else "star")
    return made


PEOPLE: dict[str, Customer] = {}


@pytest.fixture(autouse=True)
def _people(people: dict[str, Customer]) -> None:
    """Every test of this module runs on the population (``members`` names them)."""
    PEOPLE.clear()
    PEOPLE.update(people)


def members(actor: Any, tree: Any, **kwargs: Any) -> set[str]:
    """The keys of the population's customers who are members."""
    found = set(segment_members(actor=actor, rules=tree, **kwargs))
    return {key for key, c in PEOPLE.items() if c in found}


def _example(tag: int) -> dict[str, Any]:
    return {
        "all": [
            rule("quadrant", "eq", "star"),
            rule("city", "eq", "上海"),
            {"not": rule("tag", "has", tag)},
        ]
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", {"a2", "b1"}),
        ("operations", {"a2", "b1"}),
        ("service", {"a2", "b1"}),
        ("analyst", {"a2", "b1"}),
        ("account_manager", {"a2"}),
        ("other_manager", {"b1"}),
    ],
)
def test_the_issue_example_in_each_scope(
    role: str, expected: set[str], users: dict[str, Any]
) -> None:
    tree = _example(Tag.objects.get(name="complained").pk)
    assert members(users[role], tree) == expected
    assert segment_count(actor=users[role], rules=tree) == len(expected)


def test_a_user_without_a_role_has_no_members(make_user: Any) -> None:
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody")
    tree = {"all": [rule("city", "eq", "上海")]}
    assert members(nobody, tree) == set()
    assert segment_count(actor=nobody, rules=tree) == 0


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        # Profile and tags: every customer, scored or not.
        ({"all": []}, {"a1", "a2", "b1", "b2", "c1", "new"}),
        ({"all": [rule("city", "eq", "上海")]}, {"a1", "a2", "b1", "new"}),
        ({"all": [rule("city", "ne", "上海")]}, {"b2", "c1"}),
        ({"all": [rule("city", "empty")]}, {"c1"}),
        ({"all": [rule("birth_year", "not_empty")]}, {"b1", "b2"}),
        ({"all": [rule("birth_year", "lt", 1990)]}, {"b2"}),
        ({"all": [rule("birth_year", "ne", 1990)]}, {"a1", "a2", "b2", "c1", "new"}),
        ({"all": [rule("gender", "in", ["female", "male"])]}, {"a1", "a2", "c1"}),
        (
            {"all": [rule("tag", "has", "VIP"), rule("tag", "has", "complained")]},
            {"a1"},
        ),
        ({"all": [rule("tag", "has_not", "VIP")]}, {"a2", "b2", "new"}),
        # Counted from the VIP tag's links (every customer's scope).
        (
            {"all": [rule("tag", "has", "VIP"), rule("city", "eq", "上海")]},
            {"a1", "b1"},
        ),
        (
            {
                "all": [
                    rule("tag", "has", "VIP"),
                    {"not": rule("tag", "has", "complained")},
                ]
            },
            {"b1", "c1"},
        ),
        (
            {
                "all": [
                    rule("tag", "has", "VIP"),
                    {"any": [rule("city", "empty"), rule("gender", "eq", "female")]},
                ]
            },
            {"a1", "c1"},
        ),
        (
            {"any": [rule("city", "eq", "杭州"), rule("tag", "has", "complained")]},
            {"a1", "b2"},
        ),
        ({"not": {"any": [rule("city", "eq", "上海"), rule("city", "empty")]}}, {"b2"}),
        ({"all": [rule("assigned_manager", "empty")]}, {"c1"}),
        # Scores: customers scored in the latest run only ("new" has none yet).
        ({"all": [rule("quadrant", "eq", "star")]}, {"a1", "a2", "b1"}),
        ({"all": [rule("quadrant", "ne", "star")]}, {"b2", "c1"}),
        ({"not": rule("quadrant", "eq", "star")}, {"b2", "c1"}),
        ({"all": [rule("churn_risk", "gte", 0.8)]}, {"a2", "b2"}),
        ({"all": [rule("churn_risk", "empty")]}, {"b1"}),
        ({"all": [rule("churn_risk", "between", [0.2, 0.5])]}, {"a1", "c1"}),
        ({"all": [rule("spend_30d", "gte", 800)]}, {"a1"}),
        ({"all": [rule("stage", "in", ["mature", "new"])]}, {"a1", "b1", "c1"}),
        (
            {
                "all": [
                    rule("city", "eq", "上海"),
                    {"not": rule("stage", "eq", "mature")},
                ]
            },
            {"a2"},
        ),
        (
            {
                "any": [
                    rule("quadrant", "eq", "cash_cow"),
                    rule("tag", "has", "complained"),
                ]
            },
            {"a1", "b2"},
        ),
    ],
)
def test_what_each_rule_matches(
    tree: dict[str, Any], expected: set[str], users: dict[str, Any]
) -> None:
    from guanxi.segments.services import segment_rules_check

    checked = segment_rules_check(tree)
    assert members(users["admin"], checked) == expected
    # Read by collecting the few members first: the same members.
    assert members(users["admin"], checked, sparse=True) == expected
    assert segment_count(actor=users["admin"], rules=checked) == len(expected)


def test_first_seen_by_day_in_the_business_time_zone(users: dict[str, Any]) -> None:
    # 2026-03-01 23:30 in Shanghai is still 2026-03-01 there (15:30 UTC).
    late = timezone.make_aware(dt.datetime(2026, 3, 1, 23, 30))
    Customer.objects.filter(pk=PEOPLE["a1"].pk).update(first_seen_at=late)
    Customer.objects.filter(pk=PEOPLE["a2"].pk).update(
        first_seen_at=late + dt.timedelta(hours=1)
    )
    admin = users["admin"]
    day = "2026-03-01"
    assert members(admin, {"all": [rule("first_seen", "lte", day)]}) == {"a1"}
    assert members(admin, {"all": [rule("first_seen", "gt", day)]}) == {"a2"}
    assert members(admin, {"all": [rule("first_seen", "between", [day, day])]}) == {
        "a1"
    }
    recent = {"all": [rule("first_seen", "in_last_days", 30)]}
    Customer.objects.filter(pk=PEOPLE["b1"].pk).update(first_seen_at=timezone.now())
    assert members(admin, recent) == {"b1"}


def test_an_earlier_run_is_counted_with_its_own_scores(users: dict[str, Any]) -> None:
    tree = {"all": [rule("quadrant", "eq", "star")]}
    assert members(users["admin"], tree, as_of=EARLIER) == {"b1"}
    assert segment_count(actor=users["admin"], rules=tree, as_of=EARLIER) == 1


def test_before_the_first_run_score_rules_have_no_members(
    users: dict[str, Any],
) -> None:
    from guanxi.insights.models import ScoreRun

    ScoreRun.objects.update(status="running")
    assert members(users["admin"], {"all": [rule("quadrant", "eq", "basic")]}) == set()
    assert members(users["admin"], {"all": [rule("city", "empty")]}) == {"c1"}


def test_history_recorded_for_everyone_counted_on_the_spot_for_a_manager(
    users: dict[str, Any],
) -> None:
    stars = Segment.objects.create(
        name="stars", rules={"all": [rule("quadrant", "eq", "star")]}
    )
    SegmentCount.objects.create(segment=stars, as_of=EARLIER, members=1, customers=5)
    SegmentCount.objects.create(segment=stars, as_of=AS_OF, members=3, customers=5)
    shares = segment_history(actor=users["admin"], segment=stars)
    assert [(s.as_of, s.members, s.customers, s.percent) for s in shares] == [
        (EARLIER, 1, 5, 20.0),
        (AS_OF, 3, 5, 60.0),
    ]
    # The account manager's three customers: a1, a2 stars now, none before.
    mine = segment_history(actor=users["account_manager"], segment=stars)
    assert [(s.as_of, s.members, s.customers) for s in mine] == [
        (EARLIER, 0, 3),
        (AS_OF, 2, 3),
    ]


def _pair(share: Share | None) -> tuple[int, int]:
    assert share is not None
    return (share.members, share.customers)


def test_latest_counts_recorded_or_counted(users: dict[str, Any]) -> None:
    stars = Segment.objects.create(
        name="stars", rules={"all": [rule("quadrant", "eq", "star")]}
    )
    broken = Segment.objects.create(
        name="broken", rules={"all": [rule("quadrant", "eq", "gold")]}
    )
    SegmentCount.objects.create(segment=stars, as_of=AS_OF, members=40, customers=100)
    admin = segment_latest_counts(
        actor=users["admin"], segments=[stars, broken], as_of=AS_OF
    )
    assert _pair(admin[stars.pk]) == (40, 100)
    assert admin[broken.pk] is None
    manager = segment_latest_counts(
        actor=users["account_manager"], segments=[stars], as_of=AS_OF
    )
    assert _pair(manager[stars.pk]) == (2, 3)
    # Rules changed after the count: counted again.
    Segment.objects.filter(pk=stars.pk).update(updated_at=timezone.now())
    stars.refresh_from_db()
    again = segment_latest_counts(actor=users["admin"], segments=[stars], as_of=AS_OF)
    assert _pair(again[stars.pk]) == (3, 6)


def test_share_by_manager(users: dict[str, Any]) -> None:
    stars = Segment.objects.create(
        name="stars", rules={"all": [rule("quadrant", "eq", "star")]}
    )
    mine, other = users["account_manager"].pk, users["other_manager"].pk
    assert segment_share_by_manager(actor=users["admin"], segment=stars) == [
        {"manager": None, "members": 0, "customers": 1},
        {"manager": mine, "members": 2, "customers": 3},
        {"manager": other, "members": 1, "customers": 2},
    ]
    assert segment_share_by_manager(actor=users["account_manager"], segment=stars) == [
        {"manager": mine, "members": 2, "customers": 3}
    ]


def test_sparse_means_fewer_than_one_in_a_thousand() -> None:
    assert members_are_sparse(count=999, customers=1_000_000)
    assert not members_are_sparse(count=1000, customers=1_000_000)
    assert not members_are_sparse(count=0, customers=0)


def test_one_quadrant_at_one_stage_is_sparse_below_one_in_a_hundred() -> None:
    """Its members are collected from a range of the (quadrant, stage) index."""
    both = {
        "all": [
            rule("stage", "eq", "at_risk"),
            rule("tag", "has", 3),
            rule("quadrant", "eq", "star"),
        ]
    }
    assert members_are_sparse(count=9_999, customers=1_000_000, rules=both)
    assert not members_are_sparse(count=10_000, customers=1_000_000, rules=both)
    for other in (
        {"all": [rule("quadrant", "eq", "star")]},
        {"all": [rule("quadrant", "eq", "star"), rule("stage", "ne", "new")]},
        {"any": [rule("quadrant", "eq", "star"), rule("stage", "eq", "new")]},
        {"not": {"all": [rule("quadrant", "eq", "star"), rule("stage", "eq", "new")]}},
    ):
        assert not members_are_sparse(count=9_999, customers=1_000_000, rules=other)
        assert members_are_sparse(count=999, customers=1_000_000, rules=other)


def test_everyone_actor_sees_every_customer() -> None:
    tree: dict[str, Any] = {"all": []}
    assert segment_count(actor=everyone_actor(), rules=tree) == len(PEOPLE)
