"""GammaGamma: likelihood, gradient, expected average value, input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from guanxi.analytics import AnalyticsInputError, GammaGamma
from guanxi.analytics.clv.simulate import simulate_gamma_gamma

TRUE = {"p": 6.25, "q": 3.74, "v": 15.44}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    frequency = rng.poisson(2.0, 4000).astype(float)
    spend = simulate_gamma_gamma(frequency, **TRUE, random_state=rng)
    return pd.DataFrame({"frequency": frequency, "monetary_value": spend})


def test_log_likelihood_matches_the_note(data: pd.DataFrame) -> None:
    model = GammaGamma()
    prepared = model._data(model._prepare(data))
    p, q, v = 5.0, 3.0, 12.0
    value, _ = model._log_likelihood(np.array([p, q, v]), prepared)
    repeat = data[data["frequency"] > 0]
    x, m = repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy()
    # Fader & Hardie, note 025, eq. 3.
    direct = (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + m * x)
    ).sum()
    assert value == pytest.approx(direct, rel=1e-12)


def test_gradient_is_the_derivative(data: pd.DataFrame) -> None:
    model = GammaGamma()
    prepared = model._data(model._prepare(data))
    point = np.array([5.0, 3.0, 12.0])
    _, gradient = model._log_likelihood(point, prepared)
    numeric = optimize.approx_fprime(
        point, lambda p: model._log_likelihood(p, prepared)[0], 1e-7 * point
    )
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5)


def test_fit_ignores_customers_without_repeats(data: pd.DataFrame) -> None:
    model = GammaGamma().fit(data)
    assert model.n_customers_ == int((data["frequency"] > 0).sum())
    for name, value in TRUE.items():
        assert abs(model.params_[name] - value) < 4 * model.standard_errors_[name]


def test_expected_average_value() -> None:
    model = GammaGamma()
    model.params_ = dict(TRUE)
    p, q, v = TRUE.values()
    values = model.expected_average_value(pd.Series([0.0, 3.0]), pd.Series([0.0, 40.0]))
    assert values[0] == pytest.approx(p * v / (q - 1))
    weight = p * 3 / (p * 3 + q - 1)
    assert values[1] == pytest.approx((1 - weight) * p * v / (q - 1) + weight * 40.0)


def test_zero_and_negative_mean_spends_are_left_out_of_the_fit() -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "frequency": rng.integers(1, 6, 400).astype(float),
            "monetary_value": rng.gamma(4.0, 10.0, 400),
        }
    )
    spenders = GammaGamma().fit(frame)
    # Two free-item buyers, one refund and two one-time buyers more.
    extra = pd.DataFrame(
        {
            "frequency": [1.0, 3.0, 2.0, 0.0, 0.0],
            "monetary_value": [0.0, 0.0, -8.0, 0, 0],
        }
    )
    everyone = GammaGamma().fit(pd.concat([frame, extra]))
    assert everyone.params_ == spenders.params_
    assert everyone.log_likelihood_ == spenders.log_likelihood_
    assert (everyone.n_customers_, everyone.n_not_positive_, everyone.n_one_time_) == (
        400,
        3,
        2,
    )


def test_a_mean_spend_of_zero_or_less_is_valued_as_zero_spend() -> None:
    model = GammaGamma()
    model.params_ = dict(TRUE)
    p, q, v = TRUE.values()
    values = model.expected_average_value([2.0, 2.0, 2.0, 0.0], [0.0, -8.0, 1e-9, 0.0])
    # p v / (p x + q - 1): the formula's limit as the mean spend falls to 0,
    # below the population mean p v / (q - 1) of a one-time buyer.
    assert values[0] == values[1] == pytest.approx(p * v / (2 * p + q - 1))
    assert values[2] == pytest.approx(values[0], rel=1e-9)
    assert values[3] == pytest.approx(p * v / (q - 1))
    assert values[0] < values[3]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pd.DataFrame({"frequency": [0.0, 0.0], "monetary_value": [0.0, 0.0]}),
            "the summary has no repeat buyers (frequency > 0) with a positive mean "
            "spend to fit spend on",
        ),
        (
            pd.DataFrame({"frequency": [1.0, 2.0], "monetary_value": [0.0, -3.0]}),
            "the summary has no repeat buyers (frequency > 0) with a positive mean "
            "spend to fit spend on",
        ),
        (
            pd.DataFrame({"frequency": [1.0, 2.0], "monetary_value": [3.0, np.nan]}),
            "column 'monetary_value', row 2: not a finite number (nan)",
        ),
        (pd.DataFrame({"frequency": [1.0]}), "column 'monetary_value' is missing"),
    ],
)
def test_bad_summary(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(AnalyticsInputError) as caught:
        GammaGamma().fit(frame)
    assert str(caught.value) == message
