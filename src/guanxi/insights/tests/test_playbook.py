"""The playbook's lookup: the seed defaults give every stage × quadrant its
action in both languages, the most specific rule wins, priority decides
between a stage rule and a quadrant rule, and the reason says so."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from guanxi.insights.choices import Quadrant, Stage
from guanxi.insights.models import PlaybookAction, ScoreSnapshot
from guanxi.insights.presenters import next_action_card
from guanxi.insights.selectors import playbook_choice_for

pytestmark = pytest.mark.django_db

STAR = "One-to-one adviser and exclusive events"
CASH_COW = "Needs survey and cross-sell"
POTENTIAL = "Product trial and member benefits"
BASIC = "Self-service and standard messages"
BY_QUADRANT = {
    "star": STAR,
    "cash_cow": CASH_COW,
    "potential": POTENTIAL,
    "basic": BASIC,
}
BY_STAGE = {
    "prospect": "Welcome gift and first-order offer",
    "new": "24-hour check-in, not a sales call",
    "at_risk": "Empathy call, with an offer matched to the reason",
    "lapsed": "30-day win-back plan",
}


def expected_title(stage: str, quadrant: str) -> str:
    if stage == "mature" and quadrant == "star":
        return "Brand ambassador: co-creation and referrals"
    return BY_STAGE.get(stage) or BY_QUADRANT[quadrant]


def card(
    stage: str, quadrant: str, language: str = "en", **values: Any
) -> dict[str, Any]:
    snapshot = ScoreSnapshot(
        customer_id=1,
        as_of=dt.date(2026, 11, 30),
        stage=stage,
        quadrant=quadrant,
        **values,
    )
    choice = playbook_choice_for(stage=stage, quadrant=quadrant)
    assert choice is not None
    with translation.override(language):
        return next_action_card(choice, snapshot=snapshot)


@pytest.mark.parametrize("stage", Stage.values)
@pytest.mark.parametrize("quadrant", Quadrant.values)
def test_every_stage_and_quadrant_gets_the_seed_action(
    stage: str, quadrant: str
) -> None:
    assert card(stage, quadrant)["title"] == expected_title(stage, quadrant)


def test_the_seed_scripts_in_chinese() -> None:
    new = card("new", "basic", "zh-hans")
    assert new["title"] == "24 小时内非推销式回访"
    assert (
        "“您好，看到您昨天购买了[产品]，想了解一下使用过程中有什么需要帮助的吗？”"
        in new["text"]
    )
    assert new["channel"] == "电话"
    at_risk = card("at_risk", "potential", "zh-hans")
    assert (
        "“您好，最近没看到您来购物，是产品哪里不满意吗？我们想听听您的意见。”"
        in at_risk["text"]
    )
    assert card("growing", "star", "zh-hans")["title"] == "一对一顾问服务与专属活动"
    assert card("mature", "cash_cow", "zh-hans")["title"] == "需求调研与交叉推荐"
    assert card("growing", "potential", "zh-hans")["title"] == "新品试用与会员权益升级"
    assert card("growing", "basic", "zh-hans")["title"] == "自助服务与标准化触达"
    assert card("lapsed", "basic", "zh-hans")["title"] == "30 天挽回计划"


def test_the_reason_names_the_rule_and_what_it_beat() -> None:
    assert card("growing", "cash_cow")["why"] == (
        "Chosen by the rule for quadrant “Cash cow” (any stage)."
    )
    assert card("mature", "star")["why"] == (
        "Chosen by the rule for stage “Mature” and quadrant “Star”."
    )
    assert card("new", "star")["why"] == (
        "Chosen by the rule for stage “New” (any quadrant). It comes before the "
        "rule for quadrant “Star” (any stage) by priority (70 against 50)."
    )
    assert card("new", "star", "zh-hans")["why"] == (
        "依据“新客户”阶段的规则（不限象限）选出。按优先级排在“明星客户”象限的规则（不限阶段）之前（70 对 50）。"
    )


def test_at_risk_names_the_reason_to_address() -> None:
    reasons = [
        {"feature": "complaints_90d", "value": 4, "effect": 0.3},
        {"feature": "days_since_last_purchase", "value": 40, "effect": 0.1},
    ]
    assert card("at_risk", "star", churn_reasons=reasons)["matched"] == (
        "Main reason to address: 4 complaints in the last 90 days."
    )
    assert card("at_risk", "star", "zh-hans", churn_reasons=reasons)["matched"] == (
        "首要应对的原因：近 90 天投诉 4 次。"
    )
    assert card("growing", "star", churn_reasons=reasons)["matched"] == ""


def test_a_higher_priority_quadrant_rule_wins_over_a_stage_rule() -> None:
    PlaybookAction.objects.filter(stage="", quadrant="star").update(priority=95)
    assert card("at_risk", "star")["title"] == STAR
    assert card("at_risk", "star")["why"] == (
        "Chosen by the rule for quadrant “Star” (any stage). It comes before the "
        "rule for stage “At risk” (any quadrant) by priority (95 against 90)."
    )
    # Equal priority: the stage rule, the more urgent fact.
    PlaybookAction.objects.filter(stage="", quadrant="star").update(priority=90)
    assert card("at_risk", "star")["title"] == BY_STAGE["at_risk"]


def test_removing_rules_falls_back_to_less_specific_ones() -> None:
    PlaybookAction.objects.filter(stage="mature", quadrant="star").delete()
    assert card("mature", "star")["title"] == STAR
    PlaybookAction.objects.filter(stage="", quadrant="star").delete()
    assert card("mature", "star")["title"] == "Keep in touch"
    assert card("mature", "star")["why"] == (
        "Chosen by the general rule (any stage, any quadrant)."
    )
    PlaybookAction.objects.filter(stage="", quadrant="").delete()
    assert playbook_choice_for(stage="mature", quadrant="star") is None


def test_the_lookup_reads_one_query(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        playbook_choice_for(stage="at_risk", quadrant="star")
