"""Maximum-likelihood machinery shared by all models."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

__all__ = ["FitResult", "compress_rows", "maximize_likelihood", "numerical_hessian"]

NegLogLik = Callable[[np.ndarray], float]
NegLogLikGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]

# Log-parameters are boxed so that a wandering line search cannot overflow exp().
_LOG_BOUND = 18.0
# Mean-per-customer gradient (with respect to log-parameters) regarded as zero.
_GRAD_TOL = 1e-5


@dataclass(frozen=True)
class FitResult:
    """Fitted parameters of one model with their standard errors."""

    model: str
    params: dict[str, float]
    se: dict[str, float]
    log_likelihood: float
    converged: bool
    message: str
    n_obs: float
    covariance: np.ndarray = field(repr=False)
    iterations: int = 0

    def __getitem__(self, name: str) -> float:
        return self.params[name]

    def values(self) -> tuple[float, ...]:
        """Return the parameters in model order."""
        return tuple(self.params.values())

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable summary."""
        out: dict[str, object] = dict(self.params)
        out["log_likelihood"] = self.log_likelihood
        out["se"] = {k: (None if not math.isfinite(v) else v) for k, v in self.se.items()}
        out["converged"] = self.converged
        out["message"] = self.message
        out["n_obs"] = self.n_obs
        out["iterations"] = self.iterations
        return out


