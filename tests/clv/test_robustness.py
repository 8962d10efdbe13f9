"""No NaN or inf, and 0 <= P(alive) <= 1, over extreme data and parameters."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, special

from kundenwert.clv import bgnbd, mbgnbd, paretonbd

X_GRID = [0, 1, 2, 10, 100, 1000, 10_000]
# Ten years in weeks and in days, plus short ages.
T_GRID = {"week": [0.5, 1.0, 52.0, 520.0], "day": [1.0, 365.0, 3652.0]}
FRACTIONS = [1e-3, 0.25, 0.999, 1.0]

BETA_GEO_PARAMS = [
    (0.243, 4.414, 0.793, 2.426),  # CDNOW
    (0.1, 50.0, 0.8, 2.5),  # alpha ~ 50, r ~ 0.1
    (0.1, 0.1, 0.1, 0.1),
    (5.0, 50.0, 50.0, 0.1),
    (0.1, 50.0, 1.0, 50.0),  # a = 1 exactly: the 1 / (a - 1) limit
    (0.3, 4.0, 1.0 + 1e-9, 3.0),  # a next to 1
    (2.0, 0.5, 1e-3, 10.0),
    (0.05, 50.0, 0.05, 0.05),  # a + b < 1: the hypergeometric's c is negative for x = 0
    (20.0, 0.05, 2.0, 80.0),
]
PARETO_PARAMS = [
    (0.553, 10.578, 0.606, 11.669),  # CDNOW
    (0.1, 50.0, 0.1, 0.1),  # beta << alpha: z near 1
    (0.1, 0.1, 5.0, 50.0),  # alpha << beta
    (5.0, 50.0, 1.0, 50.0),  # s = 1: the 1 / (s - 1) limit
    (0.1, 50.0, 50.0, 0.1),
    (1.0, 10.0, 0.5, 10.0),  # alpha = beta
    (20.0, 0.05, 0.05, 80.0),
]


def _grid(unit: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = []
    for x, T in itertools.product(X_GRID, T_GRID[unit]):
        if x == 0:
            rows.append((0.0, 0.0, T))
        else:
            rows.extend((float(x), f * T, T) for f in FRACTIONS)
    arr = np.array(rows)
    return arr[:, 0], arr[:, 1], arr[:, 2]


def _check(model, params, unit: str) -> None:
    x, t_x, T = _grid(unit)
    ll = model.log_likelihood(params, x, t_x, T)
    assert np.all(np.isfinite(ll)), (params, x[~np.isfinite(ll)], t_x[~np.isfinite(ll)])
    pa = model.p_alive(params, x, t_x, T)
    assert np.all(np.isfinite(pa)) and np.all((pa >= 0) & (pa <= 1))
    for horizon in (1.0, 52.0, 520.0):
        e = model.expected_purchases(params, horizon, x, t_x, T)
        assert np.all(np.isfinite(e)), (params, horizon, x[~np.isfinite(e)], T[~np.isfinite(e)])
        assert np.all(e >= -1e-9 * (1 + np.abs(e)))
    total, disc = model.discounted_purchases(params, 52.0, 0.01, x, t_x, T)
    assert np.all(np.isfinite(total)) and np.all(np.isfinite(disc))
    assert np.all(disc <= total * (1 + 1e-9) + 1e-12)
    e1 = model.expected_purchases(params, 52.0, x, t_x, T)
    np.testing.assert_allclose(total, e1, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("unit", ["week", "day"])
@pytest.mark.parametrize("params", BETA_GEO_PARAMS)
def test_bgnbd_grid(params, unit):
    _check(bgnbd, params, unit)


@pytest.mark.parametrize("unit", ["week", "day"])
@pytest.mark.parametrize("params", BETA_GEO_PARAMS)
def test_mbgnbd_grid(params, unit):
    _check(mbgnbd, params, unit)


@pytest.mark.parametrize("unit", ["week", "day"])
@pytest.mark.parametrize("params", PARETO_PARAMS)
def test_paretonbd_grid(params, unit):
    _check(paretonbd, params, unit)


def _beta_geo_reference(params, t, x, T, k):
    """E[purchases in (T, T+t] | alive]: integrate over the posterior of p (Beta(a, b+k+x))."""
    r, alpha, a, b = params
    theta = t / (alpha + T)

    def g(p: float) -> float:
        return -np.expm1(-(r + x) * np.log1p(p * theta)) / p if p > 0 else (r + x) * theta

    val, _ = integrate.quad(
        g, 0, 1, weight="alg", wvar=(a - 1, b + k + x - 1), epsabs=0, epsrel=1e-11, limit=200
    )
    return val / np.exp(special.betaln(a, b + k + x))


@pytest.mark.parametrize("model,k", [(bgnbd, 0), (mbgnbd, 1)])
@pytest.mark.parametrize(
    "params", [(0.243, 4.414, 0.793, 2.426), (0.1, 50.0, 1.0, 50.0), (2.0, 0.5, 0.2, 10.0)]
)
@pytest.mark.parametrize(
    "x,t_x,T,t", [(0, 0.0, 38.0, 39.0), (5, 20.0, 30.0, 520.0), (100, 5.0, 52.0, 4.0)]
)
def test_beta_geo_expectation_against_quadrature(model, k, params, x, t_x, T, t):
    ref = _beta_geo_reference(params, t, x, T, k) * model.p_alive(params, x, t_x, T)
    assert model.expected_purchases(params, t, x, t_x, T) == pytest.approx(ref, rel=1e-8)


CDNOW_PARETO = (0.553, 10.578, 0.606, 11.669)


@pytest.mark.parametrize(("x", "t_x", "T", "t"), [(0, 0.0, 38.0, 39.0), (7, 30.0, 38.0, 104.0)])
def test_pareto_expectation_against_quadrature(x, t_x, T, t):
    r, alpha, s, beta = CDNOW_PARETO
    rate = beta + T  # posterior of the dropout rate given alive at T: Gamma(s, beta + T)

    def integrand(mu: float) -> float:
        log_density = s * np.log(rate) + (s - 1) * np.log(mu) - rate * mu - special.gammaln(s)
        return -np.expm1(-mu * t) / mu * np.exp(log_density)

    val, _ = integrate.quad(integrand, 0, np.inf, epsrel=1e-11)
    ref = (r + x) / (alpha + T) * val * paretonbd.p_alive(CDNOW_PARETO, x, t_x, T)
    got = paretonbd.expected_purchases(CDNOW_PARETO, t, x, t_x, T)
    assert got == pytest.approx(ref, rel=1e-7)


@pytest.mark.parametrize(
    ("x", "t_x", "T"), [(1000, 30.0, 39.0), (10_000, 38.0, 39.0), (3, 1.0, 520.0)]
)
def test_pareto_loglik_against_quadrature_for_heavy_buyers(x, t_x, T):
    """The dropout term is an integral over the death time; check it directly for large x."""
    r, alpha, s, beta = CDNOW_PARETO

    def log_f(tau: float) -> float:
        return -(r + x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau)

    shift = log_f(t_x)
    width = (alpha + t_x) / (r + x)  # decay length of the integrand near t_x
    val, _ = integrate.quad(
        lambda tau: np.exp(log_f(tau) - shift),
        t_x,
        T,
        epsabs=0,
        epsrel=1e-12,
        limit=400,
        points=[t_x + width * m for m in (1, 10, 100) if t_x + width * m < T],
    )
    log_dropout = np.log(s) + np.log(val) + shift
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    ref = (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + np.logaddexp(log_alive, log_dropout)
    )
    assert paretonbd.log_likelihood(CDNOW_PARETO, x, t_x, T) == pytest.approx(ref, rel=1e-10)


PRECISION_LOSS = [
    "ABNORMAL_TERMINATION_IN_LNSRCH",
    "Desired error not necessarily achieved due to precision loss.",
]


@pytest.mark.parametrize(
    "message",
    [
        "ABNORMAL_TERMINATION_IN_LNSRCH",
        "Desired error not necessarily achieved due to precision loss.",
    ],
)
def test_fit_precision_loss_is_not_failure(monkeypatch, message):
    """An optimiser ending with ABNORMAL/precision loss at a zero gradient counts as converged."""
    from scipy.optimize import OptimizeResult

    from kundenwert.clv import _fit

    optimum = np.log([2.0, 3.0])

    def nll(theta: np.ndarray) -> float:
        return float(1e4 + np.sum((np.log(theta) - optimum) ** 2))

    def fake_minimize(fun, x0, **kwargs):
        return OptimizeResult(
            x=optimum.copy(), fun=1e4, jac=np.zeros(2), nit=7, success=False, message=message
        )

    monkeypatch.setattr(_fit, "minimize", fake_minimize)
    res = _fit.maximize_likelihood("toy", ("u", "v"), nll, [(1.0, 1.0)], 1.0)
    assert res.converged
    assert message in res.message
    assert res.params["u"] == pytest.approx(2.0, rel=1e-6)

    # Far from the optimum the same message is a genuine failure.
    def stuck(fun, x0, **kwargs):
        return OptimizeResult(
            x=np.zeros(2),
            fun=nll(np.ones(2)),
            jac=np.zeros(2),
            nit=1,
            success=False,
            message=message,
        )

    monkeypatch.setattr(_fit, "minimize", stuck)
    monkeypatch.setattr(_fit, "_newton_polish", lambda f, phi, g, h: phi)
    assert not _fit.maximize_likelihood("toy", ("u", "v"), nll, [(1.0, 1.0)], 1.0).converged
