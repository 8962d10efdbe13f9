"""Customer value: the time-unit rule, discounting, and property-based robustness."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kundenwert.clv import (
    annual_to_unit_rate,
    bgnbd,
    customer_value,
    mbgnbd,
    paretonbd,
    summarize,
)


@pytest.fixture(scope="module")
def summaries(cdnow_raw):
    raw = cdnow_raw
    return {
        unit: summarize(
            raw["id"], raw["date"], raw["amount"], time_unit=unit, calibration_end="1997-09-30"
        )
        for unit in ("day", "week")
    }


def test_time_unit_does_not_change_predictions(summaries):
    """Fitting in days or weeks is the same model: alpha scales by 7, forecasts agree."""
    cv_day = customer_value(summaries["day"], "bgnbd", horizon=364.0)
    cv_week = customer_value(summaries["week"], "bgnbd", horizon=52.0)
    pd_, pw = cv_day.purchase_fit.params, cv_week.purchase_fit.params
    assert pd_["alpha"] == pytest.approx(7 * pw["alpha"], rel=1e-4)
    for name in ("r", "a", "b"):
        assert pd_[name] == pytest.approx(pw[name], rel=1e-4)
    assert cv_day.purchase_fit.log_likelihood == pytest.approx(
        cv_week.purchase_fit.log_likelihood - 2457 * np.log(7), abs=1e-3
    )  # densities of t_x differ by the Jacobian 1/7 per repeat purchase
    np.testing.assert_allclose(cv_day.expected_purchases, cv_week.expected_purchases, rtol=1e-4)
    np.testing.assert_allclose(cv_day.p_alive, cv_week.p_alive, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(cv_day.clv, cv_week.clv, rtol=1e-4)


def test_clv_formula_and_discounting(summaries):
    s = summaries["week"]
    plain = customer_value(s, "bgnbd", horizon=52.0, margin=0.3)
    np.testing.assert_allclose(
        plain.clv, 0.3 * plain.expected_spend * plain.expected_purchases, rtol=1e-12
    )
    d = annual_to_unit_rate(0.10, "week")
    assert (1 + d) ** (365.25 / 7) == pytest.approx(1.10)
    disc = customer_value(s, "bgnbd", horizon=52.0, discount_rate=d, margin=0.3)
    ratio = disc.clv.sum() / plain.clv.sum()
    assert 1 / 1.10 < ratio < 1.0  # a year's purchases, discounted by less than a full year
    # Per-period sum by hand for one customer.
    params = disc.purchase_fit.values()
    x, t_x, T = s.x[:1], s.t_x[:1], s.T[:1]
    cum = np.array([bgnbd.expected_purchases(params, j, x, t_x, T)[0] for j in range(0, 53)])
    by_hand = 0.3 * disc.expected_spend[0] * np.sum(np.diff(cum) / (1 + d) ** np.arange(1, 53))
    assert disc.clv[0] == pytest.approx(by_hand, rel=1e-10)


def test_population_figures(summaries):
    cv = customer_value(summaries["week"], "paretonbd", horizon=39.0)
    pop = cv.population()
    assert pop["expected_purchases_total"] == pytest.approx(cv.expected_purchases.sum())
    assert 0 < pop["p_alive_mean"] < 1
    assert pop["clv_total"] > 0


positive = st.floats(min_value=0.02, max_value=60.0, allow_nan=False)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    params=st.tuples(positive, positive, positive, positive),
    x=st.integers(min_value=0, max_value=10_000),
    frac=st.floats(min_value=0.0, max_value=1.0),
    T=st.floats(min_value=0.1, max_value=3652.0),
    horizon=st.floats(min_value=0.5, max_value=520.0),
)
def test_random_parameters_and_data(params, x, frac, T, horizon):
    t_x = 0.0 if x == 0 else max(frac * T, 1e-3 * T)
    for model in (bgnbd, mbgnbd, paretonbd):
        ll = model.log_likelihood(params, x, t_x, T)
        pa = model.p_alive(params, x, t_x, T)
        e = model.expected_purchases(params, horizon, x, t_x, T)
        assert np.isfinite(ll), (model.__name__, params, x, t_x, T)
        assert np.isfinite(pa) and 0.0 <= pa <= 1.0
        assert np.isfinite(e) and e >= -1e-9
