"""Gamma-Gamma spend model (Colombo & Jiang 1999; Fader, Hardie & Lee 2005, "RFM and CLV").

Each purchase value is Gamma(p, nu) with a customer-specific scale nu ~ Gamma(q, gamma); spend is
assumed independent of the purchase process. Fit on customers with at least one repeat purchase
of positive value, using their number of such purchases and the mean value.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import digamma, gammaln

from ._fit import FitResult, maximize_likelihood

__all__ = ["GammaGammaParams", "expected_spend", "fit", "log_likelihood", "simulate"]


class GammaGammaParams(NamedTuple):
    """Parameters p (shape of a purchase value), q and gamma (its scale across customers)."""

    p: float
    q: float
    gamma: float


def _validate(x: np.ndarray, zbar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, zbar = (np.asarray(v, dtype=float) for v in np.broadcast_arrays(x, zbar))
    if np.any(x < 1) or np.any(zbar <= 0):
        raise ValueError("the spend model needs x >= 1 and a positive mean value")
    return x, zbar


def log_likelihood(
    params: GammaGammaParams | tuple[float, ...], x: np.ndarray, zbar: np.ndarray
) -> np.ndarray:
    """Return the log density of the observed mean value zbar of x purchases."""
    p, q, gamma = params
    x, zbar = _validate(x, zbar)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + px * np.log(x)
        + (px - 1.0) * np.log(zbar)
        - (px + q) * np.log(gamma + x * zbar)
    )


def fit(x: np.ndarray, zbar: np.ndarray, weights: np.ndarray | None = None) -> FitResult:
    """Fit by maximum likelihood; rows need x >= 1 and zbar > 0."""
    x, zbar = (v.ravel() for v in _validate(x, zbar))
    w = np.ones(x.size) if weights is None else np.asarray(weights, dtype=float).ravel()
    # Terms that depend on x only are evaluated once per distinct x.
    ux, ix = np.unique(x, return_inverse=True)
    wx = np.bincount(ix, weights=w, minlength=ux.size)
    log_ux = np.log(ux)
    log_z = np.log(zbar)
    wxz = np.bincount(ix, weights=w * log_z, minlength=ux.size)
    w_logz = float(np.sum(w * log_z))

    def nll_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = theta
        pux = p * ux
        log_gz = np.log(gamma + x * zbar)
        wlg = np.bincount(ix, weights=w * log_gz, minlength=ux.size)
        ll = (
            wx @ (gammaln(pux + q) - gammaln(pux) - gammaln(q) + q * np.log(gamma) + pux * log_ux)
            + p * (ux @ wxz)
            - w_logz
            - (pux + q) @ wlg
        )
        psi_pq = digamma(pux + q)
        dp = ux @ (wx * (psi_pq - digamma(pux) + log_ux) + wxz - wlg)
        dq = wx @ (psi_pq - digamma(q) + np.log(gamma)) - wlg.sum()
        dg = q / gamma * wx.sum() - float(np.sum((pux + q)[ix] * w / (gamma + x * zbar)))
        return float(-ll), -np.array([dp, dq, dg])

    def nll(theta: np.ndarray) -> float:
        return nll_grad(theta)[0]

    m = float(np.average(zbar, weights=w))
    starts = [(1.0, 2.0, m), (5.0, 3.0, m / 2), (0.5, 5.0, 4 * m)]
    return maximize_likelihood(
        "gamma_gamma", ("p", "q", "gamma"), nll, starts, float(w.sum()), nll_grad
    )


def expected_spend(
    params: GammaGammaParams | tuple[float, ...], x: np.ndarray, zbar: np.ndarray
) -> np.ndarray:
    """Return E[value of a purchase | x purchases with mean zbar].

    A weighted average of the population mean p gamma / (q - 1) and the customer's own mean;
    customers with x = 0 get the population mean. Needs q > 1.
    """
    p, q, gamma = params
    x, zbar = (np.asarray(v, dtype=float) for v in np.broadcast_arrays(x, zbar))
    zbar = np.where(x > 0, zbar, 0.0)
    return p * (gamma + x * zbar) / (p * x + q - 1.0)


def simulate(
    params: GammaGammaParams | tuple[float, ...], x: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw the mean value of x purchases per customer (0 where x = 0)."""
    p, q, gamma = params
    x = np.asarray(x, dtype=float)
    nu = rng.gamma(q, 1.0 / gamma, size=x.shape)
    # The sum of x Gamma(p, nu) values is Gamma(p x, nu).
    total = rng.gamma(np.maximum(p * x, 1e-300), 1.0 / nu)
    return np.where(x > 0, total / np.maximum(x, 1.0), 0.0)


def draw_values(
    params: GammaGammaParams | tuple[float, ...],
    customer: np.ndarray,
    n_customers: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw one value per purchase; customer[i] indexes the buyer of purchase i."""
    p, q, gamma = params
    nu = rng.gamma(q, 1.0 / gamma, size=n_customers)
    return rng.gamma(p, 1.0 / nu[customer])
