"""Parameter recovery: fits of simulated data land within three standard errors of the truth.

The 1M-customer runs stay fast because the fit works on the distinct (x, t_x, T) rows with
weights; recencies are recorded in whole days, as a transaction log would.
"""

from __future__ import annotations

import numpy as np
import pytest

from kundenwert.clv import bgbb, bgnbd, gammagamma, mbgnbd, paretonbd, sbg


def _simulate_compressed(model, truth, n, seed):
    rng = np.random.default_rng(seed)
    # Weekly cohorts of one quarter, observed for 39 weeks after it; recency in whole days.
    T_days = 273 + 7 * rng.integers(0, 13, n)
    x, t_x = model.simulate(truth, T_days / 7.0, rng)
    tx_days = np.where(x > 0, np.clip(np.round(t_x * 7.0), 1, T_days), 0)
    key = (x.astype(np.int64) * 512 + tx_days) * 512 + T_days
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    return x[first], tx_days[first] / 7.0, T_days[first] / 7.0, counts.astype(float)


def _assert_within_3se(res, truth):
    assert res.converged, res.message
    for name, value in zip(res.params, truth, strict=True):
        se = res.se[name]
        assert np.isfinite(se) and se > 0
        assert abs(res.params[name] - value) <= 3 * se, (name, res.params[name], value, se)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "truth"),
    [
        (bgnbd, (0.243, 4.414, 0.793, 2.426)),
        (mbgnbd, (0.525, 6.183, 0.891, 1.614)),
        (paretonbd, (0.553, 10.578, 0.606, 11.669)),
    ],
    ids=["bgnbd", "mbgnbd", "paretonbd"],
)
def test_recovery_one_million_customers(model, truth):
    x, t_x, T, w = _simulate_compressed(model, truth, 1_000_000, seed=20070101)
    assert w.sum() == 1_000_000
    assert x.size < 200_000
    res = model.fit(x, t_x, T, w)
    _assert_within_3se(res, truth)
    # Standard errors shrink like 1/sqrt(n): far tighter than the CDNOW ones.
    assert res.se["r"] < 0.01


def test_recovery_gamma_gamma():
    truth = (6.25, 3.74, 15.44)
    rng = np.random.default_rng(7)
    x = rng.integers(1, 15, 200_000).astype(float)
    zbar = gammagamma.simulate(truth, x, rng)
    _assert_within_3se(gammagamma.fit(x, zbar), truth)


def test_recovery_bgbb():
    truth = (1.204, 0.750, 0.657, 2.783)
    rng = np.random.default_rng(11)
    x, t_x = bgbb.simulate(truth, 6, 300_000, rng)
    rows = np.column_stack([x, t_x])
    uniq, counts = np.unique(rows, axis=0, return_counts=True)
    res = bgbb.fit(uniq[:, 0], uniq[:, 1], 6, counts)
    _assert_within_3se(res, truth)


def test_recovery_sbg():
    truth = (0.704, 1.182)
    rng = np.random.default_rng(3)
    lifetimes = sbg.simulate(truth, 200_000, rng)
    alive = np.array([(lifetimes > t).sum() for t in range(8)], dtype=float)
    _assert_within_3se(sbg.fit(alive), truth)


def test_simulated_purchase_times_reproduce_summary():
    """simulate_purchase_times gives a log whose summary has the simulated x and t_x."""
    rng = np.random.default_rng(5)
    T = np.full(1000, 52.0)
    x, t_x = bgnbd.simulate((0.243, 4.414, 0.793, 2.426), T, rng)
    cust, times = bgnbd.simulate_purchase_times(x, t_x, rng)
    assert np.array_equal(np.bincount(cust, minlength=T.size), x.astype(int))
    last = np.zeros(T.size)
    np.maximum.at(last, cust, times)
    np.testing.assert_allclose(last, t_x)
