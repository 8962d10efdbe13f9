"""Special functions evaluated in log space.

scipy.special.hyp2f1 silently loses accuracy (or overflows) when its parameters are large, which
is exactly the regime of heavy buyers in the Pareto/NBD model. The series below are summed in
blocks of terms with cumulative log-ratios, so nothing overflows and the cost per row only depends
on how fast the series converges.
"""

from __future__ import annotations

import numpy as np

__all__ = ["log1mexp", "log_hyp2f1"]

_BLOCK = 32
_ROW_CHUNK = 8192
# Stop once the bounded tail is below exp(-36) ~ 2e-16 of the running sum.
_TAIL_LOG_TOL = -36.0


def log1mexp(x: np.ndarray) -> np.ndarray:
    """Return log(1 - exp(x)) for x <= 0 without cancellation."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -0.6931471805599453, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def _log_series_positive(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray, max_terms: int
) -> np.ndarray:
    """Sum log(sum_n (a)_n (b)_n / ((c)_n n!) z^n) for a, b, c > 0 and 0 <= z < 1."""
    n_rows = a.shape[0]
    acc = np.zeros(n_rows)  # log of the running sum; the n = 0 term is 1
    last = np.zeros(n_rows)  # log of the latest term
    with np.errstate(divide="ignore"):
        logz = np.log(z)
    active = np.flatnonzero(z > 0)
    n0 = 0
    offsets = np.arange(_BLOCK, dtype=float)
    while active.size and n0 < max_terms:
        n = n0 + offsets
        aa, bb, cc = a[active, None], b[active, None], c[active, None]
        log_ratio = (
            np.log(aa + n) + np.log(bb + n) - np.log(cc + n) - np.log1p(n) + logz[active, None]
        )
        log_terms = last[active, None] + np.cumsum(log_ratio, axis=1)
        peak = log_terms.max(axis=1)
        with np.errstate(invalid="ignore"):
            block = peak + np.log(np.exp(log_terms - peak[:, None]).sum(axis=1))
        block = np.where(np.isfinite(peak), block, -np.inf)
        acc[active] = np.logaddexp(acc[active], block)
        last[active] = log_terms[:, -1]
        # Once the term ratio is below 1 it tends monotonically to z, so the tail is bounded by
        # a geometric series with ratio max(current ratio, z).
        rho = np.maximum(log_ratio[:, -1], logz[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = last[active] + rho - np.log(-np.expm1(rho))
        done = (rho < 0) & (tail < acc[active] + _TAIL_LOG_TOL)
        active = active[~done]
        n0 += _BLOCK
    if active.size:
        acc[active] = np.nan  # did not converge within max_terms
    return acc


def log_hyp2f1(
    a: np.ndarray | float,
    b: np.ndarray | float,
    c: np.ndarray | float,
    z: np.ndarray | float,
    max_terms: int = 4_000_000,
) -> np.ndarray:
    """Return log 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1.

    Uses Euler's transformation 2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z)
    whenever it keeps all series terms positive and shrinks them, which is the case for the
    Pareto/NBD likelihood: there it turns a series whose terms first grow like (1 - z)^-x into
    one whose terms fall at least as fast as z^n.
    """
    a, b, c, z = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (a, b, c, z)),
    )
    shape = a.shape
    a, b, c, z = (np.ravel(v) for v in (a, b, c, z))
    if np.any((a <= 0) | (b <= 0) | (c <= 0)) or np.any((z < 0) | (z >= 1)):
        raise ValueError("log_hyp2f1 needs a, b, c > 0 and 0 <= z < 1")
    euler = (c > a) & (c > b) & ((c - a) * (c - b) < a * b)
    prefactor = np.where(euler, (c - a - b) * np.log1p(-z), 0.0)
    aa = np.where(euler, c - a, a)
    bb = np.where(euler, c - b, b)
    out = np.empty_like(a)
    for start in range(0, a.size, _ROW_CHUNK):
        sl = slice(start, start + _ROW_CHUNK)
        out[sl] = _log_series_positive(aa[sl], bb[sl], c[sl], z[sl], max_terms)
    return (prefactor + out).reshape(shape)
