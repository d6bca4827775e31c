"""The rules of a scoring run on hand-made customers, one rule at a time."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from guanxi.insights.models import InsightSettings
from guanxi.insights.scoring import (
    _reasons,
    emotion_of,
    quadrant_of,
    stage_of,
    value_columns,
)

SETTINGS = InsightSettings(pk=1)


def _stage_frame(rows: list[dict[str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column, default in (("p_alive", 0.9), ("mean_gap_days", np.nan)):
        if column not in frame:
            frame[column] = default
    return frame


def test_each_stage_rule_in_its_order() -> None:
    frame = _stage_frame(
        [
            # no purchase → prospect, whatever else
            {"orders": 0, "days_since_last_purchase": np.nan, "customer_days": np.nan},
            # first purchase 10 days ago → new (even with a low P(alive))
            {
                "orders": 1,
                "days_since_last_purchase": 10,
                "customer_days": 10,
                "p_alive": 0.1,
            },
            # repeat buyer, 200 days silent, usual gap 30 → lapsed
            {
                "orders": 5,
                "days_since_last_purchase": 200,
                "customer_days": 900,
                "mean_gap_days": 30,
            },
            # repeat buyer, 210 days silent, usual gap 100: past 2 × gap, not 4 × → at risk
            {
                "orders": 5,
                "days_since_last_purchase": 210,
                "customer_days": 900,
                "mean_gap_days": 100,
            },
            # one-time buyer silent for 61 days → at risk
            {"orders": 1, "days_since_last_purchase": 61, "customer_days": 61},
            # P(alive) below 0.5 → at risk
            {
                "orders": 4,
                "days_since_last_purchase": 20,
                "customer_days": 400,
                "mean_gap_days": 30,
                "p_alive": 0.4,
            },
            # a customer for 400 days, on rhythm → mature
            {
                "orders": 9,
                "days_since_last_purchase": 20,
                "customer_days": 400,
                "mean_gap_days": 30,
            },
            # a customer for 90 days, on rhythm → growing
            {
                "orders": 3,
                "days_since_last_purchase": 20,
                "customer_days": 90,
                "mean_gap_days": 30,
            },
        ]
    )
    assert stage_of(frame, SETTINGS).tolist() == [
        "prospect",
        "new",
        "lapsed",
        "at_risk",
        "at_risk",
        "at_risk",
        "mature",
        "growing",
    ]


def test_the_quadrant_of_each_combination() -> None:
    cv = pd.Series([True, True, False, False])
    pv = pd.Series([True, False, True, False])
    assert quadrant_of(cv, pv).tolist() == ["star", "cash_cow", "potential", "basic"]


def test_high_current_value_is_the_top_fifth_by_value_score() -> None:
    n = 10
    purchases = pd.DataFrame(
        {
            "spend_180d": [float(i * 100) for i in range(n)],
            "purchase_days_180d": list(range(n)),
            "frequency": list(range(n)),
            "purchase_days": [i + 1 for i in range(n)],
        }
    )
    values = value_columns(purchases, SETTINGS, 180)
    assert values["cv_high"].tolist() == [False] * 8 + [True, True]
    assert values["value_score"].iloc[-1] == 90.0  # better than 9 of 10 on each measure
    by_amount = InsightSettings(pk=1, cut_method="amount", cv_cut_amount=500)
    assert (
        value_columns(purchases, by_amount, 180)["cv_high"].tolist()
        == [False] * 5 + [True] * 5
    )


def test_emotion_layers_and_their_reasons() -> None:
    kinds = [
        "visit",
        "login",
        "message_opened",
        "message_clicked",
        "community_post",
        "event_attended",
        "review",
        "complaint",
    ]
    counts = (
        pd.DataFrame(
            [
                {"visit": 2, "event_attended": 2},  # 4 + 8 = 12 points: fan
                {"visit": 1},  # 2 points: ordinary
                {
                    "visit": 5,
                    "complaint": 2,
                },  # 10 - 8 = 2 points, 2 complaints: drifting
                {},  # no signal, a buyer with no purchase in the window: drifting
                {},  # no signal, never bought: ordinary
            ]
        )
        .reindex(columns=kinds)
        .fillna(0)
        .astype("int64")
    )
    purchase_days = pd.Series([0, 0, 0, 0, 0])
    bought = pd.Series([True, True, True, True, False])
    layers, reasons = emotion_of(counts, purchase_days, bought, SETTINGS)
    assert layers.tolist() == ["fan", "ordinary", "drifting", "drifting", "ordinary"]
    assert json.loads(reasons[0]) == [
        {"signal": "event_attended", "count": 2, "points": 8.0},
        {"signal": "visit", "count": 2, "points": 4.0},
    ]
    assert json.loads(reasons[2]) == [
        {"signal": "visit", "count": 5, "points": 10.0},
        {"signal": "complaint", "count": 2, "points": -8.0},
    ]
    assert json.loads(reasons[3]) == []


def test_churn_reasons_text_is_what_json_writes() -> None:
    """The reasons are formatted directly (every risky customer has them); the
    text is the one ``json.dumps`` gave before, missing values as null."""
    contributions = pd.DataFrame(
        {
            "T": [0.2, -0.1, 0.0],
            "frequency": [0.05, -0.2, 1 / 3],
            "orders_90d": [0.3, 0.0, 0.0],
        }
    )
    features = pd.DataFrame(
        {
            "T": [12.5, 3.0, 7.0],
            "frequency": [np.nan, 1.0, 2 / 3],
            "orders_90d": [1e-5, 0.0, -0.0],
        }
    )
    texts = _reasons(contributions, features)
    assert [json.loads(t) for t in texts] == [
        [
            {"feature": "orders_90d", "value": 0.0, "effect": 0.3},
            {"feature": "T", "value": 12.5, "effect": 0.2},
            {"feature": "frequency", "value": None, "effect": 0.05},
        ],
        [],
        [{"feature": "frequency", "value": 0.6667, "effect": 0.3333}],
    ]
    assert texts[2] == json.dumps(
        [{"feature": "frequency", "value": round(2 / 3, 4), "effect": round(1 / 3, 4)}]
    )
    assert texts[1] == "[]"
