"""Pure-Python analytics engine: RFM, CLV models, churn risk, cohorts.

Imports no Django and no Guanxi app (an import-linter contract checks it).
"""

from __future__ import annotations

from guanxi.analytics.clv import BetaGeo, GammaGamma, ParetoNBD
from guanxi.analytics.cohorts import cohort_revenue, repurchase_rate, retention_table
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.rfm import BusinessSegment, RFMScorer, rfm_table
from guanxi.analytics.summary import rfm_summary

__all__: list[str] = [
    "AnalyticsInputError",
    "BetaGeo",
    "BusinessSegment",
    "GammaGamma",
    "ParetoNBD",
    "RFMScorer",
    "cohort_revenue",
    "repurchase_rate",
    "retention_table",
    "rfm_summary",
    "rfm_table",
]
