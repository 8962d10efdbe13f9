"""Shared core of the BG/NBD and MBG/NBD models.

Both models let purchases follow a Poisson process with a gamma-distributed rate (r, alpha) and
let the customer drop out with a beta-distributed probability (a, b) at purchase events. BG/NBD
allows dropout after each repeat purchase; MBG/NBD (Batislam, Denizel & Filiztekin 2007) also
right after the first purchase, so customers with x = 0 can be inactive. In the formulas below
the only difference is a shift k of b (k = 0 for BG/NBD, k = 1 for MBG/NBD) and whether the
dropout term exists for x = 0.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import betaln, digamma, gammaln

from ._fit import FitResult, maximize_likelihood

_BLOCK = 32


class BetaGeoParams(NamedTuple):
    """Parameters r, alpha (purchase rate) and a, b (dropout probability)."""

    r: float
    alpha: float
    a: float
    b: float


class _Prepared:
    """Index unique x and unique times so special functions run once per distinct value."""

    def __init__(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray) -> None:
        n = x.size
        self.ux, self.ix = np.unique(x, return_inverse=True)
        self.ut, inv = np.unique(np.concatenate([t_x, T]), return_inverse=True)
        self.itx, self.iT = inv[:n], inv[n:]
        self.w = weights
        self.x = x


def validate_rft(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check and broadcast frequency, recency and age arrays."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in np.broadcast_arrays(x, t_x, T))
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("x must be non-negative whole numbers")
    if np.any(t_x < 0) or np.any(t_x > T * (1 + 1e-12)):
        raise ValueError("need 0 <= t_x <= T")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("t_x must be 0 when x = 0")
    return x, t_x, T


def _has_dropout_term(x: np.ndarray, k: int) -> np.ndarray:
    return (x > 0) if k == 0 else np.ones(x.shape, dtype=bool)


def _loglik_terms(
    theta: np.ndarray, d: _Prepared, k: int, grad: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    r, alpha, a, b = theta
    ux = d.ux
    b0 = betaln(a, b)
    log_at = np.log(alpha + d.ut)
    drop = _has_dropout_term(ux, k)
    # Per distinct x.
    ax = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
    t1x = betaln(a, b + ux + k) - b0
    t2x = np.full(ux.shape, -np.inf)
    t2x[drop] = np.log(a) - np.log(b + ux[drop] + k - 1) + t1x[drop]
    # B(a+1, b+x+k-1) = B(a, b+x+k) a / (b+x+k-1): avoids betaln at b+x-1 near zero.
    rx = (r + ux)[d.ix]
    t1 = t1x[d.ix] - rx * log_at[d.iT]
    t2 = t2x[d.ix] - rx * log_at[d.itx]
    mix = np.logaddexp(t1, t2)
    ll = ax[d.ix] + mix
    if not grad:
        return ll, None
    w2 = np.exp(t2 - mix)
    w1 = 1.0 - w2
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + ux + k)
    g = np.empty((4, ll.size))
    g[0] = (digamma(r + ux) - digamma(r) + np.log(alpha))[d.ix] - (
        w1 * log_at[d.iT] + w2 * log_at[d.itx]
    )
    g[1] = r / alpha - rx * (w1 / (alpha + d.ut[d.iT]) + w2 / (alpha + d.ut[d.itx]))
    da1 = psi_ab - psi_abx
    da2 = 1.0 / a + da1
    db1 = digamma(b + ux + k) - psi_abx - digamma(b) + psi_ab
    db2 = np.zeros_like(db1)
    db2[drop] = digamma(b + ux[drop] + k - 1) - psi_abx[drop] - digamma(b) + psi_ab
    g[2] = w1 * da1[d.ix] + w2 * da2[d.ix]
    g[3] = w1 * db1[d.ix] + w2 * db2[d.ix]
    return ll, g


def log_likelihood(
    params: BetaGeoParams | tuple[float, ...],
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    k: int,
) -> np.ndarray:
    """Return the per-customer log-likelihood."""
    x, t_x, T = validate_rft(x, t_x, T)
    d = _Prepared(x.ravel(), t_x.ravel(), T.ravel(), np.ones(x.size))
    ll, _ = _loglik_terms(np.asarray(params, dtype=float), d, k, grad=False)
    return ll.reshape(x.shape)


def fit(
    model: str,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    weights: np.ndarray | None,
    k: int,
) -> FitResult:
    """Fit by maximum likelihood on (optionally weighted) rows."""
    x, t_x, T = validate_rft(x, t_x, T)
    x, t_x, T = x.ravel(), t_x.ravel(), T.ravel()
    w = np.ones(x.size) if weights is None else np.asarray(weights, dtype=float).ravel()
    d = _Prepared(x, t_x, T, w)

    def nll(theta: np.ndarray) -> float:
        ll, _ = _loglik_terms(theta, d, k, grad=False)
        return float(-np.sum(w * ll))

    def nll_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, g = _loglik_terms(theta, d, k, grad=True)
        assert g is not None
        return float(-np.sum(w * ll)), -np.sum(g * w, axis=1)

    scale = float(np.average(T, weights=w)) or 1.0
    starts = [(1.0, scale, 1.0, 1.0), (0.5, scale / 4, 2.0, 5.0), (2.0, 4 * scale, 0.5, 0.5)]
    return maximize_likelihood(
        model, ("r", "alpha", "a", "b"), nll, starts, float(w.sum()), nll_grad
    )


def p_alive(
    params: BetaGeoParams | tuple[float, ...],
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    k: int,
) -> np.ndarray:
    """Return P(alive at T | x, t_x, T)."""
    r, alpha, a, b = params
    x, t_x, T = validate_rft(x, t_x, T)
    drop = _has_dropout_term(x, k)
    with np.errstate(divide="ignore"):
        log_odds = (
            np.log(a)
            - np.log(np.where(drop, b + x + k - 1, 1.0))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    log_odds = np.where(drop, log_odds, -np.inf)
    return np.exp(-np.logaddexp(0.0, log_odds))


def _series_cs(A: np.ndarray, a: float, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Sum c * sum_{n>=1} (A)_n (a-1)_n / ((a-1) (c)_n n!) z^n, free of poles for c > -1."""
    total = np.zeros(z.shape)
    term = A * z  # n = 1
    total += term
    active = np.flatnonzero(term != 0)
    n0 = 1
    offs = np.arange(_BLOCK, dtype=float)
    while active.size and n0 < 10_000_000:
        n = n0 + offs
        ratio = (
            (A[active, None] + n)
            * (a + n - 1)
            / ((c[active, None] + n) * (n + 1))
            * z[active, None]
        )
        terms = term[active, None] * np.cumprod(ratio, axis=1)
        total[active] += terms.sum(axis=1)
        term[active] = terms[:, -1]
        rho = np.maximum(np.abs(ratio[:, -1]), z[active])
        tail = np.abs(term[active]) * rho / (1 - rho)
        done = (np.abs(ratio[:, -1]) < 1) & (tail <= 1e-16 * (np.abs(total[active]) + 1e-300))
        active = active[~done]
        n0 += _BLOCK
    return total


