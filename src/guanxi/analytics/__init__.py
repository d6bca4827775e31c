"""Pure-Python analytics engine: RFM, CLV models, churn risk, cohorts.

Imports no Django and no Guanxi app (an import-linter contract checks it).
"""

from __future__ import annotations

__all__: list[str] = []
