"""NPS and CSAT with their intervals on constructed examples whose answers
are worked out by hand."""

from __future__ import annotations

import math

import pytest

from guanxi.analytics.surveys import csat_of, nps_of


def test_nps_of_fifty_promoters_thirty_passives_twenty_detractors() -> None:
    scores = [10] * 30 + [9] * 20 + [8] * 15 + [7] * 15 + [6] * 10 + [0] * 10
    figure = nps_of(scores)
    assert (figure.n, figure.promoters, figure.passives, figure.detractors) == (
        100, 50, 30, 20,
    )  # fmt: skip
    assert figure.nps == pytest.approx(30.0)
    # Var = p + d - (p - d)^2 = 0.5 + 0.2 - 0.09 = 0.61; SE = 100 sqrt(0.61/100)
    assert figure.se == pytest.approx(7.8102, abs=1e-4)
    assert figure.low == pytest.approx(30 - 1.959964 * 7.810250, abs=1e-4)
    assert figure.high == pytest.approx(45.3077, abs=1e-3)
    assert not figure.small


def test_csat_forty_of_fifty_with_the_wilson_interval() -> None:
    figure = csat_of([5] * 25 + [4] * 15 + [3] * 5 + [2] * 3 + [1] * 2)
    assert (figure.n, figure.satisfied) == (50, 40)
    assert figure.share == pytest.approx(0.8)
    # Worked by hand: centre 0.838416/1.076829, half 0.117339/1.076829.
    assert figure.low == pytest.approx(0.6696, abs=1e-3)
    assert figure.high == pytest.approx(0.8876, abs=1e-3)
    assert figure.mean == pytest.approx((125 + 60 + 15 + 6 + 2) / 50)


def test_small_samples_are_flagged_and_empty_ones_have_no_figure() -> None:
    assert nps_of([10, 0]).small
    assert nps_of([]).nps is None
    assert csat_of([]).share is None
    everyone = csat_of([5, 5, 5])
    assert everyone.high == 1.0 and everyone.low is not None and everyone.low < 1
    assert math.isclose(nps_of([10] * 40).se or 0.0, 0.0)
