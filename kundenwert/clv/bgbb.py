"""BG/BB model for discrete purchase opportunities (Fader, Hardie & Shang 2010).

At each of n opportunities (e.g. yearly campaigns) an alive customer buys with probability
p ~ Beta(alpha, beta) and, before each opportunity, dies with probability theta ~ Beta(gamma,
delta). Data per customer: x purchases, last purchase at opportunity t_x, n opportunities.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import betaln, logsumexp

from ._fit import FitResult, maximize_likelihood

__all__ = [
    "BGBBParams",
    "expected_purchases",
    "fit",
    "log_likelihood",
    "p_alive",
    "simulate",
]


class BGBBParams(NamedTuple):
    """Parameters alpha, beta (purchase probability) and gamma, delta (dropout probability)."""

    alpha: float
    beta: float
    gamma: float
    delta: float


def _validate(x: np.ndarray, t_x: np.ndarray, n: np.ndarray):
    x, t_x, n = (np.asarray(v, dtype=float) for v in np.broadcast_arrays(x, t_x, n))
    if np.any(x < 0) or np.any(x > t_x) or np.any(t_x > n) or np.any((x > 0) & (t_x < 1)):
        raise ValueError("need 0 <= x <= t_x <= n, and t_x >= 1 when x > 0")
    return x, t_x, n


def _log_alive_part(params, x, n):
    a, b, g, d = params
    return betaln(a + x, b + n - x) - betaln(a, b) + betaln(g, d + n) - betaln(g, d)


def log_likelihood(
    params: BGBBParams | tuple[float, ...], x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """Return the per-customer log-likelihood."""
    a, b, g, d = params
    x, t_x, n = _validate(x, t_x, n)
    alive = _log_alive_part(params, x, n)
    # Death at the start of opportunity t_x + i + 1, for i = 0 .. n - t_x - 1.
    gap = int(np.max(n - t_x)) if x.size else 0
    i = np.arange(gap, dtype=float)
    xx, tt, nn = x[..., None], t_x[..., None], n[..., None]
    terms = (
        betaln(a + xx, b + tt - xx + i) - betaln(a, b) + betaln(g + 1.0, d + tt + i) - betaln(g, d)
    )
    terms = np.where(i < nn - tt, terms, -np.inf)
    parts = np.concatenate([alive[..., None], terms], axis=-1)
    return logsumexp(parts, axis=-1)


def fit(
    x: np.ndarray, t_x: np.ndarray, n: np.ndarray, weights: np.ndarray | None = None
) -> FitResult:
    """Fit by maximum likelihood on (optionally weighted) rows."""
    x, t_x, n = (v.ravel() for v in _validate(x, t_x, n))
    w = np.ones(x.size) if weights is None else np.asarray(weights, dtype=float).ravel()

    def nll(theta: np.ndarray) -> float:
        return float(-np.sum(w * log_likelihood(tuple(theta), x, t_x, n)))

    starts = [(1.0, 1.0, 1.0, 1.0), (0.5, 2.0, 0.5, 5.0)]
    return maximize_likelihood(
        "bgbb", ("alpha", "beta", "gamma", "delta"), nll, starts, float(w.sum())
    )


def p_alive(
    params: BGBBParams | tuple[float, ...], x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """Return P(alive at opportunity n + 1 | x, t_x, n)."""
    _a, _b, g, d = params
    x, t_x, n = _validate(x, t_x, n)
    log_num = _log_alive_part(params, x, n) + betaln(g, d + n + 1) - betaln(g, d + n)
    return np.exp(log_num - log_likelihood(params, x, t_x, n))


def expected_purchases(
    params: BGBBParams | tuple[float, ...],
    n_star: int,
    x: np.ndarray,
    t_x: np.ndarray,
    n: np.ndarray,
) -> np.ndarray:
    """Return E[purchases in the next n_star opportunities | x, t_x, n]."""
    a, b, g, d = params
    x, t_x, n = _validate(x, t_x, n)
    ll = log_likelihood(params, x, t_x, n)
    j = np.arange(1, int(n_star) + 1, dtype=float)
    # Alive at opportunity n + j and buying there, jointly with the observed history.
    log_survive = logsumexp(betaln(g, d + n[..., None] + j) - betaln(g, d), axis=-1)
    log_buy = betaln(a + x + 1, b + n - x) - betaln(a, b)
    return np.exp(log_buy + log_survive - ll)


def simulate(
    params: BGBBParams | tuple[float, ...], n: int, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw (x, t_x) for `size` customers with n opportunities each."""
    a, b, g, d = params
    p = rng.beta(a, b, size)
    theta = rng.beta(g, d, size)
    x = np.zeros(size)
    t_x = np.zeros(size)
    alive = np.ones(size, dtype=bool)
    for t in range(1, n + 1):
        alive &= rng.random(size) >= theta
        buy = alive & (rng.random(size) < p)
        x += buy
        t_x[buy] = t
    return x, t_x
