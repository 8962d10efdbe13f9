"""Customer value: fit a purchase model and the spend model, then score every customer.

Time unit rule: horizon and discount rate are per time unit of the summary. With weeks, a
one-year horizon is 52 and an annual rate of 10 % is 1.10 ** (1 / 52) - 1 = 0.00183 per week.
CLV = margin * E[value per purchase] * sum over periods j = 1 .. ceil(horizon) of
E[purchases in period j] / (1 + discount_rate) ** j.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import bgnbd, gammagamma, mbgnbd, paretonbd
from ._fit import FitResult
from .summary import Summary

__all__ = ["MODELS", "CustomerValue", "annual_to_unit_rate", "customer_value", "fit_purchase_model"]

MODELS = {"bgnbd": bgnbd, "paretonbd": paretonbd, "mbgnbd": mbgnbd}


@dataclass(frozen=True)
class CustomerValue:
    """Per-customer predictions plus the fits that produced them."""

    purchase_fit: FitResult
    spend_fit: FitResult | None
    expected_purchases: np.ndarray
    p_alive: np.ndarray
    expected_spend: np.ndarray
    clv: np.ndarray
    horizon: float
    discount_rate: float
    margin: float

    def population(self) -> dict[str, float]:
        """Return totals and means over all customers."""
        return {
            "expected_purchases_total": float(self.expected_purchases.sum()),
            "expected_purchases_mean": float(self.expected_purchases.mean()),
            "p_alive_mean": float(self.p_alive.mean()),
            "expected_spend_mean": float(self.expected_spend.mean()),
            "clv_total": float(self.clv.sum()),
            "clv_mean": float(self.clv.mean()),
        }


def annual_to_unit_rate(annual_rate: float, time_unit: str) -> float:
    """Convert an annual discount rate to the equivalent rate per time unit."""
    per_year = {"day": 365.25, "week": 365.25 / 7.0, "month": 12.0}[time_unit]
    return (1.0 + annual_rate) ** (1.0 / per_year) - 1.0


def _compressed(
    summary: Summary,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return unique (x, t_x, T) rows, their counts and the inverse index.

    Keys are built from whole days, so compression is exact and cheap.
    """
    span = int(max(summary.T_days.max(initial=0), 0)) + 1
    key = (summary.x.astype(np.int64) * span + summary.t_x_days) * span + summary.T_days
    uniq, first, inverse, counts = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    del uniq
    return (
        summary.x[first],
        summary.t_x[first],
        summary.T[first],
        counts.astype(float),
        inverse.ravel(),
    )


def fit_purchase_model(summary: Summary, model: str = "bgnbd") -> FitResult:
    """Fit a purchase model on the summary's compressed rows."""
    x, t_x, T, w, _ = _compressed(summary)
    return MODELS[model].fit(x, t_x, T, w)


def fit_spend_model(summary: Summary) -> FitResult | None:
    """Fit Gamma-Gamma on customers with positive-value repeat purchases, if there are enough."""
    m = summary.n_spend > 0
    if np.count_nonzero(m) < 3:
        return None
    return gammagamma.fit(summary.n_spend[m], summary.monetary_value[m])


def customer_value(
    summary: Summary,
    model: str = "bgnbd",
    horizon: float = 52.0,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    purchase_fit: FitResult | None = None,
    spend_fit: FitResult | None = None,
) -> CustomerValue:
    """Fit (unless given) and score every customer of the summary."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}")
    if not horizon > 0 or not discount_rate >= 0 or not margin >= 0:
        raise ValueError("need horizon > 0, discount rate >= 0 and margin >= 0")
    mod = MODELS[model]
    x, t_x, T, _, inv = _compressed(summary)
    if purchase_fit is None:
        purchase_fit = fit_purchase_model(summary, model)
    params = purchase_fit.values()
    total, discounted = mod.discounted_purchases(params, horizon, discount_rate, x, t_x, T)
    pa = mod.p_alive(params, x, t_x, T)
    if spend_fit is None:
        spend_fit = fit_spend_model(summary)
    if spend_fit is not None and spend_fit.params["q"] > 1:
        spend = gammagamma.expected_spend(
            spend_fit.values(), summary.n_spend, summary.monetary_value
        )
    else:
        # Too little repeat spend to fit (or an infinite population mean): use observed means.
        pos = summary.monetary_value[summary.n_spend > 0]
        fallback = float(pos.mean()) if pos.size else 0.0
        spend = np.where(summary.n_spend > 0, summary.monetary_value, fallback)
    return CustomerValue(
        purchase_fit=purchase_fit,
        spend_fit=spend_fit,
        expected_purchases=total[inv],
        p_alive=pa[inv],
        expected_spend=spend,
        clv=margin * spend * discounted[inv],
        horizon=float(horizon),
        discount_rate=float(discount_rate),
        margin=float(margin),
    )
