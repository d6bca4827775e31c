"""The churn reasons' numbers: rounded as Python's round, written as json.dumps."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from guanxi.insights.reasons_text import churn_reasons_text, rounded_json


def test_numbers_are_rounded_and_written_as_round_and_json_dumps() -> None:
    rng = np.random.default_rng(5)
    # Halves in decimal that are not halves in binary, halves that are
    # (1/32 * 1e4 = 312.5), signs, zeros, the very small and very large,
    # and numbers whose product by 1e4 cannot keep a fraction.
    tricky = [
        0.00005,
        0.00015,
        1.00005,
        2.67525,
        0.03125,
        -0.03125,
        0.0,
        -0.0,
        -0.00004,
        1e-5,
        5e-5 + 1e-20,
        123456.78905,
        4.5e11 + 0.5,
        9.1e11 + 2.0**-13,
        2.0**60,
        -(2.0**53) - 0.5,
        1 / 3,
        2 / 3,
        float("inf"),
        float("-inf"),
    ]
    halves = (np.arange(-20000, 20000) + 0.5) / 1e4
    values = np.concatenate(
        [
            tricky,
            halves,
            np.nextafter(halves, np.inf),
            np.nextafter(halves, -np.inf),
            rng.normal(scale=100.0, size=20000),
            rng.exponential(size=20000).round(5),
        ]
    )
    expected = [json.dumps(round(float(v), 4)) for v in values]
    assert rounded_json(values) == expected
    assert rounded_json(np.array([np.nan, -0.0, 0.0])) == ["null", "-0.0", "0.0"]
    assert rounded_json(np.empty(0)) == []


def test_reasons_are_what_a_stable_sort_and_json_dumps_give() -> None:
    rng = np.random.default_rng(8)
    names = ["T", "frequency", "orders_90d", "spend_90d", "btyd_p_alive"]
    # Effects on a coarse grid: ties, zeros and negatives are common.
    contributions = pd.DataFrame(
        rng.integers(-3, 4, size=(4000, len(names))) / 8.0, columns=names
    )
    features = pd.DataFrame(rng.normal(size=(4000, len(names))), columns=names)
    features.iloc[::5, 2] = np.nan
    expected = []
    for effects, values in zip(
        contributions.to_numpy().tolist(), features.to_numpy().tolist(), strict=True
    ):
        ranked = sorted(range(len(names)), key=lambda j: -effects[j])[:3]
        shown = []
        for j in ranked:
            if effects[j] <= 0:
                break
            value = None if np.isnan(values[j]) else round(values[j], 4)
            shown.append(
                {"feature": names[j], "value": value, "effect": round(effects[j], 4)}
            )
        expected.append(json.dumps(shown))
    assert churn_reasons_text(contributions, features, top=3) == expected
    assert churn_reasons_text(contributions.iloc[:0], features.iloc[:0], top=3) == []
