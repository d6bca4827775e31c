"""The automatic tags a run gives: every rule on a small world where each
customer's tags are known by hand. The suite runs on SQLite and on PostgreSQL,
so these exact sets hold on both (the same tags for the same data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from guanxi.customers.models import CustomerTag, Tag
from guanxi.customers.services import customer_tags_bulk_add
from guanxi.tags.models import TagCoverage, TagRules
from guanxi.tags.services import automatic_tags_refresh, tags_after_run
from guanxi.tags.tests import factories as f
from guanxi.tags.window import window_pairs_read

AS_OF = dt.date(2026, 6, 30)  # a Tuesday
LATER = dt.date(2026, 7, 31)


def _keys(customer: Any) -> set[str]:
    keys = CustomerTag.objects.filter(
        customer=customer, tag__key__isnull=False
    ).values_list("tag__key", flat=True)
    return {str(key) for key in keys}


def _manual(customer: Any) -> set[str]:
    return set(
        CustomerTag.objects.filter(
            customer=customer, tag__key__isnull=True
        ).values_list("tag__name", flat=True)
    )


@pytest.fixture
def scene(db: Any) -> dict[str, Any]:
    return _scene()


def _scene() -> dict[str, Any]:
    green = f.product("GT-1", "绿茶")
    black = f.product("BT-1", "红茶")
    flower = f.product("FT-1", "花茶")
    f.run(AS_OF)

    # A: a new star on weekends, in the store, buying green tea by the dozen.
    a = f.customer(birthday=dt.date(1990, 6, 15), preferred_channel="wecom")
    f.snapshot(
        a,
        AS_OF,
        stage="new",
        quadrant="star",
        emotion="fan",
        rfm_segment="champions",
        orders=3,
        total_spend=3000.0,
        mean_gap_days=7.0,
        churn_risk=0.1,
        days_since_last_purchase=9,
    )
    for day in (dt.datetime(2026, 6, 6, 10), dt.datetime(2026, 6, 13, 10)):
        f.order(a, day, lines=[(green, 12, "1000.00")])
    # Sunday 23:30 in Shanghai (15:30 UTC): still Sunday.
    f.order(a, dt.datetime(2026, 6, 21, 23, 30), lines=[(green, 12, "1000.00")])

    # B: mature, drifting, buys online on Monday mornings: 01:00 in Shanghai is
    # Sunday in UTC, so a UTC calendar would call B a weekend shopper.
    b = f.customer(birthday=dt.date(1985, 1, 2))
    f.snapshot(
        b,
        AS_OF,
        stage="mature",
        quadrant="cash_cow",
        emotion="drifting",
        rfm_segment="loyal",
        orders=4,
        total_spend=500.0,
        mean_gap_days=30.0,
        churn_risk=0.8,
        days_since_last_purchase=17,
    )
    f.order(
        b, dt.datetime(2026, 6, 1, 1), lines=[(black, 1, "300.00")], channel="online"
    )
    f.order(
        b, dt.datetime(2026, 6, 8, 1), lines=[(green, 1, "200.00")], channel="online"
    )
    f.order(b, dt.datetime(2026, 6, 13, 10), lines=[(black, 1, "100.00")])
    # Cancelled: no purchase, no preference.
    f.order(
        b,
        dt.datetime(2026, 6, 20, 10),
        lines=[(flower, 50, "5000.00")],
        channel="tmall",
        status="cancelled",
    )

    # C: a prospect who visited the store last week (deciding); D: a prospect
    # who logged in two months ago (aware).
    c = f.customer()
    f.snapshot(c, AS_OF, stage="prospect")
    f.interaction(c, "visit", dt.datetime(2026, 6, 25, 15))
    d = f.customer()
    f.snapshot(d, AS_OF, stage="prospect", emotion="drifting")
    f.interaction(d, "login", dt.datetime(2026, 5, 1, 9))

    # E: one order, an imported manual tag; F: not scored yet, born in June.
    e = f.customer()
    f.snapshot(e, AS_OF, orders=1, total_spend=50.0, days_since_last_purchase=400)
    f.order(e, dt.datetime(2025, 5, 28, 12), lines=[(green, 1, "50.00")])
    customer_tags_bulk_add(links=[(e.pk, "老客户")])
    g = f.customer(birthday=dt.date(2000, 6, 1))
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "g": g}


EXPECTED = {
    "a": {
        "stage:new",
        "quadrant:star",
        "emotion:fan",
        "rfm:champions",
        "value:vip",
        "rhythm:weekly",
        "needs:decision",
        "birthday:this_month",
        "contact:wecom",
        "channel:store",
        "category:绿茶",
        "habit:weekend",
        "scenario:business",
    },
    "b": {
        "stage:mature",
        "quadrant:cash_cow",
        "emotion:drifting",
        "rfm:loyal",
        "rhythm:monthly",
        "risk:churn_high",
        "needs:loyalty",
        "channel:online",
        "category:红茶",
        "category:绿茶",
        "scenario:home",
    },
    "c": {"stage:prospect", "quadrant:basic", "emotion:ordinary", "needs:decision"},
    "d": {"stage:prospect", "quadrant:basic", "emotion:drifting", "needs:awareness"},
    "e": {"stage:growing", "quadrant:basic", "emotion:ordinary"},
    "g": {"birthday:this_month"},
}


def test_each_customer_gets_exactly_the_tags_the_data_gives(
    scene: dict[str, Any],
) -> None:
    coverage = automatic_tags_refresh(as_of=AS_OF)
    assert {name: _keys(c) for name, c in scene.items()} == EXPECTED
    assert _manual(scene["e"]) == {"老客户"}
    wanted = sum(len(keys) for keys in EXPECTED.values())
    assert (coverage.added, coverage.removed) == (wanted, 0)
    assert coverage.automatic_links == wanted
    assert coverage.links == wanted + 1


@pytest.mark.django_db(transaction=True)
def test_the_same_tags_when_the_window_is_read_as_arrow() -> None:
    """Outside a transaction, on SQLite, the preference window is read as
    Arrow and its rules run in DuckDB: the same tags as in the database."""
    scene = _scene()
    rules = TagRules.objects.get_or_create(pk=1)[0]
    pairs = window_pairs_read(as_of=AS_OF, rules=rules)
    assert (pairs is not None) == (connection.vendor == "sqlite")
    if pairs is not None:
        ids = {c.pk: name for name, c in scene.items()}
        window_keys = {
            (ids[customer], key) for customer, key in pairs.pairs if customer in ids
        }
        assert window_keys == {
            (name, key)
            for name, keys in EXPECTED.items()
            for key in keys
            if key.split(":")[0] in {"channel", "category", "habit", "scenario"}
        }
        assert (pairs.channels, pairs.categories) == (
            ["online", "store"],
            ["红茶", "绿茶"],
        )
    automatic_tags_refresh(as_of=AS_OF)
    assert {name: _keys(c) for name, c in scene.items()} == EXPECTED


def test_tags_have_chinese_and_english_names(scene: dict[str, Any]) -> None:
    automatic_tags_refresh(as_of=AS_OF)
    tag = Tag.objects.get(key="habit:weekend")
    assert (tag.name, tag.name_en, tag.kind) == (
        "购物习惯·周末购物",
        "Habit: weekend shopper",
        "automatic",
    )
    assert tag.label("zh-hans") == "购物习惯·周末购物"
    assert tag.label("en") == "Habit: weekend shopper"
    assert Tag.objects.get(key="channel:online").name == "购买渠道·线上商城"
    assert Tag.objects.get(key="category:红茶").name_en == "Prefers: 红茶"
    assert Tag.objects.get(key="rfm:champions").name == "RFM·冠军客户"
    # Kept counts: the tag list needs no count over the links.
    assert Tag.objects.get(key="category:绿茶").customer_count == 2
    assert Tag.objects.get(name="老客户").customer_count == 1


def test_a_second_run_of_the_same_date_changes_nothing(scene: dict[str, Any]) -> None:
    automatic_tags_refresh(as_of=AS_OF)
    before = set(CustomerTag.objects.values_list("customer_id", "tag_id", "added_at"))
    again = automatic_tags_refresh(as_of=AS_OF)
    assert (again.added, again.removed) == (0, 0)
    assert {name: _keys(c) for name, c in scene.items()} == EXPECTED
    # Not deleted and written again: the links are the same rows, same times.
    after = set(CustomerTag.objects.values_list("customer_id", "tag_id", "added_at"))
    assert after == before


def test_a_later_run_replaces_the_automatic_tags_and_keeps_manual_ones(
    scene: dict[str, Any],
) -> None:
    automatic_tags_refresh(as_of=AS_OF)
    f.run(LATER)
    a, e = scene["a"], scene["e"]
    f.snapshot(
        a,
        LATER,
        stage="growing",
        quadrant="star",
        emotion="fan",
        orders=3,
        total_spend=3000.0,
    )
    f.snapshot(e, LATER, stage="at_risk", orders=1, total_spend=50.0)
    coverage = automatic_tags_refresh(as_of=LATER)
    # July: A's birthday month is over; the June orders are still in the window.
    assert _keys(a) == {
        "stage:growing",
        "quadrant:star",
        "emotion:fan",
        "value:vip",
        "needs:loyalty",
        "contact:wecom",
        "channel:store",
        "category:绿茶",
        "habit:weekend",
        "scenario:business",
    }
    assert _keys(e) == {"stage:at_risk", "quadrant:basic", "emotion:ordinary"}
    assert _manual(e) == {"老客户"}
    # B, C, D and G have no snapshot of July: only their profile tags stay.
    assert _keys(scene["b"]) == {
        "channel:online",
        "category:红茶",
        "category:绿茶",
        "scenario:home",
    }
    assert _keys(scene["c"]) == set()
    assert _keys(scene["g"]) == set()
    assert coverage.removed > 0
    assert Tag.objects.get(key="stage:new").customer_count == 0


def test_the_thresholds_are_the_rules_settings(scene: dict[str, Any]) -> None:
    TagRules.objects.create(pk=1, weekend_min_percent=100.0, category_min_percent=50)
    automatic_tags_refresh(as_of=AS_OF)
    assert "habit:weekend" in _keys(scene["a"])
    assert {k for k in _keys(scene["b"]) if k.startswith("category:")} == {
        "category:红茶"
    }
    TagRules.objects.filter(pk=1).update(weekend_min_days=4, churn_risk_high=0.9)
    automatic_tags_refresh(as_of=AS_OF)
    assert "habit:weekend" not in _keys(scene["a"])
    assert "risk:churn_high" not in _keys(scene["b"])


def test_coverage_counts_active_customers_with_enough_tags(
    scene: dict[str, Any],
) -> None:
    TagRules.objects.create(pk=1, coverage_min_tags=12, coverage_target_percent=50)
    automatic_tags_refresh(as_of=AS_OF)
    coverage = TagCoverage.objects.get(as_of=AS_OF)
    # Active: a purchase within 365 days (A and B; E's was 400 days ago).
    # A has 13 tags, B 11.
    assert (coverage.active_customers, coverage.covered_customers) == (2, 1)
    assert coverage.percent == 50.0
    assert coverage.on_target
    assert (coverage.min_tags, coverage.target_percent) == (12, 50.0)


def test_the_receiver_leaves_tags_alone_for_a_run_of_an_earlier_date(
    scene: dict[str, Any],
) -> None:
    later = f.run(LATER)
    earlier = f.run(dt.date(2026, 5, 31))
    tags_after_run(sender=None, run=earlier, progress=None)
    assert not CustomerTag.objects.filter(tag__key__isnull=False).exists()
    assert not TagCoverage.objects.exists()
    steps: list[tuple[str, float]] = []
    tags_after_run(sender=None, run=later, progress=lambda s, x: steps.append((s, x)))
    assert TagCoverage.objects.filter(as_of=LATER).exists()
    assert steps[-1] == ("tags", 1.0)


def test_a_manual_tag_with_an_automatic_tags_name_keeps_it(db: Any) -> None:
    f.run(AS_OF)
    someone = f.customer()
    f.snapshot(someone, AS_OF, stage="new")
    customer_tags_bulk_add(links=[(someone.pk, "生命周期·新客户")])
    automatic_tags_refresh(as_of=AS_OF)
    assert _manual(someone) == {"生命周期·新客户"}
    assert Tag.objects.get(key="stage:new").name == "生命周期·新客户 (自动)"
    assert "stage:new" in _keys(someone)
