"""RFMScorer and rfm_table: hand-computed scores, segments and bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.rfm import (
    SEGMENT_LABELS_EN,
    SEGMENT_LABELS_ZH,
    SEGMENT_MAP,
    BusinessSegment,
    RFMScorer,
    rfm_table,
)


def frame(
    recency: list[int], frequency: list[int], monetary: list[float] | None = None
) -> pd.DataFrame:
    data: dict[str, list[float] | list[int]] = {
        "recency_days": recency,
        "frequency": frequency,
    }
    if monetary is not None:
        data["monetary"] = monetary
    index = pd.Index([f"c{i:02d}" for i in range(len(recency))], name="customer_id")
    return pd.DataFrame(data, index=index)


def test_quantile_scores_of_distinct_values_are_fifths() -> None:
    # Ten customers, k customers strictly worse → 1 + floor(5k/10).
    scores = RFMScorer().fit_transform(
        frame(list(range(10)), list(range(1, 11)), [float(v) for v in range(10, 0, -1)])
    )
    assert scores["f_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # Fewer days since the last purchase is better.
    assert scores["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert scores["m_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # FM = (F + M) / 2 with halves rounded up.
    assert scores["fm_score"].tolist() == [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
    assert scores["rfm_cell"].tolist()[:2] == ["515", "515"]
    assert scores.index.tolist() == [f"c{i:02d}" for i in range(10)]


def test_ties_share_the_lowest_score_of_their_block() -> None:
    frequency = [1, 1, 1, 1, 1, 1, 2, 2, 3, 4]
    scores = RFMScorer().fit_transform(frame([5] * 10, frequency))
    # Value 1: 0 worse → 1; value 2: 6 worse → 1 + 3 = 4; 3: 8 → 5; 4: 9 → 5.
    assert scores["f_score"].tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    # All equal recency: nobody is worse than anyone, everyone scores 1.
    assert scores["r_score"].tolist() == [1] * 10
    assert "m_score" not in scores.columns
    assert scores["fm_score"].tolist() == scores["f_score"].tolist()
    assert scores["rfm_cell"].tolist()[-1] == "15"


def test_scores_do_not_depend_on_row_order() -> None:
    data = frame(
        [3, 40, 3, 7, 90, 1, 12], [2, 1, 2, 5, 1, 9, 3], [50, 5, 50, 80, 1, 300, 20]
    )
    forward = RFMScorer().fit_transform(data)
    shuffled = data.iloc[[6, 2, 4, 0, 5, 1, 3]]
    backward = RFMScorer().fit_transform(shuffled)
    pd.testing.assert_frame_equal(forward, backward.loc[forward.index])


def test_transform_applies_the_fitted_edges_to_new_customers() -> None:
    scorer = RFMScorer().fit(frame(list(range(10)), list(range(1, 11))))
    # Frequency edges: scores ≥ 2,3,4,5 need more than 2, 4, 6, 8 purchases.
    assert scorer.edges_["frequency"] == (2.0, 4.0, 6.0, 8.0)
    assert scorer.edges_["recency"] == (8.0, 6.0, 4.0, 2.0)
    new = scorer.transform(frame([0, 2, 3, 100], [100, 3, 2, 0]))
    assert new["f_score"].tolist() == [5, 2, 1, 1]
    assert new["r_score"].tolist() == [5, 4, 4, 1]
    assert scorer.n_customers_ == 10


def test_business_thresholds_score_inclusively_per_month() -> None:
    data = frame([7, 8, 30, 200], [6, 3, 1, 2], [800.0, 799.99, 100.0, 0.0])
    data["exposure_days"] = [61, 30, 365, 10]
    scorer = RFMScorer(
        "thresholds",
        thresholds={
            "recency": (90, 60, 30, 7),
            "frequency": (0.5, 1, 2, 3),
            "monetary": (100, 200, 400, 800),
        },
    )
    scores = scorer.fit_transform(data)
    assert scores["r_score"].tolist() == [5, 4, 4, 1]
    # Per month: 6 / (61 / 30.4375) = 2.99; 3 (a month at least); 0.083; 2.
    assert scores["f_score"].tolist() == [4, 5, 1, 4]
    assert scores["m_score"].tolist() == [5, 4, 2, 1]


def test_segment_map_covers_every_cell_with_the_eight_segments() -> None:
    assert sorted(SEGMENT_MAP) == [(r, fm) for r in range(1, 6) for fm in range(1, 6)]
    assert set(SEGMENT_MAP.values()) == set(SEGMENT_LABELS_ZH) == set(SEGMENT_LABELS_EN)
    assert SEGMENT_LABELS_ZH == {
        "champions": "冠军客户",
        "loyal": "忠诚客户",
        "potential_loyalists": "潜力客户",
        "new": "新客户",
        "at_risk": "流失风险",
        "cant_lose": "不能失去",
        "hibernating": "沉睡客户",
        "lost": "已流失",
    }
    assert SEGMENT_MAP[(5, 5)] == "champions"
    assert SEGMENT_MAP[(4, 5)] == "loyal"
    assert SEGMENT_MAP[(5, 1)] == "new"
    assert SEGMENT_MAP[(1, 5)] == "cant_lose"
    assert SEGMENT_MAP[(2, 3)] == "at_risk"
    assert SEGMENT_MAP[(1, 1)] == "lost"
    assert SEGMENT_MAP[(2, 2)] == "hibernating"


def test_segments_from_the_grid_with_chinese_names() -> None:
    data = frame(list(range(10)), list(range(1, 11)), [float(v) for v in range(1, 11)])
    scores = RFMScorer().fit_transform(data)
    # c09: R 1 (oldest), F 5, M 5 → can't lose; c00: R 5, F 1, M 1 → new.
    row = scores.loc["c09"]
    assert [row["r_score"], row["fm_score"], row["segment"], row["segment_zh"]] == [
        1,
        5,
        "cant_lose",
        "不能失去",
    ]
    assert scores.loc["c00", "segment"] == "new"
    assert scores.loc["c04", "rfm_cell"] == "333"
    assert scores.loc["c04", "segment"] == "potential_loyalists"


def test_business_segments_take_precedence_in_order() -> None:
    data = frame([3, 5, 3, 60], [10, 10, 1, 10], [900.0, 900.0, 5000.0, 950.0])
    data["exposure_days"] = [90, 90, 90, 90]
    rules = [
        BusinessSegment(
            "high_value",
            "高价值客户",
            max_recency_days=7,
            min_frequency_per_month=3,
            min_monetary=800,
        ),
        BusinessSegment("big_spender", "大额客户", min_monetary=1000),
    ]
    scores = RFMScorer(business_segments=rules).fit_transform(data)
    # 10 purchases over 90 days = 3.38 a month.
    assert scores["segment"].tolist()[:3] == ["high_value", "high_value", "big_spender"]
    assert scores["segment_zh"].tolist()[:3] == ["高价值客户", "高价值客户", "大额客户"]
    # The fourth bought 60 days ago, spent under 1000: the grid decides (R 1, F 2,
    # M 3 → FM 3).
    assert scores["segment"].tolist()[3] == "at_risk"


def test_business_monetary_rule_never_matches_without_monetary() -> None:
    data = frame([1, 2], [5, 5])
    data["exposure_days"] = [30, 30]
    rules = [BusinessSegment("rich", "富", min_monetary=0)]
    scores = RFMScorer(business_segments=rules).fit_transform(data)
    assert "rich" not in scores["segment"].tolist()


@pytest.mark.parametrize(
    ("scorer", "data", "message"),
    [
        (
            RFMScorer(),
            frame([1], [1]).drop(columns="frequency"),
            "column 'frequency' is missing",
        ),
        (
            RFMScorer(),
            frame([1, -2], [1, 1]),
            "column 'recency_days', row 2: not a number >= 0 (-2)",
        ),
        (
            RFMScorer(),
            frame([1, 2], [1, 1], [3.0, float("nan")]),
            "column 'monetary', row 2: not a number (nan)",
        ),
        (RFMScorer(), frame([], []), "cannot learn quantiles from no customers"),
        (
            RFMScorer("median"),  # type: ignore[arg-type]
            frame([1], [1]),
            "unknown method 'median' (use 'quantile' or 'thresholds')",
        ),
        (
            RFMScorer(
                "thresholds",
                thresholds={"recency": (9, 5, 1), "frequency": (1, 2, 3, 4)},
            ),
            frame([1], [1]).assign(exposure_days=30),
            "thresholds for recency need 4 cut points (scores 2 to 5), got 3",
        ),
        (
            RFMScorer(
                "thresholds",
                thresholds={"recency": (1, 5, 9, 20), "frequency": (1, 2, 3, 4)},
            ),
            frame([1], [1]).assign(exposure_days=30),
            "thresholds for recency must be strictly decreasing",
        ),
        (
            RFMScorer("thresholds", thresholds={"recency": (9, 5, 3, 1)}),
            frame([1], [1]).assign(exposure_days=30),
            "thresholds for frequency are missing",
        ),
        (
            RFMScorer(
                "thresholds",
                thresholds={
                    "recency": (9, 5, 3, 1),
                    "frequency": (1, 2, 3, 4),
                    "age": (1,),
                },
            ),
            frame([1], [1]).assign(exposure_days=30),
            "unknown threshold measure: age",
        ),
        (
            RFMScorer(
                "thresholds",
                thresholds={"recency": (9, 5, 3, 1), "frequency": (1, 2, 3, 4)},
            ),
            frame([1], [1]),
            "column 'exposure_days' is needed for frequency per month",
        ),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(
    scorer: RFMScorer, data: pd.DataFrame, message: str
) -> None:
    with pytest.raises(AnalyticsInputError) as error:
        scorer.fit(data)
    assert str(error.value) == message
    assert not hasattr(scorer, "edges_")


def test_transform_before_fit_is_rejected() -> None:
    with pytest.raises(AnalyticsInputError) as error:
        RFMScorer().transform(frame([1], [1]))
    assert str(error.value) == "RFMScorer is not fitted: call fit first"


def test_transform_needs_monetary_when_fitted_with_it() -> None:
    scorer = RFMScorer().fit(frame([1, 2], [1, 2], [1.0, 2.0]))
    with pytest.raises(AnalyticsInputError) as error:
        scorer.transform(frame([1], [1]))
    assert str(error.value) == "column 'monetary' is missing"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(1, 8), st.integers(0, 50)),
        min_size=1,
        max_size=40,
    )
)
def test_scores_are_monotone_and_ties_agree(rows: list[tuple[int, int, int]]) -> None:
    data = frame(
        [r for r, _, _ in rows], [f for _, f, _ in rows], [float(m) for *_, m in rows]
    )
    scores = RFMScorer().fit_transform(data)
    for measure, column, sign in (
        ("recency_days", "r_score", -1),
        ("frequency", "f_score", 1),
        ("monetary", "m_score", 1),
    ):
        values = sign * data[measure].to_numpy(float)
        got = scores[column].to_numpy()
        assert got.min() >= 1
        assert got.max() <= 5
        order = np.argsort(values, kind="stable")
        assert (np.diff(got[order]) >= 0).all()
        for value in np.unique(values):
            assert len(set(got[values == value])) == 1
        worse = (values[:, None] > values[None, :]).sum(axis=1)
        assert (got == 1 + (5 * worse) // len(values)).all()


def transactions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cust": ["a", "a", "a", "b", "c", "c"],
            "when": pd.to_datetime(
                [
                    "2024-03-01 09:00",
                    "2024-03-01 18:00",  # same day: one purchase, amounts added
                    "2024-03-25",
                    "2024-01-10",
                    "2024-03-30",
                    "2024-03-31 23:59",
                ],
                format="ISO8601",
            ),
            "amount": [10.0, 5.0, 20.0, 100.0, 0.0, 7.5],
        }
    )


def test_rfm_table_by_hand() -> None:
    table = rfm_table(
        transactions(),
        customer_col="cust",
        datetime_col="when",
        amount_col="amount",
        observation_end="2024-03-31",
    )
    assert table.index.tolist() == ["a", "b", "c"]
    assert table.index.name == "customer_id"
    assert table["recency_days"].tolist() == [6, 81, 0]
    assert table["frequency"].tolist() == [2, 1, 2]
    assert table["monetary"].tolist() == [35.0, 100.0, 7.5]
    # Both ends counted: 1 March to 31 March is 31 days.
    assert table["exposure_days"].tolist() == [31, 82, 2]


def test_rfm_table_window_limits_frequency_and_monetary() -> None:
    table = rfm_table(
        transactions(),
        customer_col="cust",
        datetime_col="when",
        amount_col="amount",
        observation_end="2024-03-31",
        window_days=7,
    )
    # Window 25–31 March.
    assert table["frequency"].tolist() == [1, 0, 2]
    assert table["monetary"].tolist() == [20.0, 0.0, 7.5]
    assert table["recency_days"].tolist() == [6, 81, 0]
    assert table["exposure_days"].tolist() == [7, 7, 2]


def test_rfm_table_without_amounts_has_no_monetary_column() -> None:
    # Dates may also be text, parsed as the BTYD summary parses them.
    text = transactions().assign(when=lambda t: t["when"].dt.strftime("%Y-%m-%d %H:%M"))
    table = rfm_table(text, customer_col="cust", datetime_col="when")
    assert list(table.columns) == ["recency_days", "frequency", "exposure_days"]
    # Observation end defaults to the last purchase day (31 March).
    assert table["recency_days"].tolist() == [6, 81, 0]


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda t: t.drop(columns="when"), {}, "column 'when' is missing"),
        (
            lambda t: t.assign(when=["2024-03-01", "soon", *["2024-03-02"] * 4]),
            {},
            "column 'when', row 2: missing or unparsable date (soon)",
        ),
        (
            lambda t: t.assign(amount=[1.0, None, 1.0, 1.0, 1.0, 1.0]),
            {"amount_col": "amount"},
            "column 'amount', row 2: missing amount (empty)",
        ),
        (
            lambda t: t,
            {"observation_end": "2024-03-30"},
            "column 'when', row 6: purchase after the observation end (2024-03-31T23:59:00)",
        ),
        (
            lambda t: t.assign(cust=["a", None, "a", "b", "c", "c"]),
            {},
            "column 'cust', row 2: missing customer id (empty)",
        ),
        (lambda t: t, {"window_days": 0}, "window_days must be at least 1"),
        (lambda t: t.iloc[:0], {}, "transactions: no rows"),
    ],
)
def test_rfm_table_bad_input(
    change: Callable[[pd.DataFrame], pd.DataFrame], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(AnalyticsInputError) as error:
        rfm_table(
            change(transactions()), customer_col="cust", datetime_col="when", **kwargs
        )
    assert str(error.value) == message
