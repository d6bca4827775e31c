"""The customer 360 page's scores: the explanation, the next action and why,
the stage history and the timeline's stage and score changes, both languages;
before the first run, the page says when scores appear."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import json
import re
from typing import Any

from django.urls import reverse
from tests.access import World

from guanxi.insights.models import PlaybookAction
from guanxi.insights.tests.factories import make_run, make_snapshot, make_stage_change

AS_OF = dt.date(2026, 11, 30)
BEFORE = dt.date(2026, 10, 31)


def page(client: Any, customer: Any, **params: Any) -> str:
    url = reverse("customers:customer-detail", args=[customer.pk])
    response = client.get(url, params)
    assert response.status_code == 200
    return htmllib.unescape(response.content.decode())


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert found is not None, element_id
    return " ".join(found.group(1).split())


def score(world: World, **values: Any) -> None:
    make_run(BEFORE)
    make_run(AS_OF)
    make_snapshot(world.own_customer, BEFORE, stage="mature", quadrant="star",
                  emotion="fan", churn_risk=0.1)  # fmt: skip
    make_snapshot(
        world.own_customer,
        AS_OF,
        **{
            "stage": "at_risk",
            "quadrant": "star",
            "emotion": "drifting",
            "days_since_last_purchase": 45,
            "mean_gap_days": 12.0,
            "p_alive": 0.31,
            "churn_risk": 0.62,
            "churn_reasons": [
                {"feature": "days_since_last_purchase", "value": 45, "effect": 0.3},
                {"feature": "complaints_90d", "value": 2, "effect": 0.1},
            ],
            "emotion_reasons": [{"signal": "complaint", "count": 2, "points": -8}],
            **values,
        },
    )
    make_stage_change(world.own_customer, BEFORE, "mature", "growing")
    make_stage_change(world.own_customer, AS_OF, "at_risk", "mature")


def test_before_the_first_run_the_page_says_when_scores_appear(
    client_for: Any, world: World
) -> None:
    manager = page(client_for("account_manager"), world.own_customer)
    assert (
        text_of(manager, "scores-pending")
        == "Scores appear after the first scoring run."
    )
    assert "Recommended next action" not in manager
    assert "Start a scoring run" not in manager  # only for those who may start runs
    chinese = page(client_for("account_manager", "zh-hans"), world.own_customer)
    assert text_of(chinese, "scores-pending") == "首次评分运行后这里会显示评分。"
    admin = page(client_for("admin"), world.own_customer)
    assert (
        '<a class="button secondary" href="/insights/runs/">Start a scoring run</a>'
        in admin
    )


def test_a_customer_added_after_the_last_run_waits_for_the_next(
    client_for: Any, world: World
) -> None:
    make_run(AS_OF)
    html = page(client_for("admin"), world.own_customer)
    assert text_of(html, "scores-pending") == (
        "This customer has no scores yet: they appear after the next scoring run."
    )


def test_scores_explained_with_the_next_action_and_why(
    client_for: Any, world: World
) -> None:
    score(world)
    html = page(client_for("account_manager"), world.own_customer)
    assert text_of(html, "score-explanation") == (
        "At risk: no purchase for 45 days, usually buys every 12 days; P(alive) 0.31"
    )
    action = re.search(r'id="next-action">(.*?)</section>', html, re.S)
    assert action is not None
    block = " ".join(re.sub(r"<[^>]+>", " ", action.group(1)).split())
    assert "Empathy call, with an offer matched to the reason" in block
    assert "“Hello, we haven't seen you shopping with us lately" in block
    assert "Main reason to address: No purchase for 45 days." in block
    assert (
        "Chosen by the rule for stage “At risk” (any quadrant). It comes before the "
        "rule for quadrant “Star” (any stage) by priority (90 against 50)."
    ) in block
    assert "Phone call" in block
    assert "Edit the playbook" not in block  # account managers do not edit it
    assert "2 complaints in the last 90 days" in html
    assert "2 complaints (−8 points)" in html
    assert text_of(html, "metric-risk") == "62%"


def test_the_same_page_in_chinese(client_for: Any, world: World) -> None:
    score(world)
    html = page(client_for("account_manager", "zh-hans"), world.own_customer)
    assert text_of(html, "score-explanation") == (
        "流失风险：45 天未购买，通常每 12 天购买一次；存活概率 0.31"
    )
    assert "共情式关怀电话，按流失原因给出挽回权益" in html
    assert "您好，最近没看到您来购物，是产品哪里不满意吗？" in html
    assert "首要应对的原因：45 天未购买。" in html
    assert (
        "依据“流失风险”阶段的规则（不限象限）选出。按优先级排在“明星客户”象限的规则"
        "（不限阶段）之前（90 对 50）。"
    ) in html
    assert "进入“流失风险”阶段（此前：成熟期）" in html


def test_stage_history_and_timeline_tell_changes(client_for: Any, world: World) -> None:
    score(world)
    html = page(client_for("admin"), world.own_customer)
    history = re.search(r'id="stage-history">(.*?)</section>', html, re.S)
    assert history is not None
    lines = re.findall(
        r'<span class="when">([^<]+)</span> <span class="badge[^"]*">([^<]+)<',
        history.group(1),
    )
    assert lines == [
        ("2026-11-30", "Became at risk (was mature)"),
        ("2026-10-31", "Became mature (was growing)"),
    ]
    timeline = re.search(r'id="timeline">(.*?)</ul>', html, re.S)
    assert timeline is not None
    items = [
        " ".join(re.sub(r"<[^>]+>", " ", li).split())
        for li in re.findall(r"<li[^>]*>(.*?)</li>", timeline.group(1), re.S)
    ]
    # Runs sort after that day's orders; the world's order and visit are older.
    assert items[:4] == [
        "2026-11-30 Became at risk (was mature)",
        "2026-11-30 Emotion layer: Drifting (was Fan)",
        "2026-11-30 Churn risk rose from 10% to 62%",
        "2026-10-31 Became mature (was growing)",
    ]
    assert "A-1001" in items[4]
    chart = json.loads(
        re.search(
            r'id="score-chart-data" type="application/json">(.*?)</script>', html
        ).group(1)  # type: ignore[union-attr]
    )
    assert chart["dates"] == ["2026-10-31", "2026-11-30"]
    assert chart["risk"] == [0.1, 0.62]
    assert "/static/customers/scores.js" in html


def test_admins_see_where_to_edit_the_playbook(client_for: Any, world: World) -> None:
    score(world, stage="growing", quadrant="potential")
    html = page(client_for("admin"), world.own_customer)
    assert '<a href="/insights/playbook/">Edit the playbook</a>' in html
    assert "Product trial and member benefits" in html
    assert "Chosen by the rule for quadrant “Potential” (any stage)." in html


def test_an_empty_playbook_is_said_not_fatal(client_for: Any, world: World) -> None:
    score(world)
    PlaybookAction.objects.all().delete()
    html = page(client_for("service"), world.own_customer)
    assert "The playbook has no action for this customer&#x27;s" not in html
    assert "The playbook has no action for this customer's stage and quadrant." in html


def test_the_foreign_customer_stays_unknown_with_scores(
    client_for: Any, world: World
) -> None:
    score(world)
    make_snapshot(world.foreign_customer, AS_OF, stage="at_risk")
    url = reverse("customers:customer-detail", args=[world.foreign_customer.pk])
    assert client_for("account_manager").get(url).status_code == 404
