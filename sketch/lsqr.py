"""LSQR written through the array module, so one code path serves NumPy and CuPy.

SciPy's ``lsqr``/``lsmr`` run on the host only, and CuPy's ``lsqr`` solves
square systems by QR; sketch-and-precondition needs LSQR on a rectangular,
implicitly preconditioned operator on either device, so it is written here
(Paige and Saunders 1982, "LSQR: an algorithm for sparse linear equations and
sparse least squares", ACM TOMS 8(1)). Complex operators are supported (the
Golub–Kahan bidiagonalisation keeps real α, β).

Examples
--------
>>> import numpy as np
>>> A = np.random.default_rng(0).standard_normal((50, 4))
>>> b = np.ones(50)
>>> out = lsqr(lambda v: A @ v, lambda u: A.T @ u, b, n=4, tol=1e-12)
>>> bool(np.allclose(out.x, np.linalg.lstsq(A, b, rcond=None)[0]))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import array_module
from .budgets import check_time_limit
from .checks import check_positive_int, check_progress
from .progress import CONVERGED, IterationWatch


@dataclass
class LSQRState:
    """What :func:`lsqr` returns.

    Attributes
    ----------
    x : array
        The solution (length n).
    iterations : int
        Products with the operator and its adjoint (one pair per iteration).
    converged : bool
        Whether a stopping test at ``tol`` was met.
    residual_norm : float
        LSQR's running estimate of ‖b − A x‖ (exact in exact arithmetic).
    normal_residual : float
        Estimate of ‖Aᴴ(b − A x)‖.
    condition : float
        Ritz estimate σ_max/σ_min of the operator from the bidiagonal matrix
        (a lower bound on κ(A) that sharpens with the iterations).
    norm : float
        Ritz estimate of ‖A‖₂.
    stop_reason : {"converged", "maxiter", "time_limit"}
        What ended the iteration.
    """

    x: Any
    iterations: int
    converged: bool
    residual_norm: float
    normal_residual: float
    condition: float
    norm: float
    stop_reason: str = CONVERGED


def _norm(v: Any, xp: Any) -> float:
    return float(xp.linalg.norm(v))


#: Iterations up to which :func:`_ritz` forms B_k densely (8 MiB); beyond, O(k) memory.
DENSE_RITZ = 1024


def _ritz(alphas: list[float], betas: list[float]) -> tuple[float, float]:
    """Extreme singular values of the (k+1) × k lower bidiagonal B_k."""
    k = len(alphas)
    if k == 0:
        return 0.0, float("nan")
    if k <= DENSE_RITZ:
        B = np.zeros((k + 1, k))
        B[np.arange(k), np.arange(k)] = alphas
        B[np.arange(1, k + 1), np.arange(k)] = betas[1 : k + 1]
        sv = np.linalg.svd(B, compute_uv=False)
        smax, smin = sv[0], sv[-1]
    else:
        # A long (time-limited) run: dense B_k would need 8k² bytes (80 GB at k = 10⁵). The
        # Golub–Kahan form [[0, B], [Bᵀ, 0]] is, reordered, the (2k+1)-tridiagonal with zero
        # diagonal and off-diagonal α₀, β₁, α₁, …, β_k; its eigenvalues are ±σᵢ and one 0,
        # so σ_max and σ_min are its two top-k eigenvalues, found by bisection.
        import scipy.linalg

        e = np.empty(2 * k)
        e[0::2], e[1::2] = alphas, betas[1 : k + 1]
        top = [float(scipy.linalg.eigvalsh_tridiagonal(np.zeros(2 * k + 1), e, select="i",
                                                        select_range=(i, i))[0])
               for i in (k + 1, 2 * k)]
        smin, smax = top
    smin = smin if smin > 0 else float("nan")
    return float(smax), float(smax / smin)


def lsqr(
    matvec: Callable[[Any], Any],
    rmatvec: Callable[[Any], Any],
    b: Any,
    *,
    n: int,
    tol: float = 1e-10,
    maxiter: int = 100,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> LSQRState:
    """Minimise ‖b − A x‖₂ from x = 0 by LSQR, given only products with A and Aᴴ.

    Stops when ‖Aᴴr‖ ≤ tol·‖A‖·‖r‖ (the least-squares optimality test) or
    ‖r‖ ≤ tol·(‖b‖ + ‖A‖‖x‖) (a consistent system), with ‖A‖ LSQR's running
    Frobenius estimate — the tests of Paige and Saunders (1982) with
    atol = btol = tol.

    Parameters
    ----------
    matvec, rmatvec : callable
        ``v ↦ A v`` (length n → m) and ``u ↦ Aᴴ u`` (m → n).
    b : array
        Right-hand side (length m, on the device the products use).
    n : int
        Number of unknowns.
    tol : float
        Relative tolerance of the stopping tests.
    maxiter : int
        Most iterations.
    time_limit : float, optional
        Seconds; past them LSQR stops after the current iteration and returns its iterate
        with ``converged=False`` and ``stop_reason="time_limit"``. Default: no limit.
    progress : bool, optional
        tqdm bar (iteration, residual estimate); ``None`` shows it only for runs longer
        than 2 s.

    Returns
    -------
    LSQRState
    """
    maxiter = check_positive_int(maxiter, "maxiter")
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    xp = array_module(b)
    u = b
    beta = _norm(u, xp)
    x = None
    if beta == 0:
        v = rmatvec(u)
        return LSQRState(xp.zeros(n, dtype=v.dtype), 0, True, 0.0, 0.0, float("nan"), 0.0)
    u = u / beta
    v = rmatvec(u)
    x = xp.zeros(n, dtype=v.dtype)
    alpha = _norm(v, xp)
    alphas: list[float] = []
    betas: list[float] = [beta]
    if alpha == 0:  # b ⟂ range(A): x = 0 is optimal
        return LSQRState(x, 0, True, beta, 0.0, float("nan"), 0.0)
    v = v / alpha
    w = v
    phibar, rhobar = beta, alpha
    bnorm = beta
    anorm2 = 0.0
    xnorm = 0.0
    rnorm, arnorm = beta, alpha * beta
    converged = False
    itn = 0
    watch = IterationWatch("LSQR", time_limit=time_limit, progress=progress, total=maxiter)
    while itn < maxiter:
        itn += 1
        alphas.append(alpha)
        u = matvec(v) - alpha * u
        beta = _norm(u, xp)
        if beta > 0:
            u = u / beta
        betas.append(beta)
        anorm2 += alpha * alpha + beta * beta
        v = rmatvec(u) - beta * v
        alpha = _norm(v, xp)
        if alpha > 0:
            v = v / alpha
        rho = math.hypot(rhobar, beta)
        c, s = rhobar / rho, beta / rho
        theta = s * alpha
        rhobar = -c * alpha
        phi = c * phibar
        phibar = s * phibar
        x = x + (phi / rho) * w
        w = v - (theta / rho) * w
        xnorm = _norm(x, xp)
        rnorm = phibar
        arnorm = alpha * abs(c) * phibar
        anorm = math.sqrt(anorm2)
        if rnorm <= tol * (bnorm + anorm * xnorm) or arnorm <= tol * anorm * rnorm:
            converged = True
            break
        if alpha == 0 or beta == 0:  # exact breakdown: the Krylov space is exhausted
            converged = True
            break
        if watch.step(residual=rnorm / bnorm):
            break
    watch.close()
    norm, cond = _ritz(alphas, betas)
    return LSQRState(x, itn, converged, float(rnorm), float(arnorm), cond, norm,
                     watch.reason(converged))
