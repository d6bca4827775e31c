"""Report functions: one analysis of checked transactions, for every caller.

``guanxi analyze`` and the scoring runs (the insights app) call the same
functions on a :class:`~guanxi.analytics.transactions.Transactions`; each
returns a frozen report with ``to_dict()`` (JSON-ready: what ``--json``
prints and a scoring run stores), ``table`` (one row per customer, or per
cohort and month: what ``--out`` writes), ``warnings`` (bilingual
:class:`Notice` objects) and ``lines()`` (the bilingual text summary).
:func:`churn_report` lives in :mod:`guanxi.analytics.churn_backtest`.

Zero and negative amounts (free items, refunds) stop no analysis. The CLV
report fits the purchase model on every customer and Gamma-Gamma on the
repeat buyers with a positive mean spend; the others' expected spend per
purchase is Gamma-Gamma's own estimate at a mean spend of 0 (see
:meth:`~guanxi.analytics.clv.gammagamma.GammaGamma.expected_average_value`),
and a warning names them with the line of their first such purchase.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from guanxi.analytics.cohorts import cohort_revenue, repurchase_rate, retention_table
from guanxi.analytics.dates import DateLike, date_of_day, day_number
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.rfm import (
    SEGMENT_LABELS_EN,
    SEGMENT_LABELS_ZH,
    RFMScorer,
    rfm_table,
)
from guanxi.analytics.summary import CustomerSummary, TimeUnit, summarise
from guanxi.analytics.transactions import Transactions

if TYPE_CHECKING:
    from guanxi.analytics.clv import GammaGamma
    from guanxi.analytics.clv._base import PurchaseModel

__all__ = [
    "MODEL_NAMES",
    "ClvReport",
    "CohortsReport",
    "Notice",
    "RfmReport",
    "clv_report",
    "cohorts_report",
    "rfm_report",
]

#: Purchase models by their key in options and JSON.
MODEL_NAMES = {"bgnbd": "BG/NBD", "pnbd": "Pareto/NBD"}
#: Customers named in a warning before "and n more".
_NAMED = 5


@dataclass(frozen=True)
class Notice:
    """A message for the user in both languages."""

    en: str
    zh: str

    def to_dict(self) -> dict[str, str]:
        return {"message_en": self.en, "message_zh": self.zh}


# -- rfm ----------------------------------------------------------------------


@dataclass(frozen=True)
class RfmReport:
    """RFM scores and segments of every customer at the observation end."""

    observation_end: dt.date
    scores: pd.DataFrame
    edges: dict[str, tuple[float, ...]]
    warnings: tuple[Notice, ...] = ()

    @property
    def table(self) -> pd.DataFrame:
        return self.scores.reset_index()

    def segments(self) -> dict[str, dict[str, Any]]:
        counts = self.scores["segment"].value_counts()
        return {
            key: {
                "name_en": SEGMENT_LABELS_EN[key],
                "name_zh": SEGMENT_LABELS_ZH[key],
                "customers": int(counts.get(key, 0)),
            }
            for key in SEGMENT_LABELS_EN
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "customers": len(self.scores),
            "observation_end": self.observation_end.isoformat(),
            "edges": {k: list(v) for k, v in self.edges.items()},
            "segments": self.segments(),
        }

    def lines(self) -> list[str]:
        shown = [
            f"Customers / 客户数: {len(self.scores)}  "
            f"(as of / 截至 {self.observation_end})",
            "Segment / 分群                        customers / 客户数",
        ]
        for info in self.segments().values():
            label = f"{info['name_en']} / {info['name_zh']}"
            shown.append(f"  {label:<34}{info['customers']:>8}")
        return shown


def rfm_report(
    transactions: Transactions, *, observation_end: DateLike | None = None
) -> RfmReport:
    """Quantile RFM scores (:class:`~guanxi.analytics.rfm.RFMScorer`) and segments."""
    end = date_of_day(transactions.end_day(observation_end))
    scores, edges = _rfm_scores(transactions, end)
    return RfmReport(observation_end=end, scores=scores, edges=edges)


def _rfm_scores(
    transactions: Transactions, end: dt.date
) -> tuple[pd.DataFrame, dict[str, tuple[float, ...]]]:
    table = rfm_table(transactions, observation_end=end)
    scorer = RFMScorer().fit(table)
    return table.join(scorer.transform(table)), dict(scorer.edges_)


# -- clv ----------------------------------------------------------------------


@dataclass(frozen=True)
class LeftOut:
    """A repeat buyer left out of the spend model: mean spend 0 or less."""

    customer_id: Any
    mean_spend: float
    row: str


@dataclass(frozen=True)
class ClvReport:
    """Purchase model, spend model and per-customer predictions (see :func:`clv_report`)."""

    summary: CustomerSummary
    model_key: str
    model: PurchaseModel
    spend: GammaGamma | None
    months: int
    customers: pd.DataFrame = field(repr=False)
    left_out: tuple[LeftOut, ...] = ()
    no_spend_model: bool = False

    @property
    def table(self) -> pd.DataFrame:
        """One row per customer (see :func:`clv_report`)."""
        return self.customers.reset_index()

    @property
    def warnings(self) -> tuple[Notice, ...]:
        if self.no_spend_model:
            return (
                Notice(
                    en="no repeat buyer with a positive mean repeat spend: no spend "
                    "model (Gamma-Gamma), so no CLV",
                    zh="没有平均复购金额为正的复购客户：无法建立消费金额模型"
                    "（Gamma-Gamma），因此不计算客户终身价值",
                ),
            )
        if not self.left_out:
            return ()
        count = len(self.left_out)
        named = ", ".join(f"{c.customer_id} ({c.row})" for c in self.left_out[:_NAMED])
        named_zh = "，".join(
            f"{c.customer_id}（{_row_zh(c.row)}）" for c in self.left_out[:_NAMED]
        )
        more = count - _NAMED
        return (
            Notice(
                en=f"{count} repeat buyer{'s' if count > 1 else ''} with a mean "
                "repeat spend of 0 or less (free items, refunds) left out of the "
                "spend model (Gamma-Gamma) and valued at zero spend per purchase: "
                f"customer {named}" + (f" and {more} more" if more > 0 else ""),
                zh=f"{count} 位复购客户的平均复购金额不大于 0（赠品、退款），未纳入"
                f"消费金额模型（Gamma-Gamma），按每次购买零消费估值：客户 {named_zh}"
                + (f" 等另外 {more} 位" if more > 0 else ""),
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        summary = self.summary
        result: dict[str, Any] = {
            "customers": len(summary),
            "time_unit": summary.time_unit,
            "observation_end": _iso(summary.observation_end),
            "calibration_end": _iso(summary.calibration_end),
            self.model_key: _fitted(self.model),
        }
        if self.spend is not None:
            result["gamma_gamma"] = {
                **_fitted(self.spend),
                "customers": self.spend.n_customers_,
                "left_out": {
                    "no_repeat_purchase": self.spend.n_one_time_,
                    "mean_spend_not_positive": self.spend.n_not_positive_,
                },
            }
        result["horizon_months"] = self.months
        result["expected_purchases"] = float(self.customers["expected_purchases"].sum())
        result["clv"] = (
            float(self.customers["clv"].sum()) if self.spend is not None else None
        )
        if summary.calibration_end is not None:
            frame = summary.frame
            result["holdout"] = {
                "duration": float(frame["duration_holdout"].iloc[0]),
                "predicted_purchases": float(
                    self.customers["expected_purchases_holdout"].sum()
                ),
                "actual_purchases": float(frame["frequency_holdout"].sum()),
            }
        result["warnings"] = [notice.to_dict() for notice in self.warnings]
        return result

    def lines(self) -> list[str]:
        result = self.to_dict()
        shown = [
            f"Customers / 客户数: {result['customers']}  "
            f"(time unit / 时间单位 {result['time_unit']})"
        ]
        for name, label in (
            (self.model_key, MODEL_NAMES[self.model_key]),
            ("gamma_gamma", "Gamma-Gamma"),
        ):
            if name in result:
                fitted = result[name]
                params = ", ".join(f"{k} {v:.4f}" for k, v in fitted["params"].items())
                shown.append(
                    f"{label}: {params}; log-likelihood / 对数似然 "
                    f"{fitted['log_likelihood']:.2f}"
                )
        months = self.months
        shown.append(
            f"Expected purchases in {months} months / 未来 {months} 个月预期购买: "
            f"{result['expected_purchases']:.1f}"
        )
        if result["clv"] is not None:
            shown.append(
                f"CLV over {months} months / {months} 个月客户终身价值: "
                f"{result['clv']:.2f}"
            )
        if "holdout" in result:
            holdout = result["holdout"]
            shown.append(
                f"Holdout / 验证期: predicted / 预测 "
                f"{holdout['predicted_purchases']:.1f}, "
                f"actual / 实际 {holdout['actual_purchases']:.0f}"
            )
        return shown


def clv_report(
    transactions: Transactions,
    *,
    model: Literal["bgnbd", "pnbd"] = "bgnbd",
    time_unit: TimeUnit = "D",
    observation_end: DateLike | None = None,
    calibration_end: DateLike | None = None,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
) -> ClvReport:
    """BG/NBD or Pareto/NBD, Gamma-Gamma with amounts, and per-customer values.

    The purchase model is fitted on every customer known by the calibration
    end (the observation end without one); Gamma-Gamma on the repeat buyers
    with a positive mean repeat spend. ``table`` has one row per customer:
    the summary, ``expected_purchases`` (in ``horizon_months`` months of 30
    days), ``probability_alive``, ``expected_average_value`` and ``clv``
    (discounted at ``discount_rate`` a month; both empty without amounts),
    with a calibration end ``frequency_holdout`` and
    ``expected_purchases_holdout``, and the RFM scores and segment as of the
    calibration end (else the observation end). Without a repeat buyer with
    a positive mean spend there is no spend model and a warning says so.
    """
    # The CLV models load SciPy: only here, not for the other reports.
    from guanxi.analytics.clv import BetaGeo, GammaGamma, ParetoNBD

    if model not in MODEL_NAMES:
        raise AnalyticsInputError(f"model: '{model}' is not one of bgnbd, pnbd")
    end = transactions.end_day(observation_end)
    if calibration_end is not None:
        cut = day_number(calibration_end, "calibration_end")
        if cut >= end:
            raise AnalyticsInputError(
                f"calibration_end: {date_of_day(cut)} is not before the observation "
                f"end ({date_of_day(end)})"
            )
    summary = summarise(
        transactions,
        observation_end=date_of_day(end),
        calibration_end=calibration_end,
        time_unit=time_unit,
    )
    purchases: PurchaseModel = BetaGeo() if model == "bgnbd" else ParetoNBD()
    purchases.fit(summary)
    frame = summary.frame
    spend, no_spend_model = None, False
    if transactions.amounts is not None:
        if bool(((frame["frequency"] > 0) & (frame["monetary_value"] > 0)).any()):
            spend = GammaGamma().fit(summary)
        else:
            no_spend_model = True
    x, t_x, big_t = (frame[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    month = 30.0 / summary.days_per_unit
    table = frame[["frequency", "recency", "T", "monetary_value"]].copy()
    table["expected_purchases"] = purchases.expected_purchases(
        horizon_months * month, x, t_x, big_t
    )
    table["probability_alive"] = purchases.probability_alive(x, t_x, big_t)
    if spend is not None:
        table["expected_average_value"] = spend.expected_average_value(
            x, frame["monetary_value"]
        )
        table["clv"] = purchases.clv(
            spend, summary, months=horizon_months, discount_rate=discount_rate
        )
    else:
        table["expected_average_value"] = np.nan
        table["clv"] = np.nan
    if summary.calibration_end is not None:
        table["frequency_holdout"] = frame["frequency_holdout"]
        table["expected_purchases_holdout"] = purchases.expected_purchases(
            float(frame["duration_holdout"].iloc[0]), x, t_x, big_t
        )
    as_of = summary.calibration_end or date_of_day(end)
    scores, _ = _rfm_scores(transactions.until(day_number(as_of, "as_of")), as_of)
    rfm_columns = [c for c in scores.columns if c.endswith("_score")]
    table = table.join(scores[[*rfm_columns, "rfm_cell", "segment", "segment_zh"]])
    table.index.name = "customer_id"
    return ClvReport(
        summary=summary,
        model_key=model,
        model=purchases,
        spend=spend,
        months=horizon_months,
        customers=table,
        left_out=_left_out(transactions, summary) if spend is not None else (),
        no_spend_model=no_spend_model,
    )


def _left_out(
    transactions: Transactions, summary: CustomerSummary
) -> tuple[LeftOut, ...]:
    """The repeat buyers with a mean spend of 0 or less, with the line of
    their first repeat purchase worth 0 or less."""
    frame = summary.frame
    left = frame.index[(frame["frequency"] > 0) & (frame["monetary_value"] <= 0)]
    if len(left) == 0 or transactions.amounts is None:
        return ()
    codes, ids = transactions.codes
    first_day = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first_day, codes, transactions.days)
    cut = day_number(summary.calibration_end or summary.observation_end, "end")
    wanted = np.isin(ids, np.asarray(left))[codes]
    rows = (
        wanted
        & (transactions.days > first_day[codes])
        & (transactions.days <= cut)
        & (transactions.amounts <= 0)
    )
    first = transactions.first_rows(rows)
    return tuple(
        LeftOut(
            customer_id=customer,
            mean_spend=float(frame["monetary_value"].loc[customer]),
            row=transactions.row_name(first[customer]),
        )
        for customer in sorted(first, key=first.__getitem__)
    )


def _fitted(model: Any) -> dict[str, Any]:
    return {
        "params": dict(model.params_),
        "log_likelihood": model.log_likelihood_,
        "standard_errors": dict(model.standard_errors_),
    }


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _row_zh(row: str) -> str:
    kind, _, number = row.partition(" ")
    return f"第 {number} {'行' if kind in ('line', 'row') else kind}"


# -- cohorts ------------------------------------------------------------------


@dataclass(frozen=True)
class CohortsReport:
    """Monthly acquisition cohorts: active customers, retention, repurchase, revenue."""

    observation_end: dt.date
    counts: pd.DataFrame
    rates: pd.DataFrame
    repeat: pd.DataFrame
    revenue: pd.DataFrame | None
    warnings: tuple[Notice, ...] = ()

    @property
    def table(self) -> pd.DataFrame:
        """One row per observed (cohort, month); later months are left out."""
        rows, months = np.nonzero(self.counts.notna().to_numpy())
        long = pd.DataFrame(
            {
                "cohort": self.counts.index.astype(str).to_numpy()[rows],
                "months_since_first": self.counts.columns.to_numpy(dtype=np.int64)[
                    months
                ],
                "customers": self.counts.to_numpy(dtype=float, na_value=np.nan)[
                    rows, months
                ].astype(np.int64),
                "retention_rate": self.rates.to_numpy(dtype=float)[rows, months],
            }
        )
        if self.revenue is not None:
            long["revenue"] = self.revenue.to_numpy(dtype=float)[rows, months]
        return long

    def to_dict(self) -> dict[str, Any]:
        cohorts = []
        for cohort in self.counts.index:
            entry: dict[str, Any] = {
                "cohort": str(cohort),
                "customers": int(self.counts.loc[cohort, 0]),
                "repeat_customers": int(self.repeat.loc[cohort, "repeat_customers"]),
                "repurchase_rate": float(self.repeat.loc[cohort, "repurchase_rate"]),
                "active": [int(v) for v in self.counts.loc[cohort].dropna()],
                "retention": [float(v) for v in self.rates.loc[cohort].dropna()],
            }
            if self.revenue is not None:
                entry["revenue"] = [float(v) for v in self.revenue.loc[cohort].dropna()]
            cohorts.append(entry)
        return {"observation_end": self.observation_end.isoformat(), "cohorts": cohorts}

    def lines(self) -> list[str]:
        shown = self.rates.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
        shown.insert(
            0,
            "repurchase / 复购率",
            self.repeat["repurchase_rate"].map("{:.0%}".format),
        )
        shown.insert(0, "customers / 客户数", self.counts[0].astype(int))
        return [
            f"Retention by cohort / 同期群留存率 (as of / 截至 {self.observation_end})",
            *shown.to_string().splitlines(),
        ]


def cohorts_report(
    transactions: Transactions, *, observation_end: DateLike | None = None
) -> CohortsReport:
    """Retention, repurchase rate and (with amounts) revenue by monthly cohort."""
    end = date_of_day(transactions.end_day(observation_end))
    counts = retention_table(transactions, observation_end=end)
    return CohortsReport(
        observation_end=end,
        counts=counts,
        rates=counts.astype(float).div(counts[0].astype(float), axis=0),
        repeat=repurchase_rate(transactions, observation_end=end),
        revenue=(
            cohort_revenue(transactions, observation_end=end)
            if transactions.amounts is not None
            else None
        ),
    )
