"""BetaGeo (BG/NBD): likelihood, gradient, collapsing, predictions, input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special

from guanxi.analytics import AnalyticsInputError, BetaGeo, GammaGamma
from guanxi.analytics.clv._base import PurchaseModel
from guanxi.analytics.clv.simulate import simulate_bgnbd, simulate_gamma_gamma
from guanxi.analytics.summary import CustomerSummary

TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frame = simulate_bgnbd(
        3000, **TRUE, T=rng.choice([30.0, 35.0, 39.0], 3000), random_state=rng
    )
    frame["monetary_value"] = simulate_gamma_gamma(
        frame["frequency"], p=6.25, q=3.74, v=15.44, random_state=rng
    )
    return frame


def _fitted(**params: float) -> BetaGeo:
    model = BetaGeo()
    model.params_ = dict(params)
    return model


def _one_customer_ll(params: dict[str, float], x: float, t_x: float, T: float) -> float:
    """The BG/NBD likelihood written directly from Fader, Hardie & Lee (2005), eq. 6."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    common = (
        special.beta(a, b + x)
        / special.beta(a, b)
        * special.gamma(r + x)
        / special.gamma(r)
        * alpha**r
    )
    value = common / (alpha + T) ** (r + x)
    if x > 0:
        value += (
            special.beta(a + 1, b + x - 1)
            / special.beta(a, b)
            * special.gamma(r + x)
            / special.gamma(r)
            * alpha**r
            / (alpha + t_x) ** (r + x)
        )
    return float(np.log(value))


def test_log_likelihood_matches_the_paper(data: pd.DataFrame) -> None:
    model = BetaGeo()
    prepared = model._data(model._prepare(data))
    params = np.array([0.3, 4.0, 0.8, 2.5])
    value, _ = model._log_likelihood(params, prepared)
    named = dict(zip(BetaGeo.param_names, params, strict=True))
    direct = sum(
        _one_customer_ll(named, *row)
        for row in data[["frequency", "recency", "T"]].itertuples(index=False)
    )
    assert value == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize("params", [[0.3, 4.0, 0.8, 2.5], [2.0, 0.5, 3.0, 0.7]])
def test_gradient_is_the_derivative(data: pd.DataFrame, params: list[float]) -> None:
    model = BetaGeo()
    prepared = model._data(model._prepare(data))
    point = np.array(params)
    _, gradient = model._log_likelihood(point, prepared)
    numeric = optimize.approx_fprime(
        point, lambda p: model._log_likelihood(p, prepared)[0], 1e-7 * point
    )
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-3)


def test_identical_rows_are_collapsed_with_weights(data: pd.DataFrame) -> None:
    model = BetaGeo()
    rows = model._prepare(data)
    assert rows.weight.sum() == len(data)
    assert len(rows.weight) < len(data)  # the x = 0 rows share three T values
    doubled = BetaGeo().fit(pd.concat([data, data]))
    single = BetaGeo().fit(data)
    assert doubled.log_likelihood_ == pytest.approx(2 * single.log_likelihood_)
    for name in BetaGeo.param_names:
        assert doubled.params_[name] == pytest.approx(single.params_[name], rel=1e-5)


def test_fit_returns_self_and_learned_attributes(data: pd.DataFrame) -> None:
    model = BetaGeo()
    assert vars(model) == {"penalizer": 0.0, "tol": 1e-12}
    assert model.fit(data) is model
    assert list(model.params_) == ["r", "alpha", "a", "b"]
    assert model.n_customers_ == 3000
    assert all(v > 0 and np.isfinite(v) for v in model.standard_errors_.values())
    assert repr(model).startswith("BetaGeo(r=")


def test_fit_is_deterministic(data: pd.DataFrame) -> None:
    assert BetaGeo().fit(data).params_ == BetaGeo().fit(data).params_


def test_penalizer_shrinks_parameters(data: pd.DataFrame) -> None:
    free = BetaGeo().fit(data).params_
    shrunk = BetaGeo(penalizer=0.1).fit(data).params_
    assert sum(v**2 for v in shrunk.values()) < sum(v**2 for v in free.values())


def test_probability_alive() -> None:
    model = _fitted(**TRUE)
    alive = model.probability_alive(
        pd.Series([0.0, 2.0, 2.0, 10.0]),
        pd.Series([0.0, 30.43, 5.0, 38.0]),
        pd.Series([38.86, 38.86, 38.86, 38.86]),
    )
    assert alive[0] == 1.0
    assert alive[1] > alive[2]  # bought recently: more likely alive
    r, alpha, a, b = TRUE.values()
    direct = 1 / (1 + a / (b + 2 - 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2))
    assert alive[1] == pytest.approx(direct, rel=1e-12)


