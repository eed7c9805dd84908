"""Tour stop: sketched least squares (FOSSILS, the default) vs LAPACK's exact solver.

A dense tall problem with a prescribed condition number and a known solution
(:func:`conditioned_problem`) is solved by ``sketch.lstsq`` at its defaults
(FOSSILS: sparse-sign sketch, QR preconditioner, iterative refinement; Epperly,
Meier and Nakatsukasa 2024) and by ``scipy.linalg.lstsq``; the report gives each
one's forward error ‖x − x*‖/‖x*‖ and the excess of its residual over the optimum.

Examples
--------
>>> import numpy as np
>>> p = conditioned_problem(500, 20, 1e6, seed=0)
>>> round(float(np.linalg.cond(p.A)) / 1e6, 6)
1.0
>>> bool(excess_residual(p, p.x) < 1e-12)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import scipy.linalg

from sketch.backend import array_module, synchronize, to_numpy
from sketch.rng import as_key

from . import REPEATS, Stop, median_time


@dataclass
class Problem:
    """A least-squares problem ``min ‖A x − b‖`` with a known solution.

    Attributes
    ----------
    A : array (m × n)
        A = U diag(σ) Vᵀ, singular values log-spaced from 1 to 1/κ.
    b : array (m,)
        ``A x + r`` with ``r`` orthogonal to the range of A.
    x : array (n,)
        The (minimum-norm) least-squares solution, ‖x‖ = 1.
    residual_norm : float
        ‖b − A x‖₂ of the stored arrays, the optimal residual.
    kappa : float
        The prescribed condition number of A (of its nonzero part when rank-deficient).
    V, sigma : numpy arrays
        Right singular vectors (n × n) and singular values of A, in float64 on the host.
    """

    A: Any
    b: Any
    x: Any
    residual_norm: float
    kappa: float
    V: Any = None
    sigma: Any = None


def conditioned_problem(
    m: int, n: int, kappa: float, seed: Any = 0, xp: ModuleType = np, dtype: Any = np.float64,
    *, residual: float | None = None, rank: int | None = None,
) -> Problem:
    """A dense Gaussian-like m × n least-squares problem with condition number κ.

    A = U diag(σ) Vᵀ with U = G R⁻¹ for a Gaussian G = QR (the Cholesky QR
    of GᵀG, accurate because κ(G) ≈ (1 + √(n/m))/(1 − √(n/m)) is small), so A
    is formed as G (R⁻¹ diag(σ) Vᵀ) at the cost of two m × n × n products —
    no m × n Householder QR. The solution x is a unit vector in the row space;
    the residual r is a Gaussian vector projected twice onto range(A)⊥ with the
    well-conditioned G and R (exact to rounding whatever κ), then scaled. The
    stability literature's test problems (e.g. Epperly, Meier and Nakatsukasa
    2024); the least-squares benchmark (``python -m benchmarks lstsq``) uses
    them too.

    Parameters
    ----------
    m, n : int
        Shape, m > n.
    kappa : float
        Condition number (≥ 1).
    seed : None, int, Generator or Key
        Randomness (via :mod:`sketch.rng`).
    xp : module
        NumPy or CuPy: where the arrays live.
    dtype : dtype
        float64 or float32 (the construction runs in float64).
    residual : float, optional
        ‖r‖ (default ‖A x‖: b is as far from range(A) as it is long in it).
    rank : int, optional
        Make the last n − rank singular values exactly 0.

    Returns
    -------
    Problem
    """
    if not m > n >= 1:
        raise ValueError(f"need m > n >= 1, got m={m}, n={n}")
    if not kappa >= 1:
        raise ValueError(f"kappa must be >= 1, got {kappa}")
    k = n if rank is None else rank
    if not 1 <= k <= n:
        raise ValueError(f"rank must be between 1 and n={n}, got {rank}")
    # Built on the host with a Generator from the seed's key (fast for 10⁸ normals),
    # then moved to xp: the construction is set-up, not what the tour or benchmark time.
    rng = as_key(seed).generator()
    G = rng.standard_normal((m, n))
    R = np.linalg.cholesky(G.T @ G).T
    V = np.linalg.qr(rng.standard_normal((n, n)))[0]
    sigma = np.logspace(0, -math.log10(kappa), n)
    sigma[k:] = 0.0
    A = G @ scipy.linalg.solve_triangular(R, sigma[:, None] * V.T)
    x = V[:, :k] @ rng.standard_normal(k)
    x /= np.linalg.norm(x)
    r = rng.standard_normal(m)
    for _ in range(2):  # minus its part in range(A) ⊆ range(G); the second pass removes
        # what rounding left of the first
        r -= G @ scipy.linalg.solve_triangular(R, scipy.linalg.solve_triangular(
            R, r @ G, trans="T"))
    del G
    Ax = A @ x
    r *= (np.linalg.norm(Ax) if residual is None else residual) / np.linalg.norm(r)
    b = Ax + r
    A = xp.asarray(A.astype(dtype, copy=False))
    b, x = xp.asarray(b.astype(dtype)), xp.asarray(x.astype(dtype))
    return Problem(A, b, x, float(xp.linalg.norm(b - A @ x)), float(kappa), V, sigma)


def excess_residual(p: Problem, x: Any) -> float:
    """(‖b − A x‖ − ‖b − A x*‖) / ‖b − A x*‖: how far x's residual is above the optimum."""
    xp = array_module(p.A)
    return (float(xp.linalg.norm(p.b - p.A @ x)) - p.residual_norm) / p.residual_norm


def run(seed: int, xp: ModuleType) -> Stop:
    """30000 × 300, κ = 1e6: ``lstsq`` at its defaults vs ``scipy.linalg.lstsq`` (gelsd).

    gelsd is LAPACK's SVD-based driver; on the GPU the baseline is ``cupy.linalg.lstsq``.
    Both are backward stable (the same job at the same accuracy: the report shows both
    forward errors) and are timed as medians of :data:`qla.tour.REPEATS` runs.
    """
    from sketch.lstsq import lstsq

    m, n, kappa = 30_000, 300, 1e6
    p = conditioned_problem(m, n, kappa, seed, xp)
    seconds, res = median_time(
        lambda: lstsq(p.A, p.b, seed=seed),
        sync=lambda: synchronize(xp))

    if xp is np:
        def reference():
            return scipy.linalg.lstsq(p.A, p.b, lapack_driver="gelsd", check_finite=False)[0]
        baseline = "scipy lstsq (gelsd)"
    else:
        def reference():
            return xp.linalg.lstsq(p.A, p.b, rcond=None)[0]
        baseline = "cupy lstsq"
    base_seconds, x_ref = median_time(reference, sync=lambda: synchronize(xp))
    ours, theirs = excess_residual(p, res.x), excess_residual(p, x_ref)

    def forward(x: Any) -> float:
        return float(np.linalg.norm(to_numpy(x - p.x)) / np.linalg.norm(to_numpy(p.x)))

    return Stop(
        area="regression",
        case=f"lstsq {m}×{n} κ={kappa:.0e}, {res.method} "
             f"({res.sketch_size}-row sparse sign, {res.iterations} iterations)",
        accuracy=f"‖x−x*‖/‖x*‖ {forward(res.x):.1e} (LAPACK {forward(x_ref):.1e}), "
                 f"residual excess {ours:.1e} (LAPACK {theirs:.1e})",
        seconds=seconds,
        baseline=baseline,
        baseline_seconds=base_seconds,
        repeats=REPEATS,
    )