def compress_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Return the unique rows of the columns, their counts and the inverse index."""
    stacked = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    uniq, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    return [uniq[:, i] for i in range(uniq.shape[1])], counts.astype(float), inverse.ravel()


def _central_grad(f: NegLogLik, x: np.ndarray, rel_step: float = 1e-6) -> np.ndarray:
    g = np.empty_like(x)
    for i in range(x.size):
        h = rel_step * max(1.0, abs(x[i]))
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


def numerical_hessian(
    f: NegLogLik,
    theta: np.ndarray,
    grad: NegLogLikGrad | None = None,
    rel_step: float = 1e-4,
) -> np.ndarray:
    """Return the central-difference Hessian of f at theta (natural parameters)."""
    k = theta.size
    h = rel_step * np.maximum(np.abs(theta), 1e-8)
    hess = np.empty((k, k))
    if grad is not None:
        for j in range(k):
            tp, tm = theta.copy(), theta.copy()
            tp[j] += h[j]
            tm[j] -= h[j]
            hess[:, j] = (grad(tp)[1] - grad(tm)[1]) / (2 * h[j])
    else:
        f0 = f(theta)
        for i in range(k):
            for j in range(i, k):
                if i == j:
                    tp, tm = theta.copy(), theta.copy()
                    tp[i] += h[i]
                    tm[i] -= h[i]
                    hess[i, i] = (f(tp) - 2 * f0 + f(tm)) / h[i] ** 2
                    continue
                vals = []
                for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                    t = theta.copy()
                    t[i] += si * h[i]
                    t[j] += sj * h[j]
                    vals.append(f(t))
                hess[i, j] = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * h[i] * h[j])
                hess[j, i] = hess[i, j]
    return 0.5 * (hess + hess.T)


def _hessian_log(
    mean_obj: NegLogLik, phi: np.ndarray, grad_fn: Callable[[np.ndarray], np.ndarray] | None
) -> np.ndarray:
    """Return the Hessian of the mean objective with respect to log-parameters."""
    k = phi.size
    h = 1e-4
    if grad_fn is not None:
        hess = np.empty((k, k))
        for j in range(k):
            e = np.zeros(k)
            e[j] = h
            hess[:, j] = (grad_fn(phi + e) - grad_fn(phi - e)) / (2 * h)
        return 0.5 * (hess + hess.T)
    return _fd_hessian(mean_obj, phi, h)


def _fd_hessian(f: NegLogLik, x: np.ndarray, h: float) -> np.ndarray:
    k = x.size
    f0 = f(x)
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            if i == j:
                e = np.zeros(k)
                e[i] = h
                hess[i, i] = (f(x + e) - 2 * f0 + f(x - e)) / h**2
                continue
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = h, h
            hess[i, j] = hess[j, i] = (
                f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
            ) / (4 * h * h)
    return hess


def _newton_polish(
    mean_obj: NegLogLik,
    phi: np.ndarray,
    grad_fn: Callable[[np.ndarray], np.ndarray],
    hess_grad: Callable[[np.ndarray], np.ndarray] | None,
    max_steps: int = 6,
) -> np.ndarray:
    """Refine a quasi-Newton optimum with damped Newton steps.

    L-BFGS-B stops on relative objective change, which leaves flat directions (e.g. Pareto/NBD's
    beta) short of the optimum by more than the printed digits; a few Newton steps fix that.
    """
    f = mean_obj(phi)
    for _ in range(max_steps):
        g = grad_fn(phi)
        if np.max(np.abs(g)) < 1e-9:
            break
        hess = _hessian_log(mean_obj, phi, hess_grad)
        try:
            np.linalg.cholesky(hess)
            step = np.linalg.solve(hess, g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while t > 1e-3:
            cand = phi - t * step
            fc = mean_obj(cand)
            if np.all(np.abs(cand) < _LOG_BOUND) and fc <= f:
                break
            t /= 2
        else:
            break
        if fc == f and t == 1.0 and np.max(np.abs(step)) < 1e-12:
            break
        phi, f = cand, fc
    return phi


def _covariance(hess: np.ndarray) -> np.ndarray:
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return np.full_like(hess, np.nan)
    return np.linalg.inv(hess)


def maximize_likelihood(
    model: str,
    names: Sequence[str],
    neg_log_lik: NegLogLik,
    starts: Sequence[Sequence[float]],
    n_obs: float,
    neg_log_lik_grad: NegLogLikGrad | None = None,
) -> FitResult:
    """Minimise a total negative log-likelihood over positive parameters.

    The optimiser works on log-parameters and on the mean per observation, so tolerances mean
    the same for ten customers and for ten million. L-BFGS-B often ends with "ABNORMAL" or
    "precision loss" when the objective is flat to machine precision at the optimum; such a
    termination counts as converged when the gradient there is negligible.
    """
    scale = 1.0 / max(float(n_obs), 1.0)

    def objective(phi: np.ndarray) -> float | tuple[float, np.ndarray]:
        theta = np.exp(phi)
        if neg_log_lik_grad is None:
            val = neg_log_lik(theta)
            return val * scale if np.isfinite(val) else 1e300
        val, g = neg_log_lik_grad(theta)
        if not np.isfinite(val) or not np.all(np.isfinite(g)):
            return 1e300, np.zeros_like(phi)
        return val * scale, g * theta * scale

    def mean_obj(phi: np.ndarray) -> float:
        v = neg_log_lik(np.exp(phi))
        return v * scale if np.isfinite(v) else 1e300

    best = None
    for start in starts:
        phi0 = np.log(np.asarray(start, dtype=float))
        if neg_log_lik_grad is None:
            res = minimize(
                objective,
                phi0,
                jac=lambda p: _central_grad(mean_obj, p),
                method="L-BFGS-B",
                bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(names),
                options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
            )
        else:
            res = minimize(
                objective,
                phi0,
                jac=True,
                method="L-BFGS-B",
                bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(names),
                options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
            )
        if best is None or res.fun < best.fun:
            best = res
        if res.success and np.max(np.abs(np.atleast_1d(res.jac))) < _GRAD_TOL:
            break
    assert best is not None
    if neg_log_lik_grad is None:

        def grad_fn(p: np.ndarray) -> np.ndarray:
            return _central_grad(mean_obj, p)

        hess_grad = None
    else:

        def grad_fn(p: np.ndarray) -> np.ndarray:
            theta = np.exp(p)
            return neg_log_lik_grad(theta)[1] * theta * scale

        hess_grad = grad_fn
    phi = best.x
    if np.all(np.abs(phi) < _LOG_BOUND - 1e-6):
        phi = _newton_polish(mean_obj, phi, grad_fn, hess_grad)
    theta = np.exp(phi)
    grad = grad_fn(phi)
    at_bound = np.any(np.abs(phi) >= _LOG_BOUND - 1e-6)
    small_grad = bool(np.max(np.abs(grad)) < _GRAD_TOL)
    converged = bool((best.success or small_grad) and small_grad and not at_bound)
    message = str(best.message)
    if converged and not best.success:
        message = f"converged (gradient below {_GRAD_TOL:g}; optimiser said: {message})"
    hess = numerical_hessian(neg_log_lik, theta, neg_log_lik_grad)
    cov = _covariance(hess)
    se = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
    return FitResult(
        model=model,
        params={n: float(v) for n, v in zip(names, theta, strict=True)},
        se={n: float(v) for n, v in zip(names, se, strict=True)},
        log_likelihood=float(-neg_log_lik(theta)),
        converged=converged,
        message=message,
        n_obs=float(n_obs),
        covariance=cov,
        iterations=int(best.nit),
    )
