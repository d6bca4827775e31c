"""The scores in words: the explanation of each stage, the churn and emotion
reasons, the timeline's score changes — exact strings in both languages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from guanxi.insights.models import ScoreSnapshot, StageChange
from guanxi.insights.presenters import (
    score_card,
    score_explanation,
    score_timeline_events,
    stage_change_text,
)

AS_OF = dt.date(2026, 11, 30)


def snapshot(**values: object) -> ScoreSnapshot:
    """An unsaved snapshot (the presenters read attributes only)."""
    fields: dict[str, object] = {
        "customer_id": 1,
        "as_of": AS_OF,
        "orders": 4,
        "total_spend": 1200.0,
        "first_purchase": AS_OF - dt.timedelta(days=90),
        "days_since_last_purchase": 10,
        "mean_gap_days": 20.0,
        "quadrant": "basic",
        "stage": "growing",
        "emotion": "ordinary",
        "p_alive": 0.8,
        "churn_risk": 0.2,
        "current_value": 800.0,
        "potential_value": 950.0,
    }
    fields.update(values)
    return ScoreSnapshot(**fields)


def both(snap: ScoreSnapshot) -> tuple[str, str]:
    with translation.override("en"):
        english = score_explanation(snap)
    with translation.override("zh-hans"):
        chinese = score_explanation(snap)
    return english, chinese


def test_at_risk_says_how_long_against_the_usual_rhythm() -> None:
    snap = snapshot(
        stage="at_risk", days_since_last_purchase=45, mean_gap_days=12.2, p_alive=0.31
    )
    assert both(snap) == (
        "At risk: no purchase for 45 days, usually buys every 12 days; P(alive) 0.31",
        "流失风险：45 天未购买，通常每 12 天购买一次；存活概率 0.31",
    )


def test_an_at_risk_one_time_buyer_has_no_rhythm() -> None:
    snap = snapshot(
        stage="at_risk",
        orders=1,
        days_since_last_purchase=70,
        mean_gap_days=None,
        p_alive=0.4,
    )
    assert both(snap) == (
        "At risk: no purchase for 70 days, bought once; P(alive) 0.40",
        "流失风险：70 天未购买，仅购买过一次；存活概率 0.40",
    )


def test_several_orders_on_one_day_have_no_rhythm_either() -> None:
    snap = snapshot(
        stage="at_risk",
        orders=4,
        days_since_last_purchase=62,
        mean_gap_days=None,
        p_alive=1.0,
    )
    assert both(snap) == (
        "At risk: no purchase for 62 days, bought on one day only; P(alive) 1.00",
        "流失风险：62 天未购买，仅在一天内购买过；存活概率 1.00",
    )


def test_lapsed_speaks_of_the_past() -> None:
    snap = snapshot(
        stage="lapsed", days_since_last_purchase=200, mean_gap_days=30, p_alive=0.05
    )
    assert both(snap) == (
        "Lapsed: no purchase for 200 days, usually bought every 30 days; P(alive) 0.05",
        "已流失：200 天未购买，过去通常每 30 天购买一次；存活概率 0.05",
    )


def test_new_counts_from_the_first_purchase() -> None:
    snap = snapshot(
        stage="new",
        orders=1,
        total_spend=299.0,
        first_purchase=AS_OF - dt.timedelta(days=5),
        days_since_last_purchase=5,
        mean_gap_days=None,
    )
    assert both(snap) == (
        "New: first purchase 5 days ago, 1 order, ¥299 in all",
        "新客户：5 天前首次购买，共 1 笔订单，消费 ¥299",
    )
    today = snapshot(stage="new", orders=1, first_purchase=AS_OF, total_spend=88)
    assert both(today)[0] == "New: first purchase today, 1 order, ¥88 in all"


def test_growing_and_mature() -> None:
    growing = snapshot(stage="growing")
    assert both(growing) == (
        "Growing: 4 orders, ¥1,200 in all; usually buys every 20 days, "
        "last purchase 10 days ago",
        "成长期：共 4 笔订单，消费 ¥1,200；通常每 20 天购买一次，最近一次购买在 10 天前",
    )
    mature = snapshot(
        stage="mature",
        orders=25,
        total_spend=9800.4,
        first_purchase=AS_OF - dt.timedelta(days=400),
        days_since_last_purchase=1,
        mean_gap_days=16.0,
    )
    assert both(mature) == (
        "Mature: customer for 400 days, 25 orders, ¥9,800 in all; usually buys "
        "every 16 days, last purchase 1 day ago",
        "成熟期：成为客户 400 天，共 25 笔订单，消费 ¥9,800；通常每 16 天购买一次，"
        "最近一次购买在 1 天前",
    )


def test_prospect() -> None:
    snap = snapshot(
        stage="prospect",
        orders=0,
        total_spend=0,
        first_purchase=None,
        days_since_last_purchase=None,
        mean_gap_days=None,
    )
    assert both(snap) == ("Prospect: no purchase yet", "潜在客户：尚未购买")


REASONS = [
    {"feature": "spend_trend_90d", "value": -350.0, "effect": -0.02},
    {"feature": "orders_90d", "value": 0, "effect": 0.08},
    {"feature": "days_since_last_purchase", "value": 45, "effect": 0.21},
    {"feature": "weird_new_feature", "value": 1.5, "effect": 0.01},
    {"feature": "btyd_p_alive", "value": 0.31, "effect": 0.12},
]


def test_churn_reasons_are_phrases_biggest_push_first() -> None:
    snap = snapshot(stage="at_risk", churn_reasons=REASONS)
    with translation.override("en"):
        english = score_card(snap)["churn_reasons"]
    with translation.override("zh-hans"):
        chinese = score_card(snap)["churn_reasons"]
    assert [(r["text"], r["effect"]) for r in english] == [
        ("No purchase for 45 days", "+21 points"),
        ("P(alive) 0.31", "+12 points"),
        ("0 orders in the last 90 days", "+8 points"),
    ]
    assert [r["text"] for r in chinese] == [
        "45 天未购买",
        "存活概率 0.31",
        "近 90 天 0 笔订单",
    ]
    assert all(r["raises"] for r in english)


@pytest.mark.parametrize(
    ("feature", "value", "english", "chinese"),
    [
        ("weird_new_feature", 1.5, "Other factor: weird_new_feature = 1.5", "其他因素：weird_new_feature = 1.5"),
        ("spend_trend_90d", -350, "Spend in the last 90 days against the 90 before: −¥350", "近 90 天消费比前 90 天：−¥350"),
        ("overdue_ratio", 3.75, "3.8× their usual time between purchases", "已是平时购买间隔的 3.8 倍"),
        ("complaints_30d", 1, "1 complaint in the last 30 days", "近 30 天投诉 1 次"),
        ("spend_365d", 12345.6, "Spent ¥12,346 in the last 365 days", "近 365 天消费 ¥12,346"),
        ("days_since_last_contact", 1, "No contact for 1 day", "1 天未联系"),
        ("btyd_no_purchase", 0.625, "62% chance of no purchase in the horizon", "预测期内不再购买的概率 62%"),
    ],
)  # fmt: skip
def test_each_kind_of_feature_reads_well(
    feature: str, value: float, english: str, chinese: str
) -> None:
    snap = snapshot(churn_reasons=[{"feature": feature, "value": value, "effect": 0.1}])
    with translation.override("en"):
        assert score_card(snap)["churn_reasons"][0]["text"] == english
    with translation.override("zh-hans"):
        assert score_card(snap)["churn_reasons"][0]["text"] == chinese


def test_lowering_reasons_are_shown_when_nothing_raises_the_risk() -> None:
    snap = snapshot(
        churn_reasons=[
            {"feature": "orders_30d", "value": 3, "effect": -0.15},
            {"feature": "days_since_last_purchase", "value": 2, "effect": -0.2},
        ]
    )
    with translation.override("en"):
        reasons = score_card(snap)["churn_reasons"]
    assert [(r["text"], r["raises"], r["effect"]) for r in reasons] == [
        ("No purchase for 2 days", False, "-20 points"),
        ("3 orders in the last 30 days", False, "-15 points"),
    ]


def test_malformed_reasons_are_skipped_not_fatal() -> None:
    snap = snapshot(
        churn_reasons=["x", {"value": 1}, {"feature": "orders", "value": "n/a"}],
        emotion_reasons=[None, {"signal": "visit", "count": "?", "points": None}],
    )
    with translation.override("en"):
        card = score_card(snap)
    assert [r["text"] for r in card["churn_reasons"]] == ["0 orders in all"]
    assert [r["text"] for r in card["emotion_reasons"]] == ["0 store visits (0 points)"]


def test_emotion_reasons_heaviest_first() -> None:
    snap = snapshot(
        emotion="drifting",
        emotion_reasons=[
            {"signal": "visit", "count": 3, "points": 6},
            {"signal": "complaint", "count": 2, "points": -8},
            {"signal": "message_opened", "count": 1, "points": 0.5},
            {"signal": "carrier_pigeon", "count": 2, "points": 1},
            {"signal": "review", "count": 0, "points": 0},  # not a reason
        ],
    )
    with translation.override("en"):
        english = [r["text"] for r in score_card(snap)["emotion_reasons"]]
    with translation.override("zh-hans"):
        chinese = [r["text"] for r in score_card(snap)["emotion_reasons"]]
    assert english == [
        "2 complaints (−8 points)",
        "3 store visits (+6 points)",
        "carrier_pigeon × 2 (+1 points)",
        "1 message opened (+0.5 points)",
    ]
    assert chinese == [
        "投诉 2 次（−8 分）",
        "到店 3 次（+6 分）",
        "carrier_pigeon × 2（+1 分）",
        "打开消息 1 次（+0.5 分）",
    ]


def test_quadrant_meaning_and_labels() -> None:
    snap = snapshot(
        quadrant="cash_cow", rfm_segment="champions", r_score=5, f_score=4, m_score=5
    )
    with translation.override("en"):
        card = score_card(snap)
        assert card["quadrant"] == "Cash cow"
        assert card["quadrant_meaning"] == (
            "High current value, low potential value: find new needs to raise "
            "their potential."
        )
        assert card["rfm"] == {"r": 5, "f": 4, "m": 5, "segment": "Champions"}
        assert card["potential_value"] == "¥950"
        assert card["churn_risk"] == "20%"
    with translation.override("zh-hans"):
        card = score_card(snap)
        assert card["quadrant"] == "金牛客户"
        assert (
            card["quadrant_meaning"]
            == "当前价值高、潜在价值低：挖掘潜在需求，提升潜在价值。"
        )
        assert card["rfm"]["segment"] == "冠军客户"


def test_chart_needs_two_runs_and_runs_oldest_first() -> None:
    one = snapshot(as_of=AS_OF)
    assert score_card(one, history=[one])["chart"] is None
    older = snapshot(
        as_of=AS_OF - dt.timedelta(days=30), potential_value=500.0, churn_risk=None
    )
    chart = score_card(one, history=[one, older])["chart"]
    assert chart["dates"] == ["2026-10-31", "2026-11-30"]
    assert chart["potential"] == [500.0, 950.0]
    assert chart["risk"] == [None, 0.2]


def test_score_changes_worth_telling() -> None:
    newest = snapshot(as_of=AS_OF, quadrant="star", emotion="fan", churn_risk=0.1)
    middle = snapshot(
        as_of=AS_OF - dt.timedelta(days=30),
        quadrant="potential",
        emotion="fan",
        churn_risk=0.45,
    )
    oldest = snapshot(
        as_of=AS_OF - dt.timedelta(days=60),
        quadrant="potential",
        emotion="ordinary",
        churn_risk=0.3,
    )
    with translation.override("en"):
        events = score_timeline_events([newest, middle, oldest])
    assert events == [
        (AS_OF, "Value quadrant: Star (was Potential)"),
        (AS_OF, "Churn risk fell from 45% to 10%"),
        (AS_OF - dt.timedelta(days=30), "Emotion layer: Fan (was Ordinary)"),
    ]
    with translation.override("zh-hans"):
        events = score_timeline_events([newest, middle])
    assert events == [
        (AS_OF, "价值象限：明星客户（此前：潜力客户）"),
        (AS_OF, "流失风险由 45% 降至 10%"),
    ]


def test_stage_change_text() -> None:
    change = StageChange(
        customer_id=1, as_of=AS_OF, from_stage="growing", to_stage="mature"
    )
    first = StageChange(customer_id=1, as_of=AS_OF, from_stage="", to_stage="new")
    with translation.override("en"):
        assert stage_change_text(change) == "Became mature (was growing)"
        assert stage_change_text(first) == "Stage: New"
    with translation.override("zh-hans"):
        assert stage_change_text(change) == "进入“成熟期”阶段（此前：成长期）"
        assert stage_change_text(first) == "阶段：新客户"


def test_reasons_that_hardly_move_the_risk_are_not_told() -> None:
    """As the model gives them: its top three, whatever their size."""
    snap = snapshot(
        stage="lapsed",
        churn_reasons=[
            {"feature": "btyd_no_purchase", "value": 0.9956, "effect": 0.1067},
            {"feature": "btyd_p_alive", "value": 0.0044, "effect": 0.0028},
            {"feature": "overdue_ratio", "value": 11.0677, "effect": 0.0005},
        ],
    )
    with translation.override("en"):
        reasons = score_card(snap)["churn_reasons"]
    assert [(r["text"], r["effect"]) for r in reasons] == [
        ("100% chance of no purchase in the horizon", "+11 points")
    ]
    tiny = snapshot(
        churn_reasons=[
            {"feature": "overdue_ratio", "value": 1.2, "effect": 0.0004},
            {"feature": "btyd_p_alive", "value": 0.9, "effect": 0.0002},
        ]
    )
    with translation.override("en"):
        reasons = score_card(tiny)["churn_reasons"]
    assert [r["text"] for r in reasons] == ["1.2× their usual time between purchases"]
