"""Pure-Python analytics engine: RFM, CLV models, churn risk, cohorts.

Imports no Django and no Guanxi app (an import-linter contract checks it).
Every name below is imported on first use, so ``import guanxi.analytics.cli``
parses its arguments before pandas, SciPy or scikit-learn load (they take
most of a second; the churn classifier and Ibis, seconds).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guanxi.analytics.churn import ChurnClassifier
    from guanxi.analytics.churn_backtest import (
        ChurnBacktestReport,
        backtest,
        churn_report,
    )
    from guanxi.analytics.clv import BetaGeo, GammaGamma, ParetoNBD
    from guanxi.analytics.cohorts import (
        cohort_revenue,
        repurchase_rate,
        retention_table,
    )
    from guanxi.analytics.errors import AnalyticsInputError
    from guanxi.analytics.features import (
        connect_duckdb,
        connect_spark,
        customer_features,
        read_transactions,
    )
    from guanxi.analytics.reports import clv_report, cohorts_report, rfm_report
    from guanxi.analytics.rfm import BusinessSegment, RFMScorer, rfm_table
    from guanxi.analytics.summary import CustomerSummary, rfm_summary, summarise
    from guanxi.analytics.summary_ibis import rfm_summary_ibis
    from guanxi.analytics.transactions import Transactions

_LAZY = {
    "AnalyticsInputError": "guanxi.analytics.errors",
    "BetaGeo": "guanxi.analytics.clv",
    "BusinessSegment": "guanxi.analytics.rfm",
    "ChurnBacktestReport": "guanxi.analytics.churn_backtest",
    "ChurnClassifier": "guanxi.analytics.churn",
    "CustomerSummary": "guanxi.analytics.summary",
    "GammaGamma": "guanxi.analytics.clv",
    "ParetoNBD": "guanxi.analytics.clv",
    "RFMScorer": "guanxi.analytics.rfm",
    "Transactions": "guanxi.analytics.transactions",
    "backtest": "guanxi.analytics.churn_backtest",
    "churn_report": "guanxi.analytics.churn_backtest",
    "clv_report": "guanxi.analytics.reports",
    "cohort_revenue": "guanxi.analytics.cohorts",
    "cohorts_report": "guanxi.analytics.reports",
    "connect_duckdb": "guanxi.analytics.features",
    "connect_spark": "guanxi.analytics.features",
    "customer_features": "guanxi.analytics.features",
    "read_transactions": "guanxi.analytics.features",
    "repurchase_rate": "guanxi.analytics.cohorts",
    "retention_table": "guanxi.analytics.cohorts",
    "rfm_report": "guanxi.analytics.reports",
    "rfm_summary": "guanxi.analytics.summary",
    "rfm_summary_ibis": "guanxi.analytics.summary_ibis",
    "rfm_table": "guanxi.analytics.rfm",
    "summarise": "guanxi.analytics.summary",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'guanxi.analytics' has no attribute '{name}'")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "AnalyticsInputError",
    "BetaGeo",
    "BusinessSegment",
    "ChurnBacktestReport",
    "ChurnClassifier",
    "CustomerSummary",
    "GammaGamma",
    "ParetoNBD",
    "RFMScorer",
    "Transactions",
    "backtest",
    "churn_report",
    "clv_report",
    "cohort_revenue",
    "cohorts_report",
    "connect_duckdb",
    "connect_spark",
    "customer_features",
    "read_transactions",
    "repurchase_rate",
    "retention_table",
    "rfm_report",
    "rfm_summary",
    "rfm_summary_ibis",
    "rfm_table",
    "summarise",
]
