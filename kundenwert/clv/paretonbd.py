"""Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

Purchases: Poisson with rate lambda ~ Gamma(r, alpha). Lifetime: exponential with rate
mu ~ Gamma(s, beta), unobserved. The likelihood follows Fader & Hardie's note "A note on deriving
the Pareto/NBD model and related expressions" (2005); its Gaussian hypergeometric term is
computed by our own log-space series (see _special.log_hyp2f1), never by scipy.special.hyp2f1.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import gammaln

from ._betageo import _horizon_steps, simulate_purchase_times, validate_rft
from ._fit import FitResult, maximize_likelihood
from ._special import log1mexp, log_hyp2f1

__all__ = [
    "ParetoNBDParams",
    "discounted_purchases",
    "expected_purchases",
    "fit",
    "log_likelihood",
    "p_alive",
    "simulate",
    "simulate_purchase_times",
]


class ParetoNBDParams(NamedTuple):
    """Parameters r, alpha (purchase rate) and s, beta (dropout rate)."""

    r: float
    alpha: float
    s: float
    beta: float


def _log_g(r: float, alpha: float, s: float, beta: float, x: np.ndarray, t: np.ndarray):
    """Return log G(t), where s * (G(t_x) - G(T)) / (r + s + x) is the dropout term.

    G(t) = 2F1(...; z) / (max(alpha, beta) + t)^(r+s+x) in Fader & Hardie's notation, rewritten
    with Euler's transformation so that the series has positive, shrinking terms.
    """
    c = r + s + x + 1.0
    la, lb = np.log(alpha + t), np.log(beta + t)
    if alpha >= beta:
        z = (alpha - beta) / (alpha + t)
        return -(r + x) * la - s * lb + log_hyp2f1(1.0, r + x, c, z)
    z = (beta - alpha) / (beta + t)
    return -(r + x - 1.0) * la - (s + 1.0) * lb + log_hyp2f1(1.0, s + 1.0, c, z)


class _Prepared:
    """Distinct (x, t) pairs: the hypergeometric term depends on x and one time only."""

    def __init__(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
        n = x.size
        pairs = np.column_stack([np.concatenate([x, x]), np.concatenate([t_x, T])])
        uniq, inv = np.unique(pairs, axis=0, return_inverse=True)
        inv = inv.ravel()
        self.px, self.pt = uniq[:, 0], uniq[:, 1]
        self.i_tx, self.i_T = inv[:n], inv[n:]
        self.x, self.t_x, self.T = x, t_x, T
        self.ux, self.ix = np.unique(x, return_inverse=True)
        self.uT, self.iT_u = np.unique(T, return_inverse=True)


def _parts_prepared(
    params: ParetoNBDParams | tuple[float, ...], d: _Prepared
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (log prefactor, log alive term, log dropout term) of the likelihood."""
    r, alpha, s, beta = (float(v) for v in params)
    x, _T = d.x, d.T
    pre = gammaln(r + d.ux)[d.ix] - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + d.uT)[d.iT_u] - s * np.log(beta + d.uT)[d.iT_u]
    log_g = _log_g(r, alpha, s, beta, d.px, d.pt)
    g_tx = log_g[d.i_tx]
    g_T = log_g[d.i_T]
    with np.errstate(divide="ignore"):
        dropout = np.log(s) - np.log(r + s + x) + g_tx + log1mexp(np.minimum(g_T - g_tx, 0.0))
    return pre, alive, dropout


