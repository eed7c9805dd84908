"""Exact (deterministic) weighted ℓp regression: ``min_x Σᵢ wᵢ |aᵢᵀx − bᵢ|^p``.

The solver used on sampled problems (:mod:`sketch.sampled_regression`) and for
exact ℓp sensitivities (:mod:`sketch.sensitivity`):

* p = 2: weighted least squares (``lstsq`` of ``diag(√w)A``);
* p = 1: the linear program ``min Σ wᵢtᵢ  s.t.  −t ≤ Ax − b ≤ t``, solved in its
  dual form by ``scipy.optimize.linprog`` (HiGHS) — exact, on the host (CuPy or
  torch inputs are copied there for the LP, and x goes back to their device);
* other 1 < p < ∞: iteratively reweighted least squares (IRLS). For p < 2 the
  reweighted step minimises a majoriser of the (smoothed) objective, so the
  cost decreases monotonically (Osborne 1985); for p > 2 the IRLS step is
  (p − 1) times the Newton step, so a line search along it is a damped Newton
  method (cf. Adil, Peng and Sachdeva 2019, "Fast, provably convergent IRLS
  algorithm for p-norm linear regression").

Examples
--------
>>> import numpy as np
>>> A = np.array([[1.0], [1.0], [1.0]])
>>> b = np.array([0.0, 1.0, 10.0])
>>> round(float(lp_regression(A, b, 1).x[0]), 6)   # the median
1.0
>>> round(float(lp_regression(A, b, 2).x[0]), 6)   # the mean
3.666667
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import (
    array_module,
    asarray,
    compat,
    dense_lstsq,
    device,
    is_sparse,
    numpy_dtype,
    real_dtype,
    to_host,
    to_numpy,
)
from .budgets import check_time_limit
from .checks import (
    check_matrix,
    check_p,
    check_positive_int,
    check_progress,
    check_tolerance,
    check_vector,
)
from .errors import ConvergenceWarning, ShapeError
from .progress import CONVERGED, TIME_LIMIT, IterationWatch

__all__ = ["RegressionResult", "check_p", "lp_regression", "lp_cost"]


@dataclass
class RegressionResult:
    """Solution of a (weighted) ℓp regression.

    Attributes
    ----------
    x : array (d,)
    cost : float
        ``(Σ wᵢ|aᵢᵀx − bᵢ|^p)^{1/p}`` on the problem that was solved.
    converged : bool
    iterations : int
    residual : float
        Relative decrease of the cost in the last iteration (0 for direct solvers).
    stop_reason : {"converged", "maxiter", "time_limit"}
        What ended IRLS (``"time_limit"``: ``x`` and ``cost`` are the iterate reached).
    """

    x: Any
    cost: float
    converged: bool
    iterations: int
    residual: float
    stop_reason: str = CONVERGED


def _check_weights(weights: Any, m: int) -> Any:
    check_vector(weights, "weights", length=m)
    if weights.ndim != 1:
        raise ShapeError(f"weights must have shape ({m},), got {weights.shape}")
    if numpy_dtype(weights.dtype).kind == "c" or bool((weights < 0).any()):
        raise ValueError("weights must be real and non-negative")
    return weights


def lp_cost(A: Any, b: Any, x: Any, p: float, weights: Any = None) -> float:
    """``(Σ wᵢ|aᵢᵀx − bᵢ|^p)^{1/p}`` (w = 1 when ``weights`` is None).

    Examples
    --------
    >>> import numpy as np
    >>> lp_cost(np.eye(2), np.array([3.0, -4.0]), np.zeros(2), 2)
    5.0
    """
    p = check_p(p)
    check_matrix(A, "A")
    check_vector(b, "b", length=A.shape[0])
    check_vector(x, "x", length=A.shape[1])
    if x.ndim != b.ndim:
        raise ShapeError(f"x has shape {x.shape} and b {b.shape}; both must be 1-D or both 2-D")
    if weights is not None:
        _check_weights(weights, A.shape[0])
    xp = array_module(b)
    r = xp.abs(A @ x - b)
    if r.ndim > 1:
        r = r.ravel()
    t = r**p if weights is None else weights * r**p
    return float(xp.sum(t)) ** (1.0 / p)


def _wlstsq(A: Any, b: Any, c: Any, xp: Any) -> Any:
    sc = xp.sqrt(c)
    if is_sparse(A):
        from .backend import sparse

        As = (sparse(xp).diags(sc) @ A).toarray()
    else:
        As = A * sc[:, None]
    return dense_lstsq(As, b * sc)[0]


def _l1_lp(A: Any, b: Any, w: Any) -> tuple[Any, bool]:
    """Weighted ℓ1 regression through the dual linear program.

    The primal ``min Σ wᵢ|aᵢᵀx − bᵢ|`` has the dual ``max bᵀy  s.t.  Aᵀy = 0,
    |yᵢ| ≤ wᵢ`` (Barrodale and Roberts 1973 use the same pair): m box-bounded
    variables and only d equality rows, against 2m inequality rows for the
    primal, so HiGHS solves it an order of magnitude faster. By strong duality
    x is the multiplier of ``Aᵀy = 0`` (``x = −marginals`` in SciPy's sign convention).
    """
    import scipy.optimize
    import scipy.sparse as sps

    bn, wn = to_numpy(b).astype(np.float64), to_numpy(w).astype(np.float64)
    if is_sparse(A):
        An = sps.csr_matrix(to_host(A))
        AT = An.T.tocsr()
    else:
        AT = to_numpy(A).T.astype(np.float64)
    d = AT.shape[0]
    bounds = np.column_stack([-wn, wn])
    res = scipy.optimize.linprog(-bn, A_eq=AT, b_eq=np.zeros(d), bounds=bounds, method="highs")
    if res.status != 0 or res.eqlin is None:
        return np.zeros(d), False
    return -np.asarray(res.eqlin.marginals), True


def lp_regression(
    A: Any,
    b: Any,
    p: float,
    *,
    weights: Any = None,
    tol: float = 1e-10,
    maxiter: int = 200,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> RegressionResult:
    """Solve ``min_x Σᵢ wᵢ |aᵢᵀx − bᵢ|^p`` exactly (to ``tol``) for 1 ≤ p < ∞.

    Parameters
    ----------
    A : array or sparse matrix (m × d)
    b : array (m,)
    p : float
        1 ≤ p < ∞.
    weights : array (m,), optional
        Non-negative row weights (e.g. :attr:`Sample.weights`).
    tol : float
        IRLS stops when the relative cost decrease falls below ``tol``.
    maxiter : int
        IRLS iteration cap (ConvergenceWarning when reached).
    time_limit : float, optional
        Seconds for IRLS; past them it stops after the current step and returns its
        iterate with ``converged=False`` and ``stop_reason="time_limit"``. Default: no limit.
    progress : bool, optional
        tqdm bar over IRLS steps (relative decrease); ``None`` shows it only for runs
        longer than 2 s.

    Returns
    -------
    RegressionResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((50, 3)); b = A @ np.array([1.0, 2.0, 3.0])
    >>> np.round(lp_regression(A, b, 3).x, 6).tolist()
    [1.0, 2.0, 3.0]
    >>> lp_regression(A, b + 1.0, 3, time_limit=60).stop_reason
    'converged'
    """
    p = check_p(p)
    check_matrix(A, "A")
    check_vector(b, "b", length=A.shape[0])
    if b.ndim != 1:
        raise ShapeError(f"b must be 1-D, got shape {b.shape}")
    maxiter = check_positive_int(maxiter, "maxiter")
    tol = check_tolerance(tol, "tol", allow_zero=True)
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    xp = compat(array_module(A, b))
    m, d = A.shape
    w = xp.ones(m, dtype=real_dtype(xp, b.dtype), device=device(b)) if weights is None else (
        _check_weights(weights, m))
    if p == 2:
        x = _wlstsq(A, b, w, xp)
        return RegressionResult(x, lp_cost(A, b, x, p, w), True, 1, 0.0)
    if p == 1:
        xn, ok = _l1_lp(A, b, w)
        x = xp.astype(asarray(xn, like=b), b.dtype)  # back to b's device
        if not ok:
            warnings.warn("the l1 linear program did not solve", ConvergenceWarning, stacklevel=2)
        return RegressionResult(x, lp_cost(A, b, x, p, w), ok, 1, 0.0)
    watch = IterationWatch(f"IRLS p={p:g}", time_limit=time_limit, progress=progress,
                           total=maxiter)
    with watch:
        return _irls(A, b, p, w, tol, maxiter, xp, watch)


def _irls(A, b, p, w, tol, maxiter, xp, watch: IterationWatch) -> RegressionResult:
    import scipy.optimize

    x = _wlstsq(A, b, w, xp)  # the ℓ2 solution is a good start for any p

    def f(z: Any) -> float:
        return float(xp.sum(w * xp.abs(A @ z - b) ** p))

    cost = f(x)
    rel = math.inf
    ok = False
    it = 0
    while it < maxiter:
        it += 1
        r = xp.abs(A @ x - b)
        # Smoothing keeps the p < 2 weights finite at zero residuals.
        eta = max(float(r.max()) * 1e-9, np.finfo(float).tiny)
        c = w * xp.clip(r, min=eta) ** (p - 2)
        D = _wlstsq(A, b, c, xp) - x
        res = scipy.optimize.minimize_scalar(lambda t, x=x, D=D: f(x + t * D), bounds=(0.0, 1.5),
                                             method="bounded", options={"xatol": 1e-6})
        t = float(res.x)
        new = f(x + t * D)
        if new > cost:  # the line search never increases the cost
            new, t = cost, 0.0
        x = x + t * D
        rel = (cost - new) / max(cost, np.finfo(float).tiny)
        cost = new
        if rel <= tol or cost == 0.0:
            ok = True
            break
        if watch.step(decrease=rel):
            break
    reason = watch.reason(ok)
    if not ok:
        why = "time_limit ran out" if reason == TIME_LIMIT else "stopped"
        warnings.warn(f"IRLS for p={p} {why} after {it} iterations with relative "
                      f"decrease {rel:.2g} > tol={tol:g}", ConvergenceWarning, stacklevel=3)
    return RegressionResult(x, cost ** (1.0 / p), ok, it, float(rel), reason)
