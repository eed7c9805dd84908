"""Classical iterative solvers used as references for HHL: CG and randomized Kaczmarz.

Both run through the array module of their input (NumPy or CuPy), accept
sparse matrices, and return an :class:`IterativeResult` that says whether the
tolerance was reached and, if not, what stopped them (``maxiter`` or ``time_limit``:
see :mod:`sketch.progress`).

Examples
--------
>>> import numpy as np
>>> A = np.array([[4.0, 1.0], [1.0, 3.0]]); b = np.array([1.0, 2.0])
>>> r = conjugate_gradient(A, b)
>>> r.converged, np.allclose(A @ r.x, b)
(True, True)
>>> r = randomized_kaczmarz(A, b, seed=0)
>>> r.converged, np.allclose(A @ r.x, b, atol=1e-6)
(True, True)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .backend import array_module, asarray, compat, device, is_operator, is_sparse, numpy_dtype
from .budgets import check_time_limit
from .checks import (
    check_matrix,
    check_positive_int,
    check_progress,
    check_same_backend,
    check_square,
    check_tolerance,
    check_vector,
)
from .errors import ConvergenceWarning, NotHermitianError, ShapeError
from .progress import CONVERGED, IterationWatch, remedy
from .rng import as_key
from .scaling import unit_scaled

_DRAW_BLOCK = 1 << 16  # row choices drawn at a time


@dataclass
class IterativeResult:
    """Outcome of an iterative solve.

    Attributes
    ----------
    x : array
        The last iterate.
    converged : bool
        Whether ``residual <= tol`` was reached; for CG, ``residual <= max(tol, 10u)``
        (u the unit roundoff: a recomputed residual below that floor cannot be certified,
        so ``tol=0``, which runs to ``maxiter``, reports convergence at the floor).
    iterations : int
        Iterations run (CG steps, or Kaczmarz row projections).
    residual : float
        Relative residual ``‖b − Ax‖/‖b‖`` of ``x``.
    history : list of float
        Relative residuals at each check.
    stop_reason : {"converged", "maxiter", "time_limit"}
        What ended the run (``"time_limit"``: ``time_limit=`` seconds passed first;
        ``x`` and ``residual`` are then the iterate reached).
    """

    x: Any
    converged: bool
    iterations: int
    residual: float
    history: list = field(default_factory=list)
    stop_reason: str = CONVERGED


def _matvec(A: Any):
    if is_operator(A):
        return A.matvec
    return lambda v: A @ v


def conjugate_gradient(
    A: Any,
    b: Any,
    *,
    x0: Any = None,
    tol: float = 1e-10,
    maxiter: int | None = None,
    warn: bool = True,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> IterativeResult:
    """Conjugate gradient for Hermitian positive definite ``A`` (Hestenes–Stiefel 1952).

    Guarantee: the k-th iterate minimises the A-norm error over the Krylov
    space, so ``‖x_k − x‖_A ≤ 2((√κ − 1)/(√κ + 1))^k ‖x_0 − x‖_A`` with
    ``κ = λ_max/λ_min``; in exact arithmetic it terminates in at most n steps.

    Parameters
    ----------
    A : (n, n) array, sparse matrix or LinearOperator
        Hermitian positive definite.
    b : (n,) array
    tol : float
        Stop when ``‖b − Ax‖ ≤ tol‖b‖``.
    maxiter : int, optional
        Default ``10 n``.
    warn : bool
        Warn (ConvergenceWarning) when the tolerance is not reached.
    time_limit : float, optional
        Seconds; past them the run stops after the current step and returns its iterate
        with ``converged=False`` and ``stop_reason="time_limit"``. Default: no limit.
    progress : bool, optional
        tqdm bar (step, residual); ``None`` shows it only for runs longer than 2 s.

    Examples
    --------
    >>> import numpy as np
    >>> conjugate_gradient(np.diag([1.0, 10.0]), np.ones(2)).iterations
    2
    >>> conjugate_gradient(np.diag([1.0, 10.0]), np.ones(2), time_limit=60).stop_reason
    'converged'
    """
    check_matrix(A, "A", operator=True)
    check_square(A, "A")
    check_vector(b, "b", length=A.shape[0])
    tol = check_tolerance(tol, "tol", allow_zero=True)
    maxiter = 10 * A.shape[0] if maxiter is None else check_positive_int(maxiter, "maxiter",
                                                                          minimum=0)
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    if x0 is not None:
        check_vector(x0, "x0", length=A.shape[0])
        if x0.shape != b.shape:
            raise ShapeError(f"x0 has shape {x0.shape} but b has {b.shape}; they must match")
    xp = compat(check_same_backend(A=A, b=b))  # x0 may be any library (moved below)
    mv = _matvec(A)
    dtype = xp.result_type(A.dtype, b.dtype)
    x = (xp.zeros(b.shape, dtype=dtype, device=device(b)) if x0 is None
         else xp.astype(asarray(x0, like=b), dtype, copy=True))
    bnorm = float(xp.linalg.vector_norm(b))
    if bnorm == 0:
        return IterativeResult(x * 0, True, 0, 0.0, [0.0])
    r = b - mv(x)
    p = r  # never updated in place
    rs = xp.real(xp.vdot(r, r))
    hist = [math.sqrt(float(rs)) / bnorm]
    unit = float(np.finfo(numpy_dtype(dtype)).eps)
    k = 0
    watch = IterationWatch("CG", time_limit=time_limit, progress=progress, total=maxiter)
    while hist[-1] > tol and k < maxiter and not watch.timed_out:
        Ap = mv(p)
        pAp = xp.real(xp.vdot(p, Ap))
        # p^H A p ≤ ‖p‖‖Ap‖ (Cauchy–Schwarz), and ≥ 2/√κ of it for SPD A: a ratio at
        # rounding level means p lies in A's null space (singular A, b not in its range),
        # where the next step would divide by ~0 and diverge to NaN.
        if float(pAp) <= unit * float(xp.linalg.norm(p)) * float(xp.linalg.norm(Ap)):
            watch.close()
            raise NotHermitianError(
                "A is not positive definite (p^H A p <= 0 in CG, up to rounding: A is "
                "indefinite, or singular with b outside its range); use method='direct' or "
                "'kaczmarz', or solve the normal equations"
            )
        alpha = rs / pAp
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = xp.real(xp.vdot(r, r))
        p = r + (rs_new / rs) * p
        rs = rs_new
        k += 1
        hist.append(math.sqrt(float(rs)) / bnorm)
        watch.step(residual=hist[-1])
    watch.close()
    res = float(xp.linalg.vector_norm(b - mv(x))) / bnorm
    ok = res <= max(tol, 10 * np.finfo(numpy_dtype(dtype)).eps)
    reason = watch.reason(ok)
    if not ok and warn:
        fix = remedy(reason, "raise maxiter")
        warnings.warn(
            f"CG stopped ({reason}) after {k} iterations at relative residual {res:.2e} > "
            f"tol={tol:.1e}; {fix} or precondition A",
            ConvergenceWarning,
            stacklevel=2,
        )
    return IterativeResult(x, ok, k, res, hist, reason)


def randomized_kaczmarz(
    A: Any,
    b: Any,
    *,
    tol: float = 1e-8,
    maxiter: int | None = None,
    seed: Any = None,
    check_every: int | None = None,
    warn: bool = True,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> IterativeResult:
    """Randomized Kaczmarz (Strohmer and Vershynin, J. Fourier Anal. Appl. 2009).

    Each step picks row ``i`` with probability ``‖a_i‖²/‖A‖_F²`` and projects
    the iterate onto ``{x : a_i x = b_i}``. For a consistent system the error
    contracts in expectation:
    ``E‖x_k − x‖² ≤ (1 − 1/κ_F²)^k ‖x_0 − x‖²`` with
    ``κ_F = ‖A‖_F ‖A⁺‖₂`` (so about ``κ_F² log(1/ε)`` steps for accuracy ε).
    Row choices come from :mod:`sketch.rng`, so a seed gives the same sequence
    on NumPy and CuPy.

    Parameters
    ----------
    A : (m, n) array or sparse matrix
    b : (m,) array
    tol : float
        Stop when ``‖b − Ax‖ ≤ tol‖b‖`` (checked every ``check_every`` steps,
        default ``m``).
    maxiter : int, optional
        Row projections allowed; default ``1000 · m``.
    seed : None, int or Generator
    check_every : int, optional
        Projections between residual checks (default ``m``).
    warn : bool
        Warn (ConvergenceWarning) when the tolerance is not reached.
    time_limit : float, optional
        Seconds; past them the run stops at the next block of row draws (at most 65536
        projections) and returns its iterate with ``converged=False`` and
        ``stop_reason="time_limit"`` (``residual`` is that iterate's). Default: no limit.
    progress : bool, optional
        tqdm bar (projections, residual); ``None`` shows it only for runs longer than 2 s.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 3.0]])
    >>> r = randomized_kaczmarz(A, A @ np.array([1.0, -1.0]), seed=1)
    >>> np.round(r.x, 6)
    array([ 1., -1.])
    >>> r = randomized_kaczmarz(A, np.array([1.0, 0.0, 0.0]), maxiter=10**12, time_limit=0.05,
    ...                         seed=1, warn=False)   # inconsistent: would never converge
    >>> r.converged, r.stop_reason
    (False, 'time_limit')
    """
    check_matrix(A, "A", operator=False)
    check_vector(b, "b", length=A.shape[0])
    if b.ndim != 1:
        raise ShapeError(f"b must be 1-D for Kaczmarz, got shape {b.shape}; solve one "
                         "right-hand side at a time")
    tol = check_tolerance(tol, "tol", allow_zero=True)
    xp = compat(check_same_backend(A=A, b=b))
    m, n = A.shape
    maxiter = 1000 * m if maxiter is None else check_positive_int(maxiter, "maxiter", minimum=0)
    check_every = m if check_every is None else check_positive_int(check_every, "check_every")
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    dtype = xp.result_type(A.dtype, b.dtype)
    # Iterate on y = x·2⁻ᵉ with A·2ᵉ (the same rows are drawn): ‖aᵢ‖² of entries near 1e-160
    # or 1e160 would underflow or overflow and turn the projections into NaN.
    A, e = unit_scaled(A)
    if is_sparse(A):
        A = A.tocsr()
        row_sq = xp.asarray(abs(A.multiply(A.conj())).sum(axis=1)).ravel()
    else:
        row_sq = xp.sum(xp.abs(A) ** 2, axis=1)
    total = float(xp.sum(row_sq))
    if total == 0:
        raise ShapeError("A is zero; Kaczmarz needs at least one non-zero row")
    cdf = xp.cumulative_sum(row_sq) / total
    bnorm = float(xp.linalg.vector_norm(b))
    x = xp.zeros(n, dtype=dtype, device=device(b))
    if bnorm == 0:
        return IterativeResult(x, True, 0, 0.0, [0.0])
    key = as_key(seed).child("kaczmarz")
    hist: list[float] = []
    k = 0
    res = 1.0
    watch = IterationWatch("randomized Kaczmarz", time_limit=time_limit, progress=progress,
                           total=maxiter, unit="projection")
    while k < maxiter and not watch.timed_out:
        steps = min(check_every, maxiter - k)
        done = k
        for c0 in range(k, k + steps, _DRAW_BLOCK):  # bounded memory for any check_every
            c1 = min(k + steps, c0 + _DRAW_BLOCK)
            u = key.uniform(range(c0, c1), array_module(b), device=device(b))
            # The row indices drive a Python loop: one list per block, not one sync per row.
            rows = xp.minimum(xp.searchsorted(cdf, xp.astype(u, cdf.dtype)), m - 1).tolist()
            for i in rows:
                ai = A[i].toarray().ravel() if is_sparse(A) else A[i]
                x = x + ((b[i] - ai @ x) / row_sq[i]) * ai.conj()
            done = c1
            if watch.step(c1 - c0, residual=res):  # out of time: stop inside a long interval
                break
        k = done
        res = float(xp.linalg.vector_norm(b - A @ x)) / bnorm
        hist.append(res)
        if res <= tol:
            break
    watch.close()
    half = e // 2
    x = (x * 2.0**half) * 2.0**(e - half)
    ok = res <= tol
    reason = watch.reason(ok)
    if not ok and warn:
        fix = remedy(reason, "raise maxiter")
        warnings.warn(
            f"randomized Kaczmarz stopped ({reason}) after {k} projections at relative "
            f"residual {res:.2e} > tol={tol:.1e}; the rate is 1 − 1/κ_F² per step — {fix}, "
            "or the system may be inconsistent",
            ConvergenceWarning,
            stacklevel=2,
        )
    return IterativeResult(x, ok, k, res, hist, reason)


__all__ = ["IterativeResult", "conjugate_gradient", "randomized_kaczmarz"]