def test_expected_purchases_match_the_integral() -> None:
    """E[X(t)] = P(alive) E[(1 - (1 + p t/(α+T))^-(r+x)) / p], p ~ Beta(a, b+x)."""
    model = _fitted(**TRUE)
    r, alpha, a, b = TRUE.values()
    for x, t_x, T, t in [
        (2, 30.43, 38.86, 39.0),
        (0, 0.0, 10.0, 52.0),
        (7, 20.0, 21.0, 5.0),
    ]:

        def integrand(p: float, x: float = x, T: float = T, t: float = t) -> float:
            density = p ** (a - 1) * (1 - p) ** (b + x - 1) / special.beta(a, b + x)
            return float(density * (1 - (1 + p * t / (alpha + T)) ** -(r + x)) / p)

        mean = integrate.quad(integrand, 0, 1, limit=200)[0]
        expected = mean * model.probability_alive(x, t_x, T)
        assert model.expected_purchases(t, x, t_x, T) == pytest.approx(
            expected, rel=1e-7
        )


@pytest.mark.parametrize(
    ("x", "t_x", "T", "t"),
    [
        (2, 30.43, 38.86, 13.0),
        (0, 0.0, 10.0, 52.0),
        (7, 20.0, 21.0, 5.0),
        (1, 1.0, 30.0, 0.5),
    ],
)
def test_probability_of_no_purchase_is_a_ratio_of_likelihoods(
    x: float, t_x: float, T: float, t: float
) -> None:
    # The paper's likelihood of (x, t_x, T') is the probability of x purchases,
    # the last at t_x, and none after it until T': with T' = T + t, divided by
    # that with T' = T, it is the probability of none in (T, T + t].
    model = _fitted(**TRUE)
    ratio = np.exp(
        _one_customer_ll(TRUE, x, t_x, T + t) - _one_customer_ll(TRUE, x, t_x, T)
    )
    assert float(model.probability_no_purchases(t, x, t_x, T)) == pytest.approx(
        ratio, rel=1e-10
    )


def test_probability_of_no_purchase_is_not_the_straw_man() -> None:
    model = _fitted(**TRUE)
    # One-time buyers are "alive" with probability 1 under BG/NBD, so
    # 1 - P(alive) cannot tell a customer of last week from one of last year.
    assert model.probability_alive([0, 0], [0, 0], [1, 52]).tolist() == [1.0, 1.0]
    quiet = model.probability_no_purchases(13, [0, 0], [0, 0], [1, 52])
    assert 0 < quiet[0] < quiet[1] < 1
    assert float(model.probability_no_purchases(0, 3, 20, 30)) == 1.0


def test_expected_purchases_new_customer() -> None:
    model = _fitted(**TRUE)
    curve = model.expected_purchases_new_customer(np.array([0.0, 13.0, 26.0, 39.0]))
    assert curve[0] == 0.0
    assert bool(np.all(np.diff(curve) > 0))
    # A new customer is a customer with x = 0 observed for T = 0.
    assert curve[3] == pytest.approx(float(model.expected_purchases(39.0, 0, 0, 0)))


def test_clv_tabulated_sum_equals_direct_sum() -> None:
    rng = np.random.default_rng(3)
    frame = simulate_bgnbd(6000, **TRUE, T=rng.uniform(1, 78, 6000), random_state=rng)
    value = simulate_gamma_gamma(
        frame["frequency"], p=6.25, q=3.74, v=15.44, random_state=rng
    )
    model = _fitted(**TRUE)
    spend = GammaGamma()
    spend.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
    weeks = CustomerSummary(frame.assign(monetary_value=value), time_unit="W")
    # lifetimes' month of weeks: 4.345 weeks.
    clv = model.clv(spend, weeks, months=12, discount_rate=0.01, days_per_month=30.415)
    periods = np.arange(1, 13, dtype=np.float64)
    direct = PurchaseModel._discounted_purchases(
        model,
        np.asarray(periods * 4.345, dtype=np.float64),
        np.asarray(1.01**-periods, dtype=np.float64),
        frame["frequency"].to_numpy(),
        frame["recency"].to_numpy(),
        frame["T"].to_numpy(),
    ) * spend.expected_average_value(frame["frequency"], value)
    np.testing.assert_allclose(clv, direct, rtol=1e-9)
    # And the direct sum is the lifetimes definition, period by period.
    one = float(
        model.expected_purchases(4.345, 2, 30.0, 38.0) / 1.01
        + (
            model.expected_purchases(8.69, 2, 30.0, 38.0)
            - model.expected_purchases(4.345, 2, 30.0, 38.0)
        )
        / 1.01**2
    )
    one_customer = pd.DataFrame(
        {"frequency": [2.0], "recency": [30.0], "T": [38.0], "monetary_value": [50.0]}
    )
    two = model.clv(
        spend,
        CustomerSummary(one_customer, time_unit="W"),
        months=2,
        days_per_month=30.415,
    )
    assert float(two[0]) == pytest.approx(
        one * float(spend.expected_average_value(2, 50.0))
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="T"), "column 'T' is missing"),
        (
            lambda f: f.assign(frequency=[1.0, 0.5, 0.0]),
            "column 'frequency', row 2: not a whole number (0.5)",
        ),
        (
            lambda f: f.assign(recency=[1.0, 9.0, 0.0]),
            "column 'recency', row 2: greater than T (9.0 > 8.0)",
        ),
        (
            lambda f: f.assign(recency=[1.0, 2.0, 3.0]),
            "column 'recency', row 3: positive with frequency 0 (3.0)",
        ),
        (
            lambda f: f.assign(T=[5.0, -8.0, 4.0]),
            "column 'T', row 2: negative (-8.0)",
        ),
        (
            lambda f: f.assign(T=[5.0, 8.0, np.nan]),
            "column 'T', row 3: not a finite number (nan)",
        ),
        (lambda f: f.iloc[:0], "the summary has no customers"),
    ],
)
def test_bad_summary(change: object, message: str) -> None:
    frame = pd.DataFrame(
        {"frequency": [1.0, 2.0, 0.0], "recency": [1.0, 2.0, 0.0], "T": [5.0, 8.0, 4.0]}
    )
    model = BetaGeo()
    with pytest.raises(AnalyticsInputError) as caught:
        model.fit(change(frame))  # type: ignore[operator]
    assert str(caught.value) == message
    assert not hasattr(model, "params_")


