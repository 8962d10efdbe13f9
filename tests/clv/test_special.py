"""log_hyp2f1 against reference values derived without mpmath.

References: closed forms, the incomplete-beta identity
2F1(1, p + q; p + 1; z) = p B(p, q) I_z(p, q) z^-p (1 - z)^-q (scipy.special.betainc is accurate
for large p and q), and quadrature of Euler's integral.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special

from kundenwert.clv import log_hyp2f1


@pytest.mark.parametrize("z", [0.0, 1e-8, 0.3, 0.9, 0.999])
def test_log_series_closed_form(z):
    expected = 0.0 if z == 0 else np.log(-np.log1p(-z) / z)
    assert log_hyp2f1(1.0, 1.0, 2.0, z) == pytest.approx(expected, rel=1e-13, abs=1e-15)


@pytest.mark.parametrize(("a", "z"), [(0.3, 0.5), (3.3, 0.9), (5000.0, 0.9), (1e4, 0.5)])
def test_power_closed_form(a, z):
    # 2F1(a, b; b; z) = (1 - z)^-a; for a = 5000 the value is e^11513, far beyond float range.
    assert log_hyp2f1(a, 2.5, 2.5, z) == pytest.approx(-a * np.log1p(-z), rel=1e-12)


@pytest.mark.parametrize(
    ("p", "q", "z"),
    [
        (0.3, 2.5, 0.5),
        (2.5, 0.7, 0.999),
        (60.0, 4.0, 0.95),
        (2000.5, 3.5, 0.999),
        (10000.3, 1.7, 0.9999),
    ],
)
def test_incomplete_beta_identity(p, q, z):
    expected = (
        np.log(p)
        + special.betaln(p, q)
        + np.log(special.betainc(p, q, z))
        - p * np.log(z)
        - q * np.log1p(-z)
    )
    assert log_hyp2f1(1.0, p + q, p + 1.0, z) == pytest.approx(expected, rel=1e-10)


def _euler_integral(a: float, b: float, c: float, z: float) -> float:
    """Return log 2F1 via Euler's integral, for c > b > 0 (quadrature, log-shifted)."""

    def log_f(u: float) -> float:
        return (b - 1) * np.log(u) + (c - b - 1) * np.log1p(-u) - a * np.log1p(-z * u)

    grid = np.linspace(1e-9, 1 - 1e-9, 2001)
    shift = max(log_f(u) for u in grid)
    val, _ = integrate.quad(
        lambda u: np.exp(log_f(u) - shift), 0, 1, epsabs=0, epsrel=1e-13, limit=400
    )
    return float(
        np.log(val) + shift + special.gammaln(c) - special.gammaln(b) - special.gammaln(c - b)
    )


@pytest.mark.parametrize(
    ("a", "b", "c", "z"),
    [
        # Pareto/NBD-shaped parameters: a = r + s + x, c = a + 1, large x.
        (1000.8, 1.6, 1001.8, 0.5),
        (1000.8, 1.6, 1001.8, 0.95),
        (12.5, 1.6, 13.5, 0.99),
        (3.0, 1.5, 4.0, 0.7),
        (40.0, 2.0, 7.0, 0.6),
    ],
)
def test_euler_integral(a, b, c, z):
    assert log_hyp2f1(a, b, c, z) == pytest.approx(_euler_integral(a, b, c, z), rel=1e-9)


def test_large_parameters_where_scipy_overflows():
    """Pareto/NBD with x = 10,000 and alpha < beta: 2F1(r+s+x, r+x; r+s+x+1; z)."""
    r, s, x, z = 0.55, 0.6, 10_000.0, 0.3
    a, b, c = r + s + x, r + x, r + s + x + 1
    ours = log_hyp2f1(a, b, c, z)
    # Euler: (1 - z)^(1 - r - x) 2F1(1, s + 1; c; z), the latter summed naively in float.
    n = np.arange(200)
    terms = np.exp(
        special.gammaln(s + 1 + n)
        - special.gammaln(s + 1)
        + special.gammaln(c)
        - special.gammaln(c + n)
        + n * np.log(z)
    )
    expected = (1 - r - x) * np.log1p(-z) + np.log(terms.sum())
    assert ours == pytest.approx(expected, rel=1e-13)
    assert ours > 700  # exp(ours) overflows a double: only the log is representable
    assert not np.isfinite(special.hyp2f1(a, b, c, z))  # what scipy gives here


def test_vectorised_and_shapes():
    z = np.linspace(0, 0.99, 12).reshape(3, 4)
    out = log_hyp2f1(1.0, 1.0, 2.0, z)
    assert out.shape == (3, 4)
    assert np.all(np.isfinite(out))


def test_rejects_outside_domain():
    with pytest.raises(ValueError):
        log_hyp2f1(1.0, 1.0, 2.0, 1.0)
    with pytest.raises(ValueError):
        log_hyp2f1(-1.0, 1.0, 2.0, 0.5)
