"""Segment writes: who may change segments, nothing saved on a bad name or rule,
the shipped defaults, and the counts recorded at a scoring run (idempotent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.customers.models import Tag
from guanxi.insights.services import run_followups
from guanxi.segments.models import Segment, SegmentCount
from guanxi.segments.services import (
    segment_counts_record,
    segment_create,
    segment_delete,
    segment_update,
)
from guanxi.segments.tests.factories import AS_OF, scored_run, snapshot

pytestmark = pytest.mark.django_db
STARS = {"all": [{"field": "quadrant", "op": "eq", "value": "star"}]}
SHIPPED = [
    "高价值客户 High value",
    "潜力客户 Potential",
    "沉睡客户 Sleeping",
    "明星客户 Star",
    "金牛客户 Cash cow",
    "潜力象限 Potential quadrant",
    "基础客户 Basic",
]


def _state() -> list[tuple[Any, ...]]:
    return list(
        Segment.objects.order_by("id").values_list("id", "name", "description", "rules")
    )


def test_the_defaults_ship_editable_and_run() -> None:
    from guanxi.segments.rules import rules_check

    defaults = Segment.objects.filter(is_default=True).order_by("id")
    assert [s.name for s in defaults] == SHIPPED
    high = defaults[0]
    assert high.rules == {
        "all": [
            {"field": "days_since_last_purchase", "op": "lte", "value": 7},
            {"field": "orders_30d", "op": "gte", "value": 3},
            {"field": "spend_30d", "op": "gte", "value": 800},
        ]
    }
    sleeping = defaults[2]
    assert sleeping.rules == {
        "all": [
            {"field": "days_since_last_purchase", "op": "gte", "value": 30},
            {"field": "orders_30d", "op": "lte", "value": 1},
            {"field": "spend_30d", "op": "lte", "value": 300},
        ]
    }
    for segment in defaults:
        assert rules_check(segment.rules, lookups=None) == segment.rules


def test_create_checks_cleans_and_keeps_tags_by_number(users: dict[str, Any]) -> None:
    vip = Tag.objects.create(name="VIP")
    segment = segment_create(
        actor=users["operations"],
        name="  上海 VIP  ",
        description="运营\r\n用",
        rules={"all": [{"field": "tag", "op": "has", "value": "VIP"}]},
    )
    segment.refresh_from_db()
    assert segment.name == "上海 VIP"
    assert segment.description == "运营\n用"
    assert segment.rules == {"all": [{"field": "tag", "op": "has", "value": vip.pk}]}
    assert segment.created_by == users["operations"]
    assert not segment.is_default


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": ""}, "name", "the segment needs a name"),
        ({"name": None}, "name", "the segment needs a name"),
        ({"name": "x" * 101}, "name", "too long (at most 100 characters)"),
        (
            {"name": "bad\x07name"},
            "name",
            "control character U+0007 at position 4 is not allowed",
        ),
        ({"name": "明星客户 Star"}, "name", "A segment with this name already exists."),
        (
            {"rules": {"all": [{"field": "quadrant", "op": "eq", "value": "gold"}]}},
            "rules",
            "Rule 1 (quadrant): 'gold' is not one of star, cash_cow, potential, basic",
        ),
        (
            {"rules": {"all": [{"field": "tag", "op": "has", "value": "complained"}]}},
            "rules",
            "Rule 1 (tag): there is no tag 'complained'",
        ),
        ({"description": 5}, "description", "the description must be text"),
        (
            {"description": "x" * 2001},
            "description",
            "too long (at most 2000 characters)",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(
    users: dict[str, Any], values: dict[str, Any], field: str, message: str
) -> None:
    before = _state()
    arguments = {"name": "新分组", "rules": STARS, **values}
    with pytest.raises(ValidationFailed) as caught:
        segment_create(actor=users["admin"], **arguments)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert _state() == before
    existing = Segment.objects.get(name="明星客户 Star")
    if values.get("name", "") in (None, "明星客户 Star"):
        return  # for a change, no name is "unchanged"; its own name is fine
    with pytest.raises(ValidationFailed) as caught:
        segment_update(actor=users["admin"], segment=existing, **values)
    assert caught.value.message == message
    assert _state() == before


def test_messages_in_chinese(users: dict[str, Any]) -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as caught:
        segment_create(
            actor=users["admin"],
            name="新分组",
            rules={"all": [{"field": "quadrant", "op": "eq", "value": "gold"}]},
        )
    assert caught.value.message == (
        "规则 1（quadrant）：'gold' 不是 star、cash_cow、potential、basic 之一"
    )


@pytest.mark.parametrize("role", ["service", "account_manager", "analyst"])
def test_only_admins_and_operations_change_segments(
    users: dict[str, Any], role: str
) -> None:
    before = _state()
    segment = Segment.objects.get(name="明星客户 Star")
    with pytest.raises(PermissionDenied) as caught:
        segment_create(actor=users[role], name="mine", rules=STARS)
    assert caught.value.message == "your role may not change segments"
    with pytest.raises(PermissionDenied):
        segment_update(actor=users[role], segment=segment, name="renamed")
    with pytest.raises(PermissionDenied):
        segment_delete(actor=users[role], segment=segment)
    assert _state() == before


def test_update_changes_only_what_is_given_and_delete_removes_counts(
    users: dict[str, Any],
) -> None:
    segment = segment_create(actor=users["admin"], name="a", rules=STARS)
    SegmentCount.objects.create(segment=segment, as_of=AS_OF, members=1, customers=2)
    changed = segment_update(actor=users["admin"], segment=segment, description="d")
    assert (changed.name, changed.description, changed.rules) == ("a", "d", STARS)
    segment_delete(actor=users["admin"], segment=changed)
    assert not Segment.objects.filter(pk=segment.pk).exists()
    assert not SegmentCount.objects.filter(segment_id=segment.pk).exists()


@pytest.fixture
def scored(make_customer: Any) -> list[Any]:
    """Three customers scored as of AS_OF: two stars, one basic."""
    people = [make_customer(city="上海") for _ in range(3)]
    scored_run(AS_OF)
    for person, quadrant in zip(people, ["star", "star", "basic"], strict=True):
        snapshot(person, AS_OF, quadrant=quadrant)
    return people


def test_a_finished_run_records_every_segments_count_once(
    scored: list[Any], users: dict[str, Any], make_customer: Any
) -> None:
    run = scored_run(AS_OF)
    steps: list[tuple[str, float]] = []
    run_followups.send(sender=None, run=run, progress=lambda s, p: steps.append((s, p)))
    counts = {
        c.segment.name: (c.members, c.customers)
        for c in SegmentCount.objects.filter(as_of=AS_OF).select_related("segment")
    }
    assert counts == {
        "高价值客户 High value": (0, 3),
        "潜力客户 Potential": (0, 3),
        "沉睡客户 Sleeping": (0, 3),
        "明星客户 Star": (2, 3),
        "金牛客户 Cash cow": (0, 3),
        "潜力象限 Potential quadrant": (0, 3),
        "基础客户 Basic": (1, 3),
    }
    # Other apps hear the run too (automatic tags …): only this app's steps.
    ours = [step for step in steps if step[0] == "segments"]
    assert ours[-1] == ("segments", 1.0) and len(ours) == len(SHIPPED)
    # The same run again: the same rows, updated, none added.
    before = SegmentCount.objects.count()
    snapshot(make_customer(), AS_OF, quadrant="star")
    run_followups.send(sender=None, run=run, progress=None)
    assert SegmentCount.objects.count() == before
    star = SegmentCount.objects.get(segment__name="明星客户 Star", as_of=AS_OF)
    assert (star.members, star.customers) == (3, 4)


def test_a_segment_that_cannot_run_is_skipped_not_fatal(
    scored: list[Any], caplog: Any
) -> None:
    Segment.objects.create(
        name="broken", rules={"all": [{"field": "nope", "op": "eq", "value": 1}]}
    )
    assert segment_counts_record(as_of=AS_OF) == len(SHIPPED)
    assert not SegmentCount.objects.filter(segment__name="broken").exists()
    assert "not counted: Rule 1: unknown field 'nope'" in caplog.text


def test_a_change_of_rules_records_the_count_at_the_latest_run(
    scored: list[Any], users: dict[str, Any]
) -> None:
    segment = segment_create(actor=users["admin"], name="stars", rules=STARS)
    assert list(segment.counts.values_list("as_of", "members", "customers")) == [
        (AS_OF, 2, 3)
    ]
    basic = {"all": [{"field": "quadrant", "op": "eq", "value": "basic"}]}
    segment_update(actor=users["admin"], segment=segment, rules=basic)
    assert list(segment.counts.values_list("as_of", "members", "customers")) == [
        (AS_OF, 1, 3)
    ]
    counted = segment.counts.get().counted_at
    renamed = segment_update(actor=users["admin"], segment=segment, name="basic ones")
    assert segment.counts.count() == 1
    assert segment.counts.get().counted_at >= renamed.updated_at > counted


def test_counts_of_an_older_date_keep_their_own(scored: list[Any]) -> None:
    older = AS_OF - dt.timedelta(days=30)
    scored_run(older)
    snapshot(scored[0], older, quadrant="star")
    segment_counts_record(as_of=older)
    star = SegmentCount.objects.get(segment__name="明星客户 Star", as_of=older)
    assert (star.members, star.customers) == (1, 1)
