"""Sampling-based regression: sample rows, then solve the small problem exactly.

``min_x ‖Ax − b‖_p`` for tall A (m × d). Both solvers sample rows of the
augmented matrix ``[A, b]``: a sample that is a (1 ± ε) ℓp subspace embedding of
its column space preserves ``‖Ax − b‖_p^p`` for every x at once, so the sampled
minimiser x̂ satisfies ``‖Ax̂ − b‖_p^p ≤ (1+ε)/(1−ε) · min_x ‖Ax − b‖_p^p``
(Dasgupta, Drineas, Harb, Kumar and Mahoney 2009 for ℓp; Drineas, Mahoney and
Muthukrishnan 2006 for ℓ2).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((20000, 4)); b = A @ np.ones(4) + rng.standard_normal(20000)
>>> res = sampled_lstsq(A, b, eps=0.5, seed=0)
>>> opt = np.linalg.norm(A @ np.linalg.lstsq(A, b, rcond=None)[0] - b)
>>> bool(res.cost ** 2 <= 3 * opt ** 2)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .backend import array_module, bincount, compat, is_sparse
from .budgets import check_time_limit
from .checks import check_matrix, check_progress, check_vector
from .errors import ShapeError
from .leverage import leverage_sample
from .lpregression import check_p, lp_cost, lp_regression
from .progress import CONVERGED
from .rowsample import Sample
from .sensitivity import lp_sample

__all__ = ["SampledRegressionResult", "sampled_lstsq", "sampled_lp_regression"]


@dataclass
class SampledRegressionResult:
    """Solution of a sampled regression.

    Attributes
    ----------
    x : array (d,)
    cost : float
        ``‖Ax − b‖_p`` on the full data (one pass over A).
    sample_cost : float
        The weighted cost on the sample.
    sample : Sample
        Indices and weights used.
    converged, iterations, residual, stop_reason
        From the exact solver on the sample.
    """

    x: Any
    cost: float
    sample_cost: float
    sample: Sample
    converged: bool
    iterations: int
    residual: float
    stop_reason: str = CONVERGED


def _augmented(A: Any, b: Any) -> Any:
    xp = array_module(A, b)
    if is_sparse(A):
        from .backend import sparse

        return sparse(xp).hstack([A, sparse(xp).csr_matrix(b.reshape(-1, 1))]).tocsr()
    return compat(xp).concat([A, compat(xp).astype(b[:, None], A.dtype, copy=False)], axis=1)


def _check(A: Any, b: Any) -> None:
    check_matrix(A, "A")
    check_vector(b, "b", length=A.shape[0])
    if b.ndim != 1:
        raise ShapeError(f"b must be 1-D, got shape {b.shape}")


def _solve_on(A: Any, b: Any, smp: Sample, p: float, **solver: Any) -> SampledRegressionResult:
    # Repeated draws of a row add their weights: Σⱼ wⱼ|aᵢⱼᵀx − bᵢⱼ|^p is the same objective on
    # the distinct rows, so the solve never sees more rows than A has, whatever the size.
    idx, inv = compat(array_module(smp.indices)).unique_inverse(smp.indices)
    weights = bincount(inv, weights=smp.weights, minlength=idx.shape[0])
    rows = (A.tocsr() if is_sparse(A) else A)[idx]  # COO and DIA take no row indexing
    res = lp_regression(rows, b[idx], p, weights=weights, **solver)
    return SampledRegressionResult(
        x=res.x, cost=lp_cost(A, b, res.x, p), sample_cost=res.cost, sample=smp,
        converged=res.converged, iterations=res.iterations, residual=res.residual,
        stop_reason=res.stop_reason,
    )


def sampled_lstsq(
    A: Any,
    b: Any,
    eps: float = 0.5,
    delta: float = 0.1,
    *,
    size: int | None = None,
    method: str = "exact",
    seed: Any = None,
) -> SampledRegressionResult:
    """Least squares by leverage-score sampling of ``[A, b]``.

    Samples :func:`~sketch.leverage.leverage_sample_size` rows (d + 1 columns)
    by the leverage scores of ``[A, b]``, then solves the weighted problem on
    them. With probability ≥ 1 − δ, ``‖Ax̂ − b‖² ≤ (1+ε)/(1−ε)·min‖Ax − b‖²``.

    Parameters
    ----------
    A : array or sparse matrix (m × d)
    b : array (m,)
    eps, delta : float
    size : int, optional
        Override the sample size (warns if below the guarantee's).
    method : {"exact", "approx"}
        Leverage scores exact, or approximate (Drineas et al. 2012).
    seed : None, int or Generator

    Returns
    -------
    SampledRegressionResult
    """
    _check(A, b)
    smp = leverage_sample(_augmented(A, b), eps, delta, size=size, method=method, seed=seed)
    return _solve_on(A, b, smp, 2.0)


def sampled_lp_regression(
    A: Any,
    b: Any,
    p: float,
    eps: float = 0.5,
    delta: float = 0.1,
    *,
    scheme: str = "lewis",
    size: int | None = None,
    seed: Any = None,
    tol: float = 1e-10,
    maxiter: int = 200,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> SampledRegressionResult:
    """ℓp regression (1 ≤ p < ∞) by Lewis-weight or sensitivity sampling of ``[A, b]``.

    Samples rows with :func:`~sketch.sensitivity.lp_sample` (``scheme`` and
    sample size as documented there), then solves the weighted ℓp problem on
    the sample exactly: a linear program (HiGHS) for p = 1, weighted least
    squares for p = 2, IRLS otherwise (:func:`~sketch.lpregression.lp_regression`).
    With probability ≥ 1 − δ the cost is within ``((1+ε)/(1−ε))^{1/p}`` of optimal.

    Parameters
    ----------
    A : array or sparse matrix (m × d)
    b : array (m,)
    p : float
        1 ≤ p < ∞.
    eps, delta : float
    scheme : str
        ``"lewis"``, ``"sensitivity"``, ``"root-leverage"`` (p ≤ 2),
        ``"combined"`` (p > 2) or ``"leverage"``.
    size : int, optional
    seed : None, int or Generator
    tol, maxiter, time_limit, progress
        For IRLS (:func:`~sketch.lpregression.lp_regression`).

    Returns
    -------
    SampledRegressionResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> A = rng.standard_normal((2000, 3)); b = A @ np.ones(3) + rng.standard_t(1, 2000)
    >>> res = sampled_lp_regression(A, b, 1, eps=0.5, seed=0)
    >>> from sketch.lpregression import lp_regression
    >>> bool(res.cost <= 3 * lp_regression(A, b, 1).cost)
    True
    """
    p = check_p(p)
    _check(A, b)
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    smp = lp_sample(_augmented(A, b), p, eps, delta, scheme=scheme, size=size, seed=seed)
    return _solve_on(A, b, smp, p, tol=tol, maxiter=maxiter, time_limit=time_limit,
                     progress=progress)