def _parts(
    params: ParetoNBDParams | tuple[float, ...], x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shape = x.shape
    d = _Prepared(x.ravel(), t_x.ravel(), T.ravel())
    return tuple(v.reshape(shape) for v in _parts_prepared(params, d))  # type: ignore[return-value]


def log_likelihood(
    params: ParetoNBDParams | tuple[float, ...], x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Return the per-customer log-likelihood."""
    x, t_x, T = validate_rft(x, t_x, T)
    pre, alive, dropout = _parts(params, x, t_x, T)
    return pre + np.logaddexp(alive, dropout)


def fit(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray | None = None
) -> FitResult:
    """Fit by maximum likelihood on (optionally weighted) rows."""
    x, t_x, T = (v.ravel() for v in validate_rft(x, t_x, T))
    w = np.ones(x.size) if weights is None else np.asarray(weights, dtype=float).ravel()
    d = _Prepared(x, t_x, T)

    def nll(theta: np.ndarray) -> float:
        pre, alive, dropout = _parts_prepared(tuple(theta), d)
        return float(-np.sum(w * (pre + np.logaddexp(alive, dropout))))

    scale = float(np.average(T, weights=w)) or 1.0
    starts = [(1.0, scale, 1.0, scale), (0.5, scale / 4, 0.5, scale / 4)]
    return maximize_likelihood(
        "paretonbd", ("r", "alpha", "s", "beta"), nll, starts, float(w.sum())
    )


def p_alive(
    params: ParetoNBDParams | tuple[float, ...], x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Return P(alive at T | x, t_x, T)."""
    x, t_x, T = validate_rft(x, t_x, T)
    _, alive, dropout = _parts(params, x, t_x, T)
    return np.exp(alive - np.logaddexp(alive, dropout))


def _alive_expectation(
    params: ParetoNBDParams | tuple[float, ...], t: np.ndarray, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Return E[purchases in (T, T+t] | alive at T]."""
    r, alpha, s, beta = (float(v) for v in params)
    lead = (r + x) * (beta + T) / (alpha + T)
    log_ratio = np.log1p(t / (beta + T))
    if abs(s - 1.0) < 1e-12:
        return lead * log_ratio
    # [1 - ((beta+T)/(beta+T+t))^(s-1)] / (s-1), continuous through s = 1.
    return lead * -np.expm1(-(s - 1.0) * log_ratio) / (s - 1.0)


def expected_purchases(
    params: ParetoNBDParams | tuple[float, ...],
    t: float | np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
) -> np.ndarray:
    """Return E[number of purchases in (T, T + t] | x, t_x, T]."""
    x, t_x, T = validate_rft(x, t_x, T)
    t_arr, x_b, T_b = np.broadcast_arrays(np.asarray(t, dtype=float), x, T)
    return _alive_expectation(params, t_arr, x_b, T_b) * p_alive(params, x, t_x, T)


def discounted_purchases(
    params: ParetoNBDParams | tuple[float, ...],
    horizon: float,
    discount_rate: float,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (expected purchases over the horizon, their discounted sum) per customer."""
    x, t_x, T = validate_rft(x, t_x, T)
    steps = _horizon_steps(horizon)
    keys = np.column_stack([x.ravel(), T.ravel()])
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.ravel()
    cum = _alive_expectation(params, steps[None, :], uniq[:, :1], uniq[:, 1:])
    incr = np.diff(cum, axis=1, prepend=0.0)
    disc = (1.0 + discount_rate) ** -np.ceil(steps - 1e-9)
    pa = p_alive(params, x, t_x, T).ravel()
    return (cum[:, -1][inv] * pa).reshape(x.shape), (np.sum(incr * disc, axis=1)[inv] * pa).reshape(
        x.shape
    )


def simulate(
    params: ParetoNBDParams | tuple[float, ...], T: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw (x, t_x) for customers observed for T time units each."""
    r, alpha, s, beta = params
    T = np.asarray(T, dtype=float)
    lam = rng.gamma(r, 1.0 / alpha, size=T.shape)
    mu = rng.gamma(s, 1.0 / beta, size=T.shape)
    active_until = np.minimum(rng.exponential(1.0, size=T.shape) / mu, T)
    x = rng.poisson(lam * active_until)
    t_x = np.zeros(T.shape)
    pos = x > 0
    # The last of x uniform arrivals on (0, end) is end times a Beta(x, 1) draw.
    t_x[pos] = active_until[pos] * rng.beta(x[pos], 1.0)
    return x.astype(float), t_x
