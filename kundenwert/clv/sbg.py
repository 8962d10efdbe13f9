"""Shifted-beta-geometric model for contracts and subscriptions (Fader & Hardie 2007).

Each customer renews at every period end with a fixed probability 1 - theta, where theta ~
Beta(alpha, beta) across customers. Retention therefore rises over time: heterogeneity, not
changing loyalty, makes the survivors look more loyal.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import betaln

from ._fit import FitResult, maximize_likelihood

__all__ = [
    "SBGParams",
    "churn_probability",
    "discounted_expected_lifetime",
    "fit",
    "retention_rate",
    "simulate",
    "survival",
]


class SBGParams(NamedTuple):
    """Parameters alpha and beta of the beta-distributed churn probability."""

    alpha: float
    beta: float


def churn_probability(params: SBGParams | tuple[float, ...], t: np.ndarray) -> np.ndarray:
    """Return P(lifetime = t periods), t = 1, 2, ..."""
    a, b = params
    t = np.asarray(t, dtype=float)
    return np.exp(betaln(a + 1.0, b + t - 1.0) - betaln(a, b))


def survival(params: SBGParams | tuple[float, ...], t: np.ndarray) -> np.ndarray:
    """Return P(still a customer after t periods), t = 0, 1, ..."""
    a, b = params
    t = np.asarray(t, dtype=float)
    return np.exp(betaln(a, b + t) - betaln(a, b))


def retention_rate(params: SBGParams | tuple[float, ...], t: np.ndarray) -> np.ndarray:
    """Return the share of customers alive after t - 1 periods who renew for period t."""
    a, b = params
    t = np.asarray(t, dtype=float)
    return (b + t - 1.0) / (a + b + t - 1.0)


def fit(alive: np.ndarray) -> FitResult:
    """Fit to a cohort's counts still active at the start of periods 0, 1, ..., n."""
    alive = np.asarray(alive, dtype=float)
    if alive.ndim != 1 or alive.size < 2 or np.any(np.diff(alive) > 0):
        raise ValueError("need a non-increasing sequence of at least two cohort sizes")
    lost = -np.diff(alive)
    t = np.arange(1, alive.size, dtype=float)

    def nll(theta: np.ndarray) -> float:
        a, b = theta
        ll = lost @ (betaln(a + 1.0, b + t - 1.0) - betaln(a, b))
        ll += alive[-1] * (betaln(a, b + t[-1]) - betaln(a, b))
        return float(-ll)

    return maximize_likelihood(
        "sbg", ("alpha", "beta"), nll, [(1.0, 1.0), (0.5, 3.0)], float(alive[0])
    )


def discounted_expected_lifetime(
    params: SBGParams | tuple[float, ...], discount_rate: float, max_periods: int = 100_000
) -> float:
    """Return sum over t >= 0 of survival(t) / (1 + d)^t: the discounted number of payments.

    Counts the payment at the start of the first period; multiply by the payment per period for
    the discounted expected lifetime value of a new customer.
    """
    t = np.arange(max_periods, dtype=float)
    return float(np.sum(survival(params, t) * (1.0 + discount_rate) ** -t))


def simulate(
    params: SBGParams | tuple[float, ...], size: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw lifetimes (number of periods paid for, >= 1) of `size` new customers."""
    a, b = params
    theta = rng.beta(a, b, size)
    return rng.geometric(np.maximum(theta, 1e-300)).astype(float)
