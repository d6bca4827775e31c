"""The churn reasons' numbers: rounded as Python's round, written as json.dumps."""

from __future__ import annotations

import json

import numpy as np

from guanxi.insights.reasons_text import rounded_json


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
