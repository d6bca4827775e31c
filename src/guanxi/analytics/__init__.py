"""Pure-Python analytics engine: RFM, CLV models, churn risk, cohorts.

Imports no Django and no Guanxi app (an import-linter contract checks it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from guanxi.analytics.clv import BetaGeo, GammaGamma, ParetoNBD
from guanxi.analytics.cohorts import cohort_revenue, repurchase_rate, retention_table
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.rfm import BusinessSegment, RFMScorer, rfm_table
from guanxi.analytics.summary import rfm_summary

if TYPE_CHECKING:
    from guanxi.analytics.churn import ChurnBacktestReport, ChurnClassifier, backtest
    from guanxi.analytics.features import (
        connect_duckdb,
        connect_spark,
        customer_features,
        read_transactions,
        rfm_summary_ibis,
    )

# Imported on first use: they load scikit-learn and Ibis, which take seconds.
_LAZY = {
    "ChurnBacktestReport": "guanxi.analytics.churn",
    "ChurnClassifier": "guanxi.analytics.churn",
    "backtest": "guanxi.analytics.churn",
    "connect_duckdb": "guanxi.analytics.features",
    "connect_spark": "guanxi.analytics.features",
    "customer_features": "guanxi.analytics.features",
    "read_transactions": "guanxi.analytics.features",
    "rfm_summary_ibis": "guanxi.analytics.features",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'guanxi.analytics' has no attribute '{name}'")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__: list[str] = [
    "AnalyticsInputError",
    "BetaGeo",
    "BusinessSegment",
    "ChurnBacktestReport",
    "ChurnClassifier",
    "GammaGamma",
    "ParetoNBD",
    "RFMScorer",
    "backtest",
    "cohort_revenue",
    "connect_duckdb",
    "connect_spark",
    "customer_features",
    "read_transactions",
    "repurchase_rate",
    "retention_table",
    "rfm_summary",
    "rfm_summary_ibis",
    "rfm_table",
]