def _alive_expectation(
    params: BetaGeoParams | tuple[float, ...],
    t: np.ndarray,
    x: np.ndarray,
    T: np.ndarray,
    k: int,
) -> np.ndarray:
    """Return E[purchases in (T, T+t] | alive at T, x] (up to the P(alive) factor)."""
    r, alpha, a, b = params
    t, x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (t, x, T)))
    c = a + b + k + x - 1
    A = np.full(c.shape, a + b + k - 1 - r)
    z = t / (alpha + T + t)
    L = np.log1p(-z)
    am1 = a - 1.0
    # [1 - (1-z)^(a-1)] / (a-1), continuous through a = 1.
    if abs(am1) < 1e-12:
        first = -L
    else:
        first = -np.expm1(am1 * L) / am1
    cs = _series_cs(A.ravel().copy(), a, c.ravel(), z.ravel()).reshape(z.shape)
    return c * first - np.exp(am1 * L) * cs


def expected_purchases(
    params: BetaGeoParams | tuple[float, ...],
    t: float | np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    k: int,
) -> np.ndarray:
    """Return E[number of purchases in (T, T + t] | x, t_x, T]."""
    x, t_x, T = validate_rft(x, t_x, T)
    t_arr, x_b, T_b = np.broadcast_arrays(np.asarray(t, dtype=float), x, T)
    core = _alive_expectation(params, t_arr, x_b, T_b, k)
    return core * p_alive(params, x, t_x, T, k)


