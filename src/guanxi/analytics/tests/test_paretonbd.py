"""ParetoNBD: likelihood against numerical integration, gradient, stability, predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special

from guanxi.analytics import AnalyticsInputError, ParetoNBD
from guanxi.analytics.clv import paretonbd
from guanxi.analytics.clv.paretonbd import hyp2f1_1
from guanxi.analytics.clv.simulate import simulate_paretonbd

TRUE = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
CUSTOMERS = [(0, 0.0, 38.0), (2, 30.43, 38.86), (7, 3.0, 20.0), (40, 19.5, 20.0)]


def _fitted(**params: float) -> ParetoNBD:
    model = ParetoNBD()
    model.params_ = dict(params)
    return model


def _integrated(
    params: dict[str, float], x: float, t_x: float, T: float
) -> tuple[float, float]:
    """log L and P(alive) from the integral form, by numerical quadrature."""
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    front = special.gamma(r + x) / special.gamma(r) * alpha**r * beta**s
    alive = (alpha + T) ** -(r + x) * (beta + T) ** -s
    died = integrate.quad(
        lambda tau: (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1),
        t_x,
        T,
        epsabs=0,
        epsrel=1e-13,
    )[0]
    return float(np.log(front * (alive + s * died))), alive / (alive + s * died)


@pytest.mark.parametrize(
    "params",
    [
        TRUE,
        {"r": 1.5, "alpha": 2.0, "s": 2.5, "beta": 30.0},
        {"r": 0.2, "alpha": 40.0, "s": 1.0, "beta": 3.0},
    ],
)
def test_likelihood_and_alive_match_quadrature(params: dict[str, float]) -> None:
    frame = pd.DataFrame(CUSTOMERS, columns=["frequency", "recency", "T"])
    model = ParetoNBD()
    prepared = model._data(model._prepare(frame))
    value, _ = model._log_likelihood(np.array(list(params.values())), prepared)
    direct = [_integrated(params, *row) for row in CUSTOMERS]
    assert value == pytest.approx(sum(d[0] for d in direct), rel=1e-11)
    alive = _fitted(**params).probability_alive(
        frame["frequency"], frame["recency"], frame["T"]
    )
    np.testing.assert_allclose(alive, [d[1] for d in direct], rtol=1e-9)


@pytest.mark.parametrize(
    "params", [[0.55, 10.6, 0.6, 11.7], [0.55, 12.6, 0.6, 5.7], [2.0, 1.0, 3.0, 1.0]]
)
def test_gradient_is_the_derivative(params: list[float]) -> None:
    rng = np.random.default_rng(5)
    frame = simulate_paretonbd(800, **TRUE, T=rng.uniform(5, 40, 800), random_state=rng)
    model = ParetoNBD()
    prepared = model._data(model._prepare(frame))
    point = np.array(params)
    _, gradient = model._log_likelihood(point, prepared)
    numeric = optimize.approx_fprime(
        point, lambda p: model._log_likelihood(p, prepared)[0], 1e-7 * point
    )
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-3)


def test_series_matches_scipy_and_its_derivatives() -> None:
    p = np.array([0.5, 3.0, 1.6, 1000.3, 2.0])
    q = np.array([2.0, 4.5, 9.0, 1001.5, 2.5])
    z = np.array([0.0, 0.3, 0.9, 0.95, 0.99])
    value, d_p, d_q, d_z = hyp2f1_1(p, q, z)
    np.testing.assert_allclose(value, special.hyp2f1(1.0, p, q, z), rtol=1e-12)
    h = 1e-6
    for derivative, shift in [(d_p, (h, 0, 0)), (d_q, (0, h, 0)), (d_z, (0, 0, h))]:
        up = special.hyp2f1(1.0, p + shift[0], q + shift[1], z + shift[2])
        down = special.hyp2f1(1.0, p - shift[0], q - shift[1], np.abs(z - shift[2]))
        numeric = np.where(z - shift[2] < 0, (up - value) / h, (up - down) / (2 * h))
        np.testing.assert_allclose(derivative, numeric, rtol=1e-5)


def test_large_frequencies_stay_finite() -> None:
    frame = pd.DataFrame(
        {
            "frequency": [1000.0, 999.0, 500.0, 0.0],
            "recency": [38.0, 1.0, 0.01, 0.0],
            "T": [39.0, 39.0, 0.01, 0.01],
        }
    )
    model = ParetoNBD()
    prepared = model._data(model._prepare(frame))
    for params in (
        [0.55, 10.6, 0.6, 11.7],
        [0.55, 10.6, 0.6, 1.0],
        [5.0, 0.1, 0.1, 50.0],
    ):
        value, gradient = model._log_likelihood(np.array(params), prepared)
        assert np.isfinite(value)
        assert bool(np.all(np.isfinite(gradient)))
    alive = _fitted(**TRUE).probability_alive(
        frame["frequency"], frame["recency"], frame["T"]
    )
    assert bool(np.all((alive >= 0) & (alive <= 1)))


def test_expected_purchases() -> None:
    model = _fitted(**TRUE)
    r, alpha, s, beta = TRUE.values()
    x, t_x, T, t = 2, 30.43, 38.86, 39.0
    growth = (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) / (s - 1)
    expected = (r + x) * (beta + T) / (alpha + T) * growth
    expected *= model.probability_alive(x, t_x, T)
    assert model.expected_purchases(t, x, t_x, T) == pytest.approx(expected, rel=1e-12)
    # s = 1 is the limit of the formula.
    at_one = _fitted(r=r, alpha=alpha, s=1.0, beta=beta)
    near_one = _fitted(r=r, alpha=alpha, s=1.0 + 1e-7, beta=beta)
    assert at_one.expected_purchases_new_customer(39.0) == pytest.approx(
        near_one.expected_purchases_new_customer(39.0), rel=1e-6
    )
    curve = model.expected_purchases_new_customer(np.array([0.0, 39.0, 78.0]))
    assert curve[0] == 0.0 and curve[1] < curve[2]


def test_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(11)
    frame = simulate_paretonbd(
        20_000, **TRUE, T=rng.uniform(20, 60, 20_000), random_state=rng
    )
    model = ParetoNBD().fit(frame)
    for name in ("r", "alpha"):
        error = model.standard_errors_[name]
        assert abs(model.params_[name] - TRUE[name]) < 4 * error


def test_bad_summary() -> None:
    frame = pd.DataFrame(
        {"frequency": [1.0, -2.0], "recency": [1.0, 0.0], "T": [5.0, 4.0]}
    )
    with pytest.raises(AnalyticsInputError) as caught:
        ParetoNBD().fit(frame)
    assert str(caught.value) == "column 'frequency', row 2: negative (-2.0)"


@pytest.mark.parametrize("block", [1 << 18, 64])
def test_series_by_frequency_matches_scipy(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Many points per (p, q), z from 0.99 down to 0: blocks of points with
    # falling numbers of terms, the first few laid out a point per row; a
    # small block size splits them further.
    monkeypatch.setattr(paretonbd, "_BLOCK", block)
    z = np.concatenate([[0.99, 0.95], np.linspace(0.9, 0.0, 3000)])
    p = np.array([0.6, 3.5, 40.2])
    q = p + np.array([1.6, 0.3, 2.0])
    starts = np.arange(3) * len(z)
    out = paretonbd._series(p, q, np.tile(z, 3), starts)
    h = 1e-6
    for g in range(3):
        got = out[:, starts[g] : starts[g] + len(z)]
        value = special.hyp2f1(1.0, p[g], q[g], z)
        np.testing.assert_allclose(got[0], value, rtol=1e-13)
        d_p = (
            special.hyp2f1(1.0, p[g] + h, q[g], z)
            - special.hyp2f1(1.0, p[g] - h, q[g], z)
        ) / (2 * h)
        d_q = (
            special.hyp2f1(1.0, p[g], q[g] + h, z)
            - special.hyp2f1(1.0, p[g], q[g] - h, z)
        ) / (2 * h)
        np.testing.assert_allclose(got[1], d_p, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(got[2], d_q, rtol=1e-6, atol=1e-9)
        inner = z[2:-1]  # the derivative in z by differences away from z = 0
        d_z = (
            special.hyp2f1(1.0, p[g], q[g], inner + h)
            - special.hyp2f1(1.0, p[g], q[g], inner - h)
        ) / (2 * h)
        np.testing.assert_allclose(got[3, 2:-1], d_z, rtol=1e-6)
        assert got[3, -1] == pytest.approx(p[g] / q[g], rel=1e-15)  # at z = 0
    only = paretonbd._series(p, q, np.tile(z, 3), starts, derivatives=False)
    np.testing.assert_array_equal(only, out[:1])


@pytest.mark.parametrize(
    "params", [[0.55, 10.6, 0.6, 11.7], [0.55, 12.6, 0.6, 5.7], [2.0, 1.0, 3.0, 1.0]]
)
def test_likelihood_is_the_sum_over_customers(params: list[float]) -> None:
    """The rows' layout (sorted by x then T, t_x apart) loses or mixes no one."""
    rng = np.random.default_rng(8)
    frame = simulate_paretonbd(300, **TRUE, T=rng.uniform(5, 40, 300), random_state=rng)
    frame = pd.concat([frame, frame.iloc[:40]])  # some rows twice
    model = ParetoNBD()
    point = np.array(params)
    value, gradient = model._log_likelihood(point, model._data(model._prepare(frame)))
    singles = [
        model._log_likelihood(point, model._data(model._prepare(frame.iloc[[i]])))
        for i in range(len(frame))
    ]
    assert value == pytest.approx(sum(v for v, _ in singles), rel=1e-13)
    np.testing.assert_allclose(gradient, sum(g for _, g in singles), rtol=1e-11)
    alive = _fitted(**dict(zip(ParetoNBD.param_names, params, strict=True)))
    many = alive.probability_alive(frame["frequency"], frame["recency"], frame["T"])
    one_by_one = [
        float(alive.probability_alive(*row))
        for row in frame[["frequency", "recency", "T"]].itertuples(index=False)
    ]
    np.testing.assert_allclose(many, one_by_one, rtol=1e-13)


def test_missing_values_stay_missing() -> None:
    alive = _fitted(**TRUE).probability_alive(
        np.array([2.0, 2.0, 0.0]), np.array([30.0, 30.0, 0.0]), [38.0, np.nan, 38.0]
    )
    assert np.isnan(alive[1])
    expected = _fitted(**TRUE).probability_alive([2.0, 0.0], [30.0, 0.0], 38.0)
    np.testing.assert_array_equal(alive[[0, 2]], expected)
