"""Pure-Python analytics engine: RFM, CLV models, churn risk, cohorts.

Imports no Django and no Guanxi app (an import-linter contract checks it).
"""

from __future__ import annotations

from guanxi.analytics.clv import BetaGeo, GammaGamma, ParetoNBD
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.summary import rfm_summary

__all__: list[str] = [
    "AnalyticsInputError",
    "BetaGeo",
    "GammaGamma",
    "ParetoNBD",
    "rfm_summary",
]
