"""Tour stop: randomized SVD of a low-rank-plus-noise matrix against LAPACK's full SVD.

Examples
--------
>>> A, s = low_rank_plus_noise(300, 200, rank=10, seed=0)
>>> A.shape, s.shape
((300, 200), (10,))
"""

from __future__ import annotations

import time
from types import ModuleType

import numpy as np

from sketch.backend import synchronize, to_numpy
from sketch.lowrank import randomized_svd

from . import Stop


def low_rank_plus_noise(
    m: int, n: int, rank: int = 20, noise: float = 1e-3, seed: int = 0, xp: ModuleType = np
):
    """``U diag(σ) Vᵀ + noise·G/√n`` with σⱼ = 0.8ʲ (j < rank), G standard Gaussian.

    The noise part has singular values up to about ``noise·(1 + √(m/n))``.
    Returns the matrix (on ``xp``) and the singular values σ of its signal part.
    """
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, rank)))
    V, _ = np.linalg.qr(rng.standard_normal((n, rank)))
    sig = 0.8 ** np.arange(rank)
    A = (U * sig) @ V.T + noise / np.sqrt(n) * rng.standard_normal((m, n))
    return xp.asarray(A), sig


def run(seed: int, xp: ModuleType) -> Stop:
    """2000×1000, rank 20 + noise: rank-20 randomized SVD (2 power iterations) vs full SVD.

    Accuracy: the spectral error ``‖A − UΣVᵀ‖₂`` relative to the optimal rank-20
    error σ₂₁ (Eckart–Young), both from the exact SVD; the baseline is
    ``numpy.linalg.svd`` (LAPACK gesdd), the tool a user would reach for.
    """
    k = 20
    A, _ = low_rank_plus_noise(2000, 1000, rank=k, seed=seed, xp=xp)
    randomized_svd(A[:200, :100], 5, seed=seed)  # warm-up (imports, BLAS threads)
    start = time.perf_counter()
    res = randomized_svd(A, k, oversample=10, power_iters=2, seed=seed)
    synchronize(xp)
    t_rand = time.perf_counter() - start

    An = to_numpy(A)
    t0 = time.perf_counter()
    U, s, Vh = np.linalg.svd(An, full_matrices=False)
    t_svd = time.perf_counter() - t0

    R = An - to_numpy(res.U) * to_numpy(res.s) @ to_numpy(res.Vh)
    err = float(np.linalg.norm(R, 2))
    fro = float(np.linalg.norm(R))
    ratio = err / s[k]
    sv_err = float(np.max(np.abs(to_numpy(res.s) - s[:k]) / s[:k]))
    acc = (f"‖A−Â‖₂/σ₂₁ = {ratio:.4f} (1 is optimal), max rel. σ error {sv_err:.1e}, "
           f"Frobenius error estimate {res.frobenius_estimate / fro:.2f}x true")
    return Stop("low-rank", "randomized SVD, 2000x1000 rank 20 + noise, k=20", acc, t_rand,
                "numpy full SVD", t_svd)
