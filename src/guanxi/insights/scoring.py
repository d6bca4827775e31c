"""From per-customer features to scores: models, quadrant, stage, emotion layer.

Pure computation on data frames (no database): :func:`score_frame` takes what
:mod:`guanxi.insights.features` read and the business's settings and returns
one row per customer with every column of a
:class:`~guanxi.insights.models.ScoreSnapshot`. Deterministic: the same data
and settings give the same scores (the churn model has a fixed seed and
trains on a sample chosen by customer id).

The rules, with the defaults of :class:`~guanxi.insights.models.InsightSettings`:

- **Current value (CV)**: spend in the last ``cv_window_days`` (180). The
  value score (0–100) weighs the percentile ranks of that spend (0.6), of the
  purchase days in the window (order frequency, 0.2) and of the repurchase
  rate (repeat purchase days / purchase days, 0.2). **Potential value
  (PV)**: the BG/NBD × Gamma-Gamma lifetime value of the next
  ``pv_horizon_months`` (12), discounted 1 % a month. High means the top
  ``cv_top_percent`` / ``pv_top_percent`` (20 %) of buyers (value score for
  CV, PV for PV), or at least an amount. Quadrant: star (both high), cash cow
  (CV only), potential (PV only), basic (neither; every prospect).
- **Stage**, first rule that holds: prospect (no purchase), new (first
  purchase within ``new_days``, 30), lapsed (no purchase for
  ``lapsed_days``, 180, and — for repeat buyers — for more than
  ``lapsed_gap_factor`` × their usual gap), at risk (P(alive) below
  ``at_risk_p_alive``, or a repeat buyer silent for more than
  ``at_risk_gap_factor`` × their usual gap, or a one-time buyer silent for
  ``at_risk_days``), mature (a customer for ``mature_days``, 180), growing.
- **Emotion layer**: points for engagement in the last ``emotion_window_days``
  (90): each visit, login, message opened or clicked, community post, event
  attended, review and purchase day earns its points, a complaint costs.
  Fan from ``fan_points``; drifting below ``drifting_points`` or with
  ``drifting_complaints`` complaints; otherwise ordinary. A prospect with no
  signal at all is ordinary (nothing to drift from).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.rfm import RFMScorer
from guanxi.analytics.summary import CustomerSummary
from guanxi.insights.choices import ENGAGEMENT_POINTS, Emotion, Quadrant, Stage

if TYPE_CHECKING:
    from guanxi.analytics.churn import ChurnClassifier

__all__ = ["ENGAGEMENT_POINTS", "Scored", "score_frame"]

#: Reasons kept per customer.
TOP_REASONS = 3
#: Churn risk from which a customer is given reasons (every one of them: at
#: 1M about 580,000; each substitution is read off the trees' tables of
#: leaves by decision pattern, see :mod:`guanxi.analytics.churn_trees`).
REASONS_FROM_RISK = 0.5
#: The features a reason may name: those a person can act on or recognise.
REASON_FEATURES = (
    "days_since_last_purchase",
    "overdue_ratio",
    "orders_trend_90d",
    "spend_trend_90d",
    "btyd_p_alive",
    "btyd_no_purchase",
    "frequency",
    "orders_90d",
    "spend_90d",
    "T",
    "complaints_90d",
    "contacts_trend_90d",
    "days_since_last_contact",
)
#: Churn horizon (days): a customer churns without a purchase in it.
CHURN_HORIZON_DAYS = 90
#: Customers the churn model learns from, at most (a sample by id beyond):
#: 50,000 customers fit its 100 small trees well, and the calibration fits
#: them six times.
CHURN_TRAINING_CUSTOMERS = 50_000


@dataclass
class Scored:
    """The scores of every customer and what the run should report."""

    frame: pd.DataFrame
    notes: list[dict[str, str]] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=dict)


def _percentile_rank(values: pd.Series) -> pd.Series:
    """Share of customers with a lower value (ties share the lowest), 0–1."""
    if len(values) == 0:
        return values.astype("float64")
    ranks = values.rank(method="min") - 1
    return ranks / max(len(values), 1)


def _high(values: pd.Series, top_percent: float) -> pd.Series:
    """True for the values at or above the cut of the top ``top_percent`` %
    (positive values only: nobody is high with nothing)."""
    if len(values) == 0:
        return values.astype(bool)
    cut = float(
        np.quantile(values.to_numpy(float), 1.0 - top_percent / 100.0, method="higher")
    )
    return (values >= cut) & (values > 0)


def value_columns(
    purchases: pd.DataFrame, settings: Any, cv_window: int
) -> pd.DataFrame:
    """Current value, the value score and whether CV is high, for buyers."""
    spend = purchases[f"spend_{cv_window}d"].astype(float)
    days = purchases[f"purchase_days_{cv_window}d"].astype(float)
    repurchase = (purchases["frequency"] / purchases["purchase_days"]).astype(float)
    weights = np.array(
        [settings.weight_spend, settings.weight_frequency, settings.weight_repurchase],
        dtype=float,
    )
    total = weights.sum() or 1.0
    score = (
        weights[0] * _percentile_rank(spend)
        + weights[1] * _percentile_rank(days)
        + weights[2] * _percentile_rank(repurchase)
    ) * (100.0 / total)
    out = pd.DataFrame(index=purchases.index)
    out["current_value"] = spend
    out["value_score"] = score.round(6)
    if settings.cut_method == "amount":
        out["cv_high"] = spend >= float(settings.cv_cut_amount)
    else:
        out["cv_high"] = _high(out["value_score"], float(settings.cv_top_percent)) & (
            spend > 0
        )
    return out


def quadrant_of(cv_high: pd.Series, pv_high: pd.Series) -> pd.Series:
    labels = np.where(
        cv_high,
        np.where(pv_high, Quadrant.STAR.value, Quadrant.CASH_COW.value),
        np.where(pv_high, Quadrant.POTENTIAL.value, Quadrant.BASIC.value),
    )
    return pd.Series(labels, index=cv_high.index, dtype=object)


def stage_of(frame: pd.DataFrame, settings: Any) -> pd.Series:
    """The lifecycle stage of each customer (see the module's rules)."""
    bought = frame["orders"] > 0
    since = frame["days_since_last_purchase"].astype(float)
    age = frame["customer_days"].astype(float)
    gap = frame["mean_gap_days"].astype(float)
    repeat = gap > 0
    p_alive = frame["p_alive"].astype(float)
    lapsed = (since >= settings.lapsed_days) & (
        ~repeat | (since > settings.lapsed_gap_factor * gap)
    )
    at_risk = (
        (p_alive < settings.at_risk_p_alive)
        | (repeat & (since > settings.at_risk_gap_factor * gap))
        | (~repeat & (since > settings.at_risk_days))
    )
    conditions = [
        ~bought,
        age <= settings.new_days,
        lapsed,
        at_risk,
        age >= settings.mature_days,
    ]
    choices = [
        Stage.PROSPECT.value,
        Stage.NEW.value,
        Stage.LAPSED.value,
        Stage.AT_RISK.value,
        Stage.MATURE.value,
    ]
    return pd.Series(
        np.select(conditions, choices, default=Stage.GROWING.value),
        index=frame.index,
        dtype=object,
    )


def _signals_json(counts: tuple[int, ...], kinds: list[str], weights: Any) -> str:
    """The signals of one row of counts as JSON: ``[{"signal", "count",
    "points"}]``, the largest effect first (ties in the order of ``kinds``)."""
    found = [
        (-abs(count * float(weights[i])), i, count)
        for i, count in enumerate(counts)
        if count
    ]
    found.sort()
    return json.dumps(
        [
            {
                "signal": kinds[i],
                "count": count,
                "points": round(count * float(weights[i]), 2),
            }
            for _effect, i, count in found
        ]
    )


def emotion_of(
    engagement: pd.DataFrame, purchase_days: pd.Series, bought: pd.Series, settings: Any
) -> tuple[pd.Series, list[str]]:
    """The emotion layer of each customer and its reasons as JSON text
    (signals with counts and points, the largest effect first)."""
    counts = engagement.copy()
    counts["purchase"] = purchase_days.astype("int64")
    points_of = {
        kind: float(getattr(settings, name)) for kind, name in ENGAGEMENT_POINTS.items()
    }
    points_of["purchase"] = float(settings.points_purchase)
    kinds = list(points_of)
    matrix = counts[kinds].to_numpy(dtype=np.int64)
    weights = np.array([points_of[k] for k in kinds], dtype=float)
    contributions = matrix * weights
    points = contributions.sum(axis=1)
    complaints = counts["complaint"].to_numpy(dtype=np.int64)
    silent = matrix.sum(axis=1) == 0
    drifting = (points < settings.drifting_points) | (
        complaints >= settings.drifting_complaints
    )
    labels = np.where(
        points >= settings.fan_points,
        Emotion.FAN.value,
        np.where(drifting, Emotion.DRIFTING.value, Emotion.ORDINARY.value),
    )
    labels = np.where(
        (complaints >= settings.drifting_complaints), Emotion.DRIFTING.value, labels
    )
    labels = np.where(silent & ~bought.to_numpy(), Emotion.ORDINARY.value, labels)
    # Reasons as JSON text, worked out once per distinct row of counts (a
    # million customers share a few thousand of them).
    if len(matrix):
        distinct, inverse = _distinct_rows(matrix)
        texts = np.array(
            [_signals_json(tuple(row), kinds, weights) for row in distinct.tolist()],
            dtype=object,
        )
        reasons: list[str] = texts[np.ravel(inverse)].tolist()
    else:
        reasons = []
    return pd.Series(labels, index=engagement.index, dtype=object), reasons


def _distinct_rows(
    matrix: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """``np.unique(matrix, axis=0, return_inverse=True)`` for counts: each row
    read as one number (the first column the most significant digit, so the
    numbers sort as the rows do), made unique in one dimension — the same
    rows in the same order, a second instead of about seven at a million."""
    spans = [int(top) + 1 for top in matrix.max(axis=0)] if matrix.size else []
    if not spans or int(matrix.min()) < 0 or math.prod(spans) >= 2**62:
        found = np.unique(matrix, axis=0, return_inverse=True)
        return found[0], np.ravel(found[1])
    key = np.zeros(len(matrix), dtype=np.int64)
    for column, span in enumerate(spans):
        key = key * span + matrix[:, column]
    numbers, inverse = np.unique(key, return_inverse=True)
    distinct = np.empty((len(numbers), len(spans)), dtype=np.int64)
    for column in range(len(spans) - 1, -1, -1):
        numbers, distinct[:, column] = np.divmod(numbers, spans[column])
    return distinct, np.ravel(inverse)


def rfm_columns(purchases: pd.DataFrame) -> pd.DataFrame:
    """Quantile RFM scores 1–5 and the segment of each buyer."""
    table = pd.DataFrame(
        {
            "recency_days": purchases["days_since_last_purchase"].astype(float),
            "frequency": purchases["purchase_days"].astype(float),
            "monetary": purchases["total_spend"].astype(float),
        },
        index=purchases.index,
    )
    if table.empty:
        return pd.DataFrame(
            index=table.index, columns=["r_score", "f_score", "m_score", "rfm_segment"]
        )
    scored = RFMScorer().fit_transform(table)
    return pd.DataFrame(
        {
            "r_score": scored["r_score"].astype("int64"),
            "f_score": scored["f_score"].astype("int64"),
            "m_score": scored["m_score"].astype("int64"),
            "rfm_segment": scored["segment"].astype(object),
        },
        index=table.index,
    )


def clv_columns(
    purchases: pd.DataFrame, *, horizon_months: int
) -> tuple[pd.DataFrame, dict[str, Any], list[dict[str, str]]]:
    """P(alive), expected purchases in 90 days and the potential value (CLV
    over ``horizon_months``) of each buyer, from BG/NBD and Gamma-Gamma
    fitted on every buyer (weeks as the time unit)."""
    from guanxi.analytics.clv import BetaGeo, GammaGamma

    out = pd.DataFrame(index=purchases.index)
    out["p_alive"] = np.nan
    out["expected_purchases_90d"] = np.nan
    out["potential_value"] = 0.0
    notes: list[dict[str, str]] = []
    models: dict[str, Any] = {}
    if len(purchases) == 0:
        return out, models, notes
    weeks = CustomerSummary(
        pd.DataFrame(
            {
                "frequency": purchases["frequency"].astype(float),
                "recency": purchases["recency"].astype(float) / 7.0,
                "T": purchases["T"].astype(float) / 7.0,
                "monetary_value": purchases["monetary_value"].astype(float),
            },
            index=purchases.index,
        ),
        time_unit="W",
    )
    x, t_x, big_t = (
        weeks.frame[c].to_numpy(float) for c in ("frequency", "recency", "T")
    )
    if not bool((x > 0).any()):
        notes.append(
            {
                "message_en": "No customer has bought twice yet: no purchase model, "
                "P(alive) and potential value are left empty.",
                "message_zh": "还没有客户复购:无法拟合购买模型,存活概率和潜在价值为空。",
            }
        )
        return out, models, notes
    try:
        purchase_model = BetaGeo().fit(weeks)
    except AnalyticsInputError as error:
        notes.append(
            {
                "message_en": f"The purchase model could not be fitted: {error}",
                "message_zh": f"购买模型无法拟合:{error}",
            }
        )
        return out, models, notes
    models["bgnbd"] = {k: float(v) for k, v in purchase_model.params_.items()}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out["p_alive"] = purchase_model.probability_alive(x, t_x, big_t)
        out["expected_purchases_90d"] = purchase_model.expected_purchases(
            90 / 7.0, x, t_x, big_t
        )
    repeat_spend = (x > 0) & (weeks.frame["monetary_value"].to_numpy(float) > 0)
    if bool(repeat_spend.any()):
        spend_model = GammaGamma().fit(weeks)
        models["gamma_gamma"] = {k: float(v) for k, v in spend_model.params_.items()}
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = purchase_model.clv(spend_model, weeks, months=int(horizon_months))
        out["potential_value"] = np.where(np.isfinite(value), value, 0.0)
        left = int(((x > 0) & ~repeat_spend).sum())
        if left:
            notes.append(
                {
                    "message_en": f"{left} repeat buyers spent nothing on their repeat "
                    "purchases; their spend per purchase is the spend model's estimate "
                    "at zero.",
                    "message_zh": f"{left} 位复购客户复购金额为零;其每次消费额取消费模型在"
                    "零消费时的估计。",
                }
            )
    for column in ("p_alive", "expected_purchases_90d"):
        values = out[column].to_numpy(float)
        out[column] = np.where(np.isfinite(values), values, np.nan)
    return out, models, notes


def _reasons(contributions: pd.DataFrame, features: pd.DataFrame) -> list[str]:
    """Each customer's top reasons as JSON text: ``[{"feature", "value",
    "effect"}]``, the largest positive effect first (the text ``json.dumps``
    writes, formatted directly: at 1M this runs for every risky customer)."""
    from guanxi.insights.reasons_text import churn_reasons_text

    return churn_reasons_text(contributions, features, top=TOP_REASONS)


def churn_columns(
    *,
    model: ChurnClassifier | None,
    cutoff: dt.date,
    current: pd.DataFrame,
    current_contacts: pd.DataFrame | None,
) -> tuple[pd.DataFrame, dict[str, Any], list[dict[str, str]]]:
    """Churn risk and its top reasons for each buyer at the as-of date.

    ``model`` learnt at ``cutoff`` (90 days before) whether customers bought
    again by the as-of date (:func:`guanxi.insights.churn_fit.churn_fit`;
    None: nothing to learn from); it scores ``current``.
    """
    out = pd.DataFrame(index=current["customer_id"].to_numpy())
    out["churn_risk"] = np.nan
    out["churn_reasons"] = pd.Series("[]", index=out.index, dtype=object)
    notes: list[dict[str, str]] = []
    if model is None or len(current) == 0:
        notes.append(_no_churn_note(cutoff))
        return out, {}, notes
    now = model.features_from(current, current_contacts)
    # Risk and reasons in one pass through the trees (the reasons only for
    # the risky customers, who are shown them).
    risk, contributions = model.predict_explained(
        now, only=REASON_FEATURES, from_risk=REASONS_FROM_RISK
    )
    out.loc[risk.index, "churn_risk"] = risk.to_numpy()
    risky = contributions.index
    if len(risky):
        found = _reasons(contributions, now.loc[risky, contributions.columns])
        out.loc[risky, "churn_reasons"] = pd.Series(found, index=risky, dtype=object)
    info = {
        "cutoff": cutoff.isoformat(),
        "training_customers": int(model.n_customers_),
        "training_churn_rate": round(float(model.churn_rate_), 6),
        "calibration": model.calibration_,
    }
    return out, info, notes


def _no_churn_note(cutoff: dt.date) -> dict[str, str]:
    return {
        "message_en": f"Not enough history to learn churn (customers known on {cutoff} "
        "and what they did in the 90 days after): churn risk is left empty.",
        "message_zh": f"历史数据不足以学习流失模型(需要 {cutoff} 已有的客户及其后 90 天的行为):"
        "流失风险为空。",
    }


def score_frame(
    *,
    as_of: dt.date,
    customers: pd.DataFrame,
    purchases: pd.DataFrame,
    engagement: pd.DataFrame,
    churn: pd.DataFrame,
    settings: Any,
    cv_window: int,
    clv: tuple[pd.DataFrame, dict[str, Any], list[dict[str, str]]] | None = None,
) -> Scored:
    """Every customer's snapshot columns, indexed by customer id (ascending).

    ``customers``: ``customer_id`` of everyone; ``purchases``: the shared
    purchase features at ``as_of`` (buyers only); ``engagement``: counts per
    interaction kind in the emotion window; ``churn``: from
    :func:`churn_columns`.
    """
    ids = customers["customer_id"].to_numpy()
    frame = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    bought = purchases.set_index("customer_id")
    # Every purchase column lined up with all customers at once (NaN for the
    # prospects), not one reindex per column.
    aligned = bought.reindex(frame.index)
    epoch = dt.date(1970, 1, 1)
    end = (as_of - epoch).days
    frame["orders"] = aligned["orders"].fillna(0).astype("int64")
    frame["total_spend"] = aligned["total_spend"].fillna(0.0).round(2)
    first = aligned["first_day"]
    last = aligned["last_day"]
    frame["first_day"] = first
    frame["last_day"] = last
    frame["days_since_last_purchase"] = (end - last).astype("Int64")
    frame["customer_days"] = (end - first).astype(float)
    gap = aligned["mean_interpurchase_days"].astype(float)
    frame["mean_gap_days"] = gap.where(gap > 0)
    frame["orders_30d"] = aligned["purchase_days_30d"].fillna(0).astype("int64")
    frame["spend_30d"] = aligned["spend_30d"].fillna(0.0).round(2)
    rfm = rfm_columns(bought).reindex(frame.index)
    for column in ("r_score", "f_score", "m_score"):
        frame[column] = rfm[column].astype("Int64")
    frame["rfm_segment"] = rfm["rfm_segment"].fillna("").astype(object)
    values = value_columns(bought, settings, cv_window).reindex(frame.index)
    frame["current_value"] = values["current_value"].fillna(0.0).round(2)
    frame["value_score"] = values["value_score"].fillna(0.0)
    cv_high = values["cv_high"].fillna(False).astype(bool)
    clv_frame, models, notes = (
        clv
        if clv is not None
        else clv_columns(bought, horizon_months=int(settings.pv_horizon_months))
    )
    frame["p_alive"] = clv_frame["p_alive"].reindex(frame.index)
    frame["expected_purchases_90d"] = clv_frame["expected_purchases_90d"].reindex(
        frame.index
    )
    potential = clv_frame["potential_value"].reindex(frame.index).fillna(0.0)
    frame["potential_value"] = potential.round(2)
    is_buyer = frame["orders"] > 0
    if settings.cut_method == "amount":
        pv_high = frame["potential_value"] >= float(settings.pv_cut_amount)
    else:
        pv_high = pd.Series(False, index=frame.index)
        buyers = frame.loc[is_buyer, "potential_value"]
        pv_high.loc[buyers.index] = _high(buyers, float(settings.pv_top_percent))
    frame["quadrant"] = quadrant_of(cv_high & is_buyer, pv_high & is_buyer)
    frame["stage"] = stage_of(frame, settings)
    counts = (
        engagement.set_index("customer_id")
        .reindex(frame.index)
        .fillna(0)
        .astype("int64")
    )
    for kind in ENGAGEMENT_POINTS:
        if kind not in counts.columns:
            counts[kind] = 0
    window = int(settings.emotion_window_days)
    recent_days = _purchase_days_in(bought, window, frame.index)
    emotion, emotion_reasons = emotion_of(counts, recent_days, is_buyer, settings)
    frame["emotion"] = emotion
    frame["emotion_reasons"] = pd.Series(
        emotion_reasons, index=frame.index, dtype=object
    )
    frame["churn_risk"] = churn["churn_risk"].reindex(frame.index)
    reasons = churn["churn_reasons"].reindex(frame.index)
    frame["churn_reasons"] = reasons.fillna("[]")
    return Scored(frame=frame, notes=notes, models=models)


def _purchase_days_in(bought: pd.DataFrame, window: int, index: pd.Index) -> pd.Series:
    """Purchase days in the last ``window`` days (the nearest feature window
    at or above it; the windows are computed for 30, 90, 180 and 365)."""
    column = f"purchase_days_{window}d"
    if column not in bought.columns:
        candidates = sorted(
            int(c.split("_")[2][:-1])
            for c in bought.columns
            if c.startswith("purchase_days_")
        )
        wider = [w for w in candidates if w >= window] or candidates[-1:]
        column = f"purchase_days_{wider[0]}d"
    return bought[column].reindex(index).fillna(0).astype("int64")
