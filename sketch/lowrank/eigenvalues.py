"""Extreme eigenvalues of a Hermitian operator by Lanczos: λ_min, λ_max, min |λ| and κ."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ..backend import astype, device, namespace, numpy_dtype
from ..budgets import check_allocation, check_time_limit
from ..checks import check_positive_int, check_progress, check_tolerance
from ..errors import ConvergenceWarning
from ..progress import CONVERGED, TIME_LIMIT, IterationWatch
from ..rng import as_key
from .basis import draw_test_matrix
from .operator import _Operator


@dataclass
class ExtremeEigenvalues:
    """Extreme eigenvalues of a Hermitian operator from Lanczos.

    Attributes
    ----------
    lambda_min, lambda_max : float
        Ritz values: ``lambda_min`` ≥ λ_min(A) and ``lambda_max`` ≤ λ_max(A)
        (Ritz values lie inside the spectrum); each is within its residual
        (``residual_min``, ``residual_max``) of an eigenvalue of A.
    abs_min : float
        Estimate of min |λ(A)| (from λ_min/λ_max when A is definite, else from
        Lanczos on A²).
    condition_estimate : float
        ``max(|lambda_min|, |lambda_max|) / abs_min`` — κ₂(A) for Hermitian A.
    lower_bound, upper_bound : float
        ``lambda_min − residual_min`` and ``lambda_max + residual_max``: an
        interval that holds the spectrum once the Ritz pairs are converged.
    converged : bool
    iterations : int
        Lanczos steps (products with A).
    residual : float
        The larger of the two Ritz residual norms.
    stop_reason : {"converged", "maxiter", "time_limit"}
        What ended the Lanczos runs.
    """

    lambda_min: float
    lambda_max: float
    abs_min: float
    condition_estimate: float
    residual_min: float
    residual_max: float
    converged: bool
    iterations: int
    stop_reason: str = CONVERGED

    @property
    def lower_bound(self) -> float:
        return self.lambda_min - self.residual_min

    @property
    def upper_bound(self) -> float:
        return self.lambda_max + self.residual_max

    @property
    def residual(self) -> float:
        return max(self.residual_min, self.residual_max)


def _lanczos_extremes(mv, n: int, xp: ModuleType, v0: Any, maxiter: int, tol: float,
                      watch: IterationWatch):
    """Lanczos with full re-orthogonalisation; returns (θ_min, θ_max, r_min, r_max, steps, ok)."""
    V = namespace(v0).zeros((n, min(maxiter, n) + 1), dtype=v0.dtype, device=device(v0))
    V[:, 0] = v0 / xp.linalg.norm(v0)
    alpha: list[float] = []
    beta: list[float] = []
    steps = 0
    out = (0.0, 0.0, float("inf"), float("inf"))
    ok = False
    for j in range(min(maxiter, n)):
        w = mv(V[:, j])
        a = float(xp.real(xp.vdot(V[:, j], w)))
        w = w - V[:, : j + 1] @ (V[:, : j + 1].conj().T @ w)
        w = w - V[:, : j + 1] @ (V[:, : j + 1].conj().T @ w)  # twice (Kahan–Parlett)
        bnorm = float(xp.linalg.norm(w))
        alpha.append(a)
        steps = j + 1
        T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
        theta, S = np.linalg.eigh(T)
        # Ritz residual ‖A y − θ y‖ = β_j |s_{j,i}| (Paige 1971).
        rmin, rmax = bnorm * abs(S[-1, 0]), bnorm * abs(S[-1, -1])
        out = (float(theta[0]), float(theta[-1]), rmin, rmax)
        scale = max(abs(theta[0]), abs(theta[-1]), np.finfo(float).tiny)
        if max(rmin, rmax) <= tol * scale or bnorm <= np.finfo(float).eps * scale:
            ok = True
            break
        if watch.step(residual=max(rmin, rmax) / scale):
            break  # out of time: the Ritz values of this step are the answer
        if j + 1 < V.shape[1]:
            V[:, j + 1] = w / bnorm
        beta.append(bnorm)
    return (*out, steps, ok)


def hermitian_extreme_eigenvalues(
    A: Any, *, tol: float = 1e-6, maxiter: int = 300, seed: Any = None,
    time_limit: float | None = None, progress: bool | None = None,
) -> ExtremeEigenvalues:
    """λ_min, λ_max and a κ estimate of a Hermitian matrix or LinearOperator.

    Lanczos from a keyed random start vector with full re-orthogonalisation
    (Lanczos 1950; Paige 1971 residual bound ``‖Ay − θy‖ = β_j |s_j|``). From a
    random start, the Kuczyński–Woźniakowski (1992) bound gives relative error
    ``≤ ε`` for λ_max (and λ_min) after ``O(log(n/δ²)/√ε)`` steps with
    probability 1 − δ, whatever the gap. For an indefinite A, min |λ| is
    estimated by a second Lanczos run on A² (slower: it is an interior
    eigenvalue of A). Intended e.g. to size the clock register of HHL.

    Parameters
    ----------
    A : Hermitian array, sparse matrix or LinearOperator (n × n)
    tol : float
        Relative Ritz-residual tolerance, > 0.
    maxiter : int
        Maximum Lanczos steps (products with A) per run.
    seed : None, int or Generator
    time_limit : float, optional
        Seconds for the whole call; past them Lanczos stops after the current step and
        returns its Ritz values with ``converged=False`` and ``stop_reason="time_limit"``
        (an indefinite A's second run then takes one step). Default: no limit.
    progress : bool, optional
        tqdm bar (step, relative Ritz residual); ``None`` shows it only for runs longer
        than 2 s.

    Returns
    -------
    ExtremeEigenvalues
        Warns ConvergenceWarning if ``maxiter`` is reached first.

    Examples
    --------
    >>> import numpy as np
    >>> ev = hermitian_extreme_eigenvalues(np.diag(np.linspace(1.0, 100.0, 50)), seed=0)
    >>> round(ev.lambda_min, 6), round(ev.lambda_max, 6), round(ev.condition_estimate, 4)
    (1.0, 100.0, 100.0)
    """
    op = _Operator(A)
    op.check_hermitian()
    n = op.shape[0]
    xp = op.xp
    tol = check_tolerance(tol, "tol")
    maxiter = check_positive_int(maxiter, "maxiter")
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    # the Lanczos basis, n × (min(maxiter, n) + 1) entries of A's precision
    check_allocation(n * (min(maxiter, n) + 1) * numpy_dtype(op.dtype).itemsize,
                     f"the Lanczos basis of maxiter={maxiter} steps for n={n}", xp=xp,
                     fix="lower maxiter")
    key = as_key(seed)
    v0 = astype(draw_test_matrix(n, 1, op, key, "gaussian", "lanczos", dtype=op.real_dtype)[:, 0],
              op.dtype)
    ax = op.A
    if op.kind == "operator":
        def mv(x):
            return np.asarray(ax.matvec(x)).ravel()
    else:
        def mv(x):
            return ax @ x
    watch = IterationWatch("Lanczos", time_limit=time_limit, progress=progress)
    with watch:
        lo, hi, rlo, rhi, steps, ok, absmin = _extremes(mv, n, xp, v0, maxiter, tol, watch)
    reason = watch.reason(ok)
    if not ok:
        why = (f"before time_limit={time_limit:g} s ran out" if reason == TIME_LIMIT
               else f"in {maxiter} steps")
        warnings.warn(f"Lanczos did not reach tol={tol:g} {why}; the eigenvalue estimates "
                      f"are inside the spectrum but not converged", ConvergenceWarning,
                      stacklevel=2)
    big = max(abs(lo), abs(hi))
    kappa = big / absmin if absmin > 0 else float("inf")
    return ExtremeEigenvalues(lambda_min=lo, lambda_max=hi, abs_min=absmin,
                              condition_estimate=kappa, residual_min=rlo, residual_max=rhi,
                              converged=ok, iterations=steps, stop_reason=reason)


def _extremes(mv, n: int, xp: ModuleType, v0: Any, maxiter: int, tol: float,
              watch: IterationWatch):
    """Lanczos on A, and on A² for min |λ| when A is indefinite."""
    lo, hi, rlo, rhi, steps, ok = _lanczos_extremes(mv, n, xp, v0, maxiter, tol, watch)
    if lo > 0 or hi < 0:
        absmin = min(abs(lo), abs(hi))
    else:
        lo2, _, r2, _, s2, ok2 = _lanczos_extremes(lambda x: mv(mv(x)), n, xp, v0,
                                                   maxiter, tol, watch)
        absmin = math.sqrt(max(lo2, 0.0))
        steps += 2 * s2
        ok = ok and ok2
    return lo, hi, rlo, rhi, steps, ok, absmin