def test_bad_hyperparameters_and_unfitted_use() -> None:
    frame = pd.DataFrame({"frequency": [1.0], "recency": [1.0], "T": [5.0]})
    with pytest.raises(AnalyticsInputError) as caught:
        BetaGeo(penalizer=-1.0).fit(frame)
    assert str(caught.value) == "penalizer: must be a number >= 0, got -1.0"
    with pytest.raises(AnalyticsInputError) as caught:
        BetaGeo().probability_alive(1, 1, 5)
    assert str(caught.value) == "BetaGeo is not fitted: call fit first"
    spend = GammaGamma()
    spend.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
    with pytest.raises(AnalyticsInputError) as caught:
        _fitted(**TRUE).clv(
            spend, CustomerSummary(frame.assign(monetary_value=1.0)), months=0
        )
    assert str(caught.value) == "months: must be a whole number >= 1, got 0"
    with pytest.raises(AnalyticsInputError) as caught:
        _fitted(**TRUE).clv(spend, frame.assign(monetary_value=1.0))  # type: ignore[arg-type]
    assert str(caught.value) == (
        "summary: expected a CustomerSummary (it carries the time unit), got DataFrame"
    )


def test_expected_purchases_for_many_customers_are_tabulated_exactly() -> None:
    rng = np.random.default_rng(4)
    frame = simulate_bgnbd(
        60_000, **TRUE, T=rng.uniform(1, 78, 60_000), random_state=rng
    )
    model = _fitted(**TRUE)
    many = model.expected_purchases(
        39.0, frame["frequency"], frame["recency"], frame["T"]
    )
    few = np.concatenate(
        [
            model.expected_purchases(
                39.0, part["frequency"], part["recency"], part["T"]
            )
            for part in (frame.iloc[i : i + 10_000] for i in range(0, 60_000, 10_000))
        ]
    )
    np.testing.assert_allclose(many, few, rtol=1e-9)


def test_tabulated_sums_at_edges() -> None:
    """One T for everyone (no range to tabulate over), non-whole frequencies
    and a missing T: the tabulated sums equal the direct ones."""
    rng = np.random.default_rng(6)
    n = 40_000  # below _TABULATE_ABOVE: expected_purchases computes directly
    frame = simulate_bgnbd(n, **TRUE, T=np.full(n, 39.0), random_state=rng)
    x = frame["frequency"].to_numpy().copy()
    t_x = frame["recency"].to_numpy()
    big_t = frame["T"].to_numpy().copy()
    x[:5] = [0.5, 1.5, 2.5, 0.5, 1.5]
    big_t[5] = np.nan
    model = _fitted(**TRUE)
    periods = np.arange(1, 13, dtype=np.float64)
    times = np.asarray(periods * 4.345, dtype=np.float64)
    discounts = np.asarray(1.01**-periods, dtype=np.float64)
    tabulated = model._discounted_purchases(times, discounts, x, t_x, big_t)
    direct = PurchaseModel._discounted_purchases(model, times, discounts, x, t_x, big_t)
    np.testing.assert_allclose(tabulated, direct, rtol=1e-12)
    assert np.isnan(tabulated[5])
    # Over a range of T, with few customers per frequency beyond the first ones.
    big_t = rng.uniform(0.5, 300.0, n)
    t_x = t_x * big_t / 39.0
    tabulated = model._discounted_purchases(times, discounts, x, t_x, big_t)
    direct = PurchaseModel._discounted_purchases(model, times, discounts, x, t_x, big_t)
    np.testing.assert_allclose(tabulated, direct, rtol=1e-9)
