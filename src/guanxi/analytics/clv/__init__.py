"""CLV models: BG/NBD, Pareto/NBD and Gamma-Gamma, with data simulators."""

from __future__ import annotations

from guanxi.analytics.clv.bgnbd import BetaGeo
from guanxi.analytics.clv.gammagamma import GammaGamma
from guanxi.analytics.clv.paretonbd import ParetoNBD

__all__ = ["BetaGeo", "GammaGamma", "ParetoNBD"]
