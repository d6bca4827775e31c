"""CLV fitting machinery: staged fits, quasi-Newton refinement, layouts of the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guanxi.analytics import BetaGeo, GammaGamma, ParetoNBD
from guanxi.analytics.clv import _base, _optimize
from guanxi.analytics.clv._base import (
    CLVModel,
    FloatArray,
    collapse,
    frequency_index,
    frequency_order,
)
from guanxi.analytics.clv.simulate import (
    simulate_bgnbd,
    simulate_gamma_gamma,
    simulate_paretonbd,
)


@pytest.fixture(scope="module")
def purchases() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    frame = simulate_bgnbd(
        20_000,
        r=0.243,
        alpha=4.414,
        a=0.793,
        b=2.426,
        T=rng.uniform(1, 78, 20_000),
        random_state=rng,
    )
    frame["monetary_value"] = simulate_gamma_gamma(
        frame["frequency"], p=6.25, q=3.74, v=15.44, random_state=rng
    )
    return frame


@pytest.fixture(scope="module")
def pareto() -> pd.DataFrame:
    rng = np.random.default_rng(22)
    return simulate_paretonbd(
        20_000,
        r=0.553,
        alpha=10.578,
        s=0.606,
        beta=11.669,
        T=rng.uniform(1, 78, 20_000),
        random_state=rng,
    )


@pytest.mark.parametrize(
    ("make", "frame_name"),
    [(BetaGeo, "purchases"), (GammaGamma, "purchases"), (ParetoNBD, "pareto")],
)
def test_staged_fit_finds_the_direct_optimum(
    make: type[CLVModel],
    frame_name: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame: pd.DataFrame = request.getfixturevalue(frame_name)
    direct = make().fit(frame)  # L-BFGS-B on all rows: too few for stages
    # Above 1,000 distinct rows: L-BFGS-B on every 8th of every 8th row
    # (~300), quasi-Newton steps on every 8th (~2,500), then on all.
    monkeypatch.setattr(_base, "_WARM_START_ABOVE", 1_000)
    staged = make().fit(frame)
    for name, value in direct.params_.items():
        assert staged.params_[name] == pytest.approx(value, rel=2e-6), name
    assert staged.log_likelihood_ == pytest.approx(direct.log_likelihood_, rel=1e-12)
    assert staged.n_iter_ < direct.n_iter_


def test_failed_refinement_falls_back_to_lbfgs(
    purchases: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = BetaGeo().fit(purchases)
    monkeypatch.setattr(_base, "_WARM_START_ABOVE", 1_000)
    monkeypatch.setattr(_optimize, "_REFINE_ITERATIONS", 0)
    calls: list[int] = []
    refine = _optimize._refine

    def counted(*args: object) -> object:
        found = refine(*args)  # type: ignore[arg-type]
        calls.append(found is None)
        return found

    monkeypatch.setattr(_base, "_refine", counted)
    fallback = BetaGeo().fit(purchases)
    assert calls == [True, True]  # both stages gave way to L-BFGS-B
    for name, value in direct.params_.items():
        assert fallback.params_[name] == pytest.approx(value, rel=2e-6), name


def test_log_likelihood_is_the_value_at_the_parameters(
    purchases: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_base, "_WARM_START_ABOVE", 1_000)
    for model in (BetaGeo().fit(purchases), GammaGamma().fit(purchases)):
        params = model._fitted()
        value, _ = model._log_likelihood(params, model._fit_data)
        assert model.log_likelihood_ == value


def test_refine_is_newton_on_a_quadratic() -> None:
    matrix = np.array([[4.0, 1.0], [1.0, 3.0]])
    target = np.array([0.5, -2.0])

    def objective(theta: FloatArray) -> tuple[float, FloatArray, float]:
        gap = theta - target
        loss = 0.5 * float(gap @ matrix @ gap)
        return loss, matrix @ gap, -loss

    # With the exact Hessian, one step lands on the minimum.
    found = _optimize._refine(objective, np.zeros(2), matrix, 1e-12)
    assert found is not None
    np.testing.assert_allclose(found.theta, target, rtol=1e-14)
    assert found.iterations == 1
    # With a poor one, BFGS updates and halving still get there.
    found = _optimize._refine(objective, np.zeros(2), np.diag([0.1, 40.0]), 1e-10)
    assert found is not None
    np.testing.assert_allclose(found.theta, target, rtol=1e-8)
    # A Hessian that is not positive definite gives way to L-BFGS-B.
    assert _optimize._refine(objective, np.zeros(2), -matrix, 1e-10) is None


def test_hessian_of_a_quadratic() -> None:
    matrix = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 2.0]])

    def objective(theta: FloatArray) -> tuple[float, FloatArray, float]:
        return 0.5 * float(theta @ matrix @ theta), matrix @ theta, 0.0

    point = np.array([0.3, -1.0, 2.0])
    hessian = _optimize._hessian(objective, point, matrix @ point)
    np.testing.assert_allclose(hessian, matrix, rtol=1e-9, atol=1e-9)


def test_frequency_order_sorts_by_frequency_then_within() -> None:
    rng = np.random.default_rng(1)
    t = rng.uniform(0, 50, 5000)
    for x in (
        rng.integers(0, 40, 5000).astype(float),
        rng.integers(0, 70_000, 5000).astype(float),  # beyond int16
        rng.integers(0, 40, 5000) / 4.0,  # not whole
    ):
        np.testing.assert_array_equal(frequency_order(x, t), np.lexsort((t, x)))
        order = frequency_order(x)
        np.testing.assert_array_equal(order, np.argsort(x, kind="stable"))


@pytest.mark.parametrize(
    "x",
    [
        [3.0, 0.0, 3.0, 7.0, 1.0],
        [2.5, 1.0, 2.5, 0.0],  # not whole numbers
        [5.0, -1.0, 5.0],  # negative
        [1e9, 2.0, 1e9],  # too large a range to count
        [np.nan, 1.0, 1.0],
        [],
    ],
)
def test_frequency_index_is_unique_with_inverse(x: list[float]) -> None:
    values = np.array(x, dtype=np.float64)
    unique, inverse = frequency_index(values)
    expected_unique, expected_inverse = np.unique(values, return_inverse=True)
    np.testing.assert_array_equal(unique, expected_unique)
    np.testing.assert_array_equal(inverse, expected_inverse)
    assert inverse.dtype == np.intp


def test_collapse_keeps_or_merges_rows_exactly() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(0, 4, 200_000).astype(float)
    t_x = np.zeros_like(x)
    for big_t, merged in [
        (rng.choice([10.0, 20.0, 30.0], 200_000), True),
        (rng.uniform(1, 78, 200_000), False),
    ]:
        rows = collapse(x, t_x, big_t)
        assert (len(rows.weight) < 20) is merged
        assert rows.weight.sum() == 200_000
        # Each distinct row carries the number of rows equal to it.
        frame = pd.DataFrame({"x": x, "T": big_t}).value_counts()
        kept = (
            pd.Series(
                rows.weight,
                index=pd.MultiIndex.from_arrays([rows.columns[0], rows.columns[2]]),
            )
            .groupby(level=[0, 1])
            .sum()
        )
        pd.testing.assert_series_equal(
            kept.sort_index(), frame.sort_index().astype(float), check_names=False
        )
