"""Lift of a treatment against a holdout group, with 95 % intervals (pure
Python; scipy for Student's t).

- **Conversion**: the difference of two proportions ``p_t − p_h`` with the
  normal approximation (Wald): ``SE = √(p_t(1−p_t)/n_t + p_h(1−p_h)/n_h)``
  and the interval ``d ± z·SE``, ``z = 1.95996``.
- **Revenue per customer**: Welch's unequal-variances t interval for the
  difference of two means (Welch 1947): ``SE = √(s_t²/n_t + s_h²/n_h)``,
  the Welch–Satterthwaite degrees of freedom
  ``ν = SE⁴ / ((s_t²/n_t)²/(n_t−1) + (s_h²/n_h)²/(n_h−1))`` and the interval
  ``d ± t(0.975, ν)·SE``; ``s²`` is the sample variance (``n − 1``),
  computed from the sums ``Σx`` and ``Σx²`` a database returns.

A verdict says what can be read: ``too_small`` when either group has fewer
than ``MIN_GROUP`` members (the normal approximation and the variance
estimates are not to be trusted below it, the same threshold the survey
figures use), ``unclear`` when the interval includes 0, else ``higher`` or
``lower``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "MIN_GROUP",
    "Z95",
    "Difference",
    "GroupSums",
    "conversion_lift",
    "revenue_lift",
]

Z95 = 1.959963984540054
#: Fewer members than this in either group: too small to tell.
MIN_GROUP = 30


@dataclass(frozen=True)
class GroupSums:
    """One group's figures as a database sums them: members ``n``, members
    who converted, ``Σ revenue`` and ``Σ revenue²`` (one value per member)."""

    n: int
    converted: int
    revenue: float
    revenue_squares: float

    @property
    def rate(self) -> float | None:
        return self.converted / self.n if self.n else None

    @property
    def mean(self) -> float | None:
        return self.revenue / self.n if self.n else None

    @property
    def variance(self) -> float | None:
        """The sample variance of revenue per member (``n − 1``)."""
        if self.n < 2:
            return None
        spread = self.revenue_squares - self.revenue * self.revenue / self.n
        return max(spread, 0.0) / (self.n - 1)


@dataclass(frozen=True)
class Difference:
    """Treated minus holdout, its 95 % interval and what can be read."""

    treated: float | None
    holdout: float | None
    difference: float | None
    low: float | None
    high: float | None
    verdict: str

    def as_dict(self) -> dict[str, float | str | None]:
        return {
            "treated": self.treated,
            "holdout": self.holdout,
            "difference": self.difference,
            "low": self.low,
            "high": self.high,
            "verdict": self.verdict,
        }


def _verdict(low: float, high: float) -> str:
    if low <= 0.0 <= high:
        return "unclear"
    return "higher" if low > 0.0 else "lower"


def _too_small(treated: GroupSums, holdout: GroupSums) -> bool:
    return treated.n < MIN_GROUP or holdout.n < MIN_GROUP


def conversion_lift(treated: GroupSums, holdout: GroupSums) -> Difference:
    """The difference of conversion rates with its normal-approximation
    interval."""
    p_t, p_h = treated.rate, holdout.rate
    if p_t is None or p_h is None:
        return Difference(p_t, p_h, None, None, None, "too_small")
    diff = p_t - p_h
    se = math.sqrt(p_t * (1 - p_t) / treated.n + p_h * (1 - p_h) / holdout.n)
    low, high = diff - Z95 * se, diff + Z95 * se
    verdict = "too_small" if _too_small(treated, holdout) else _verdict(low, high)
    return Difference(p_t, p_h, diff, low, high, verdict)


def revenue_lift(treated: GroupSums, holdout: GroupSums) -> Difference:
    """The difference of revenue per member with Welch's interval."""
    m_t, m_h = treated.mean, holdout.mean
    v_t, v_h = treated.variance, holdout.variance
    if m_t is None or m_h is None or v_t is None or v_h is None:
        return Difference(m_t, m_h, None, None, None, "too_small")
    diff = m_t - m_h
    a, b = v_t / treated.n, v_h / holdout.n
    se = math.sqrt(a + b)
    if se == 0.0:
        # Everyone in both groups spent the same: the difference is exact.
        low = high = diff
    else:
        df = (a + b) ** 2 / (a * a / (treated.n - 1) + b * b / (holdout.n - 1))
        # SciPy when a report needs it (seconds of imports), not when the
        # web's views import this module.
        from scipy.stats import t as student_t

        margin = float(student_t.ppf(0.975, df)) * se
        low, high = diff - margin, diff + margin
    verdict = "too_small" if _too_small(treated, holdout) else _verdict(low, high)
    return Difference(m_t, m_h, diff, low, high, verdict)
