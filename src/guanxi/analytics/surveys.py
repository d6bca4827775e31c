"""NPS and CSAT with their confidence intervals (pure Python).

- **NPS** = 100 × (share of promoters, 9–10, − share of detractors, 0–6).
  Each answer scores +1, 0 or −1; the variance of that score is
  ``p + d − (p − d)²``, so the standard error of the difference is
  ``100 × √((p + d − (p − d)²) / n)`` and the 95 % interval NPS ± 1.96 SE.
- **CSAT** = share of answers 4–5 of 5, with the Wilson score interval
  (Wilson 1927), which stays inside 0–1 and behaves for small samples:
  ``(p̂ + z²/2n ± z √(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)``.

Below ``MIN_SAMPLE`` answers the figures are still computed but flagged as
too small to read (``small``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["MIN_SAMPLE", "Z95", "CsatFigure", "NpsFigure", "csat_of", "nps_of"]

Z95 = 1.959963984540054
#: Fewer answers than this: the interval is too wide to read.
MIN_SAMPLE = 30


@dataclass(frozen=True)
class NpsFigure:
    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    se: float | None
    low: float | None
    high: float | None

    @property
    def small(self) -> bool:
        return self.n < MIN_SAMPLE


@dataclass(frozen=True)
class CsatFigure:
    n: int
    satisfied: int
    share: float | None
    low: float | None
    high: float | None
    mean: float | None

    @property
    def small(self) -> bool:
        return self.n < MIN_SAMPLE


def nps_of(scores: Iterable[int]) -> NpsFigure:
    """NPS of 0–10 scores with its standard error and 95 % interval."""
    promoters = passives = detractors = 0
    for score in scores:
        if score >= 9:
            promoters += 1
        elif score >= 7:
            passives += 1
        else:
            detractors += 1
    n = promoters + passives + detractors
    if n == 0:
        return NpsFigure(0, 0, 0, 0, None, None, None, None)
    p, d = promoters / n, detractors / n
    nps = 100 * (p - d)
    se = 100 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / n)
    return NpsFigure(
        n, promoters, passives, detractors, nps, se, nps - Z95 * se, nps + Z95 * se
    )


def csat_of(scores: Iterable[int]) -> CsatFigure:
    """Share of 4–5 among 1–5 scores with its Wilson 95 % interval."""
    values = list(scores)
    n = len(values)
    if n == 0:
        return CsatFigure(0, 0, None, None, None, None)
    satisfied = sum(1 for s in values if s >= 4)
    p = satisfied / n
    z2 = Z95 * Z95
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return CsatFigure(
        n, satisfied, p, max(0.0, centre - half), min(1.0, centre + half),
        sum(values) / n,
    )  # fmt: skip
