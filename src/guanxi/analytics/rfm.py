"""RFM: recency/frequency/monetary scores 1–5 and named customer segments.

The RFM frame
-------------
``RFMScorer`` works on an *RFM frame*: one row per customer (the index is the
customer id) with the columns

- ``recency_days``: whole days from the customer's last purchase to the end of
  the observation period (0 = bought on the last day). This is **not** the
  ``recency`` of the BTYD summary (:func:`guanxi.analytics.rfm_summary`), which
  is the time from the *first* to the last purchase; in the summary's units,
  ``recency_days = (T - recency)`` days (times 7 when the summary is in weeks).
- ``frequency``: number of purchases in the window (purchase *days*: several
  purchases by one customer on one day count once). Note that the BTYD
  summary's ``frequency`` counts *repeat* purchases only (one less).
- ``monetary`` (optional): total spend in the window. Without it, customers
  are scored on recency and frequency alone and the FM score is the F score.
- ``exposure_days`` (needed only for frequency thresholds per month): the days
  over which ``frequency`` was counted for that customer, from the later of
  their first purchase and the window start to the end of the period.

:func:`rfm_table` builds this frame from transactions.

Scoring rules
-------------
*Quantiles* (``method="quantile"``): on the data given to ``fit``, a customer
whose value is better than exactly ``k`` customers' values (``k`` = number of
customers strictly worse) scores ``1 + floor(5 k / n)``. Customers with equal
values therefore always share a score — the lowest one their block reaches, so
nobody is promoted by a tie — and the result does not depend on row order.
``fit`` stores these cut points in ``edges_``; ``transform`` applies the same
edges to any frame (score = 1 + number of edges the value is strictly better
than), so scores of new customers are comparable with the fitted population.

*Business thresholds* (``method="thresholds"``): four cut points per measure
for scores 2, 3, 4 and 5, inclusive as a business states them: recency in
days (score ≥ k when ``recency_days <= cut``), frequency per month (≥),
monetary amount (≥). Frequency per month is ``frequency`` divided by the
customer's exposure in months (30.4375 days), at least one month, so a
customer seen for a week is not credited with four times their purchases.

Segments
--------
The eight standard segments come from an R × FM grid (FM = F and M averaged,
halves rounded up), the map commonly published for RFM segmentation with its
ten cells folded into eight (R rows, FM columns)::

          FM 1         FM 2         FM 3         FM 4       FM 5
    R 5   new          potential    potential    champions  champions
    R 4   new          potential    potential    loyal      loyal
    R 3   hibernating  hibernating  potential    loyal      loyal
    R 2   hibernating  hibernating  at_risk      at_risk    cant_lose
    R 1   lost         lost         at_risk      at_risk    cant_lose

("potential" is ``potential_loyalists``.) Business segments defined by
thresholds (:class:`BusinessSegment`) are checked first, in the order given;
the first one a customer meets wins over the grid.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from guanxi.analytics._purchases import purchase_days
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.rfm_segments import (
    SEGMENT_LABELS_EN,
    SEGMENT_LABELS_ZH,
    SEGMENT_MAP,
)
from guanxi.analytics.transactions import Transactions, as_transactions

__all__ = [
    "DAYS_PER_MONTH",
    "SEGMENT_LABELS_EN",
    "SEGMENT_LABELS_ZH",
    "SEGMENT_MAP",
    "BusinessSegment",
    "RFMScorer",
    "rfm_table",
]

DAYS_PER_MONTH = 30.4375  # 365.25 / 12

_Measure = Literal["recency", "frequency", "monetary"]


@dataclass(frozen=True)
class BusinessSegment:
    """A segment the business defines by thresholds; unset bounds are ignored.

    ``BusinessSegment("high_value", "高价值客户", max_recency_days=7,
    min_frequency_per_month=3, min_monetary=800)`` is "bought within the last 7
    days, at least 3 times a month, at least 800 spent".
    """

    key: str
    name_zh: str
    max_recency_days: float | None = None
    min_frequency_per_month: float | None = None
    min_monetary: float | None = None
    min_recency_days: float | None = None
    max_frequency_per_month: float | None = None
    max_monetary: float | None = None


def _frequency_per_month(frame: pd.DataFrame) -> pd.Series:
    if "exposure_days" not in frame.columns:
        raise AnalyticsInputError(
            "column 'exposure_days' is needed for frequency per month"
        )
    months = np.maximum(frame["exposure_days"].to_numpy(dtype=float), DAYS_PER_MONTH)
    return pd.Series(
        frame["frequency"].to_numpy(dtype=float) / (months / DAYS_PER_MONTH),
        index=frame.index,
    )


def _check_cuts(
    name: str, cuts: Sequence[float], *, descending: bool
) -> tuple[float, ...]:
    values = tuple(float(c) for c in cuts)
    if len(values) != 4:
        raise AnalyticsInputError(
            f"thresholds for {name} need 4 cut points (scores 2 to 5), got {len(values)}"
        )
    pairs = list(itertools.pairwise(values))
    ordered = (
        all(a > b for a, b in pairs) if descending else all(a < b for a, b in pairs)
    )
    if not ordered:
        order = "decreasing" if descending else "increasing"
        raise AnalyticsInputError(f"thresholds for {name} must be strictly {order}")
    return values


class RFMScorer:
    """Score customers 1–5 on recency, frequency and monetary value; name segments.

    Parameters
    ----------
    method:
        ``"quantile"`` (cut points learned by ``fit``) or ``"thresholds"``.
    thresholds:
        With ``method="thresholds"``: ``{"recency": (90, 60, 30, 7),
        "frequency": (0.5, 1, 2, 3), "monetary": (100, 200, 400, 800)}`` —
        recency in days (decreasing), frequency per month and monetary amount
        (increasing); four cut points for scores 2–5 each. ``monetary`` may be
        left out when the frame has no monetary column.
    business_segments:
        Segments checked before the R × FM grid, first match wins.
    segment_map:
        (R, FM) → segment key; defaults to :data:`SEGMENT_MAP`.
    """

    def __init__(
        self,
        method: Literal["quantile", "thresholds"] = "quantile",
        *,
        thresholds: Mapping[str, Sequence[float]] | None = None,
        business_segments: Sequence[BusinessSegment] = (),
        segment_map: Mapping[tuple[int, int], str] | None = None,
    ) -> None:
        self.method = method
        self.thresholds = thresholds
        self.business_segments = business_segments
        self.segment_map = segment_map

    # -- fitting -----------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: Any = None) -> RFMScorer:
        """Validate the RFM frame and learn the quantile cut points."""
        frame = self._validate(X)
        self.has_monetary_ = "monetary" in frame.columns
        self.n_customers_ = len(frame)
        if self.method == "quantile":
            if len(frame) == 0:
                raise AnalyticsInputError("cannot learn quantiles from no customers")
            edges: dict[str, tuple[float, ...]] = {
                # Recency: fewer days is better, so rank on the negated value.
                "recency": tuple(
                    -e for e in _quantile_edges(-frame["recency_days"].to_numpy(float))
                ),
                "frequency": _quantile_edges(frame["frequency"].to_numpy(float)),
            }
            if self.has_monetary_:
                edges["monetary"] = _quantile_edges(frame["monetary"].to_numpy(float))
        elif self.method == "thresholds":
            cuts = dict(self.thresholds or {})
            unknown = sorted(set(cuts) - {"recency", "frequency", "monetary"})
            if unknown:
                raise AnalyticsInputError(f"unknown threshold measure: {unknown[0]}")
            needed = ["recency", "frequency"] + (
                ["monetary"] if self.has_monetary_ else []
            )
            for name in needed:
                if name not in cuts:
                    raise AnalyticsInputError(f"thresholds for {name} are missing")
            edges = {
                name: _check_cuts(name, cuts[name], descending=name == "recency")
                for name in needed
            }
            _frequency_per_month(frame)  # exposure_days must be present
        else:
            raise AnalyticsInputError(
                f"unknown method {self.method!r} (use 'quantile' or 'thresholds')"
            )
        self.edges_ = edges
        return self

    # -- scoring -----------------------------------------------------------------

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Scores and segments, one row per customer, in the input's order.

        Columns: ``r_score``, ``f_score``, ``m_score`` (only with monetary),
        ``fm_score``, ``rfm_cell`` (e.g. ``"545"``; ``"54"`` without monetary),
        ``segment`` (English key) and ``segment_zh`` (Chinese display name).
        """
        if not hasattr(self, "edges_"):
            raise AnalyticsInputError("RFMScorer is not fitted: call fit first")
        frame = self._validate(X)
        if self.has_monetary_ and "monetary" not in frame.columns:
            raise AnalyticsInputError("column 'monetary' is missing")
        thresholds = self.method == "thresholds"
        recency = frame["recency_days"].to_numpy(float)
        frequency = (
            _frequency_per_month(frame).to_numpy(float)
            if thresholds
            else frame["frequency"].to_numpy(float)
        )
        out = pd.DataFrame(index=frame.index)
        out["r_score"] = _score(
            -recency, [-e for e in self.edges_["recency"]], inclusive=thresholds
        )
        out["f_score"] = _score(
            frequency, self.edges_["frequency"], inclusive=thresholds
        )
        if self.has_monetary_:
            monetary = frame["monetary"].to_numpy(float)
            out["m_score"] = _score(
                monetary, self.edges_["monetary"], inclusive=thresholds
            )
            # Average of F and M, halves rounded up: (F + M + 1) // 2.
            out["fm_score"] = (out["f_score"] + out["m_score"] + 1) // 2
            cell = (
                out["r_score"].astype(str)
                + out["f_score"].astype(str)
                + out["m_score"].astype(str)
            )
        else:
            out["fm_score"] = out["f_score"]
            cell = out["r_score"].astype(str) + out["f_score"].astype(str)
        out["rfm_cell"] = cell.astype(object)
        grid = dict(SEGMENT_MAP if self.segment_map is None else self.segment_map)
        # One lookup for all rows: cell (r, fm) at position 6 r + fm.
        table = np.empty(36, dtype=object)
        for (r, fm), name in grid.items():
            table[6 * r + fm] = name
        cells = 6 * out["r_score"].to_numpy() + out["fm_score"].to_numpy()
        segments = table[cells]
        if self.business_segments:
            per_month = _frequency_per_month(frame).to_numpy(float)
            monetary_or_nan = (
                frame["monetary"].to_numpy(float)
                if "monetary" in frame.columns
                else np.full(len(frame), np.nan)
            )
            taken = np.zeros(len(frame), dtype=bool)
            for rule in self.business_segments:
                hit = ~taken & _meets(rule, recency, per_month, monetary_or_nan)
                segments[hit] = rule.key
                taken |= hit
        out["segment"] = segments
        names = {
            **SEGMENT_LABELS_ZH,
            **{s.key: s.name_zh for s in self.business_segments},
        }
        out["segment_zh"] = (
            pd.Series(segments, index=out.index).map(names).to_numpy(dtype=object)
        )
        return out

    def fit_transform(self, X: pd.DataFrame, y: Any = None) -> pd.DataFrame:
        return self.fit(X).transform(X)

    # -- helpers -----------------------------------------------------------------

    @staticmethod
    def _validate(X: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise AnalyticsInputError("RFM input must be a pandas DataFrame")
        for column in ("recency_days", "frequency"):
            if column not in X.columns:
                raise AnalyticsInputError(f"column '{column}' is missing")
        # Monetary is net of refunds and may be negative; the others count days.
        for column in ("recency_days", "frequency", "monetary", "exposure_days"):
            if column not in X.columns:
                continue
            values = pd.to_numeric(X[column], errors="coerce")
            bad = values.isna()
            if column != "monetary":
                bad |= values < 0
            if bool(bad.any()):
                position = int(np.flatnonzero(bad.to_numpy())[0])
                wanted = "a number" if column == "monetary" else "a number >= 0"
                raise AnalyticsInputError(
                    f"column '{column}', row {position + 1}: not {wanted} "
                    f"({X[column].iloc[position]})"
                )
        return X


def _quantile_edges(values: np.ndarray) -> tuple[float, ...]:
    """Four cut points so that ``1 + #(edges < v)`` is ``1 + floor(5 k / n)``.

    ``k`` is the number of values strictly below ``v``. Score ≥ s exactly when
    ``k >= ceil((s - 1) n / 5)``, i.e. when ``v`` exceeds the value at that
    (0-based) position minus one in sorted order; with no value below the
    position every value qualifies (edge −inf).
    """
    ordered = np.sort(values)
    n = len(ordered)
    edges = []
    for s in range(2, 6):
        needed = math.ceil((s - 1) * n / 5)
        edges.append(-math.inf if needed == 0 else float(ordered[needed - 1]))
    return tuple(edges)


def _score(
    values: np.ndarray, edges: Sequence[float], *, inclusive: bool
) -> np.ndarray:
    """1 + number of edges passed (higher values are better)."""
    cuts = np.asarray(edges, dtype=float)[None, :]
    column = values[:, None]
    passed: np.ndarray = column >= cuts if inclusive else column > cuts
    scores: np.ndarray = 1 + passed.sum(axis=1).astype(np.int64)
    return scores


def _meets(
    rule: BusinessSegment,
    recency: np.ndarray,
    per_month: np.ndarray,
    monetary: np.ndarray,
) -> np.ndarray:
    hit = np.ones(len(recency), dtype=bool)
    checks: list[tuple[float | None, np.ndarray, bool]] = [
        (rule.max_recency_days, recency, False),
        (rule.min_recency_days, recency, True),
        (rule.min_frequency_per_month, per_month, True),
        (rule.max_frequency_per_month, per_month, False),
        (rule.min_monetary, monetary, True),
        (rule.max_monetary, monetary, False),
    ]
    for bound, values, is_min in checks:
        if bound is None:
            continue
        # NaN (no monetary column) never meets a monetary bound.
        hit &= values >= bound if is_min else values <= bound
    return hit


def rfm_table(
    transactions: pd.DataFrame | Transactions,
    *,
    customer_col: str | None = None,
    datetime_col: str | None = None,
    amount_col: str | None = None,
    observation_end: Any = None,
    window_days: int | None = None,
) -> pd.DataFrame:
    """The RFM frame (see the module docstring) from transactions.

    ``transactions`` is checked :class:`Transactions` or a frame with the
    named columns (dates as datetimes or ISO 8601 text); purchases are
    counted per calendar day, and ``monetary`` is there when there are
    amounts (net of refunds: it may be 0 or negative). ``observation_end`` defaults to the last purchase
    day. ``window_days`` limits frequency and monetary to the last
    ``window_days`` days up to and including ``observation_end`` (all history
    when None); recency always looks at the whole history, and customers with
    no purchase in the window have frequency 0 and monetary 0.
    ``exposure_days`` counts both ends (a first purchase on the last day is one
    day of exposure).
    """
    if window_days is not None and window_days < 1:
        raise AnalyticsInputError("window_days must be at least 1")
    checked = as_transactions(
        transactions,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
    )
    daily, end, ids = purchase_days(checked, observation_end)
    grouped = daily.groupby("customer", sort=True)
    first = grouped["day"].min()
    last = grouped["day"].max()
    result = pd.DataFrame(index=first.index)
    result["recency_days"] = (end - last).dt.days.astype(np.int64)
    if window_days is None:
        in_window = daily
        start = first
    else:
        window_start = end - pd.Timedelta(days=window_days - 1)
        in_window = daily[daily["day"] >= window_start]
        start = first.where(first >= window_start, window_start)
    by_customer = in_window.groupby("customer", sort=True)
    result["frequency"] = (
        by_customer["day"].size().reindex(result.index, fill_value=0).astype(np.int64)
    )
    if checked.amounts is not None:
        result["monetary"] = (
            by_customer["amount"]
            .sum()
            .reindex(result.index, fill_value=0.0)
            .astype(float)
        )
    result["exposure_days"] = ((end - start).dt.days + 1).astype(np.int64)
    result.index = pd.Index(ids[result.index.to_numpy()], name="customer_id")
    return result
