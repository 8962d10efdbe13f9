"""BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Thin public wrappers around the shared beta-geometric core in _betageo.
"""

from __future__ import annotations

import numpy as np

from . import _betageo as _core
from ._betageo import BetaGeoParams, simulate_purchase_times
from ._fit import FitResult

__all__ = [
    "BetaGeoParams",
    "discounted_purchases",
    "expected_purchases",
    "fit",
    "log_likelihood",
    "p_alive",
    "simulate",
    "simulate_purchase_times",
]

_K = 0


def log_likelihood(
    params: BetaGeoParams | tuple[float, ...], x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Return the per-customer log-likelihood."""
    return _core.log_likelihood(params, x, t_x, T, _K)


def fit(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray | None = None
) -> FitResult:
    """Fit r, alpha, a, b by maximum likelihood on (optionally weighted) rows."""
    return _core.fit("bgnbd", x, t_x, T, weights, _K)


def p_alive(
    params: BetaGeoParams | tuple[float, ...], x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Return P(alive at T | x, t_x, T)."""
    return _core.p_alive(params, x, t_x, T, _K)


def expected_purchases(
    params: BetaGeoParams | tuple[float, ...],
    t: float | np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
) -> np.ndarray:
    """Return E[number of purchases in (T, T + t] | x, t_x, T]."""
    return _core.expected_purchases(params, t, x, t_x, T, _K)


def discounted_purchases(
    params: BetaGeoParams | tuple[float, ...],
    horizon: float,
    discount_rate: float,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (expected purchases over the horizon, their discounted sum) per customer."""
    return _core.discounted_purchases(params, horizon, discount_rate, x, t_x, T, _K)


def simulate(
    params: BetaGeoParams | tuple[float, ...], T: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw (x, t_x) for customers observed for T time units each."""
    return _core.simulate(params, T, rng, _K)