def discounted_purchases(
    params: BetaGeoParams | tuple[float, ...],
    horizon: float,
    discount_rate: float,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (expected purchases over the horizon, their discounted sum) per customer.

    Purchases in period j (j = 1 .. ceil(horizon), one time unit each) are discounted by
    (1 + discount_rate)^-j. The expectation given alive depends only on (x, T), so it is
    computed once per distinct pair and scaled by each customer's P(alive).
    """
    x, t_x, T = validate_rft(x, t_x, T)
    steps = _horizon_steps(horizon)
    keys = np.column_stack([x.ravel(), T.ravel()])
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.ravel()
    ux, uT = uniq[:, 0], uniq[:, 1]
    cum = _alive_expectation(params, steps[None, :], ux[:, None], uT[:, None], k)
    incr = np.diff(cum, axis=1, prepend=0.0)
    disc = (1.0 + discount_rate) ** -np.ceil(steps - 1e-9)
    pa = p_alive(params, x, t_x, T, k).ravel()
    total = cum[:, -1][inv] * pa
    discounted = np.sum(incr * disc, axis=1)[inv] * pa
    return total.reshape(x.shape), discounted.reshape(x.shape)


def _horizon_steps(horizon: float) -> np.ndarray:
    if not horizon > 0:
        raise ValueError("horizon must be positive")
    steps = np.arange(1, int(np.ceil(horizon)) + 1, dtype=float)
    steps[-1] = horizon
    return steps


def simulate(
    params: BetaGeoParams | tuple[float, ...],
    T: np.ndarray,
    rng: np.random.Generator,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw (x, t_x) for customers observed for T time units each."""
    r, alpha, a, b = params
    T = np.asarray(T, dtype=float)
    lam = rng.gamma(r, 1.0 / alpha, size=T.shape)
    p = rng.beta(a, b, size=T.shape)
    # Repeat purchases made before dropping out: >= 1 for BG/NBD, >= 0 for MBG/NBD.
    max_repeats = rng.geometric(p) - k
    n_events = rng.poisson(lam * T)
    x = np.minimum(n_events, max_repeats)
    # The x-th of n uniform arrival times on (0, T) is T times a Beta(x, n - x + 1) draw.
    t_x = np.zeros(T.shape)
    pos = x > 0
    t_x[pos] = T[pos] * rng.beta(x[pos], n_events[pos] - x[pos] + 1)
    return x.astype(float), t_x


def simulate_purchase_times(
    x: np.ndarray, t_x: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Return (customer index, time) of all repeat purchases given x and t_x.

    For a Poisson process the first x - 1 arrivals before the x-th are uniform on (0, t_x).
    """
    x = np.asarray(x, dtype=np.int64)
    idx_last = np.flatnonzero(x > 0)
    n_inner = np.maximum(x - 1, 0)
    idx_inner = np.repeat(np.arange(x.size), n_inner)
    times_inner = t_x[idx_inner] * rng.random(idx_inner.size)
    cust = np.concatenate([idx_last, idx_inner])
    times = np.concatenate([t_x[idx_last], times_inner])
    return cust, times
