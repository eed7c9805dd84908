"""Tour stop: accuracy-first randomized SVD against scikit-learn's, at equal accuracy.

Examples
--------
>>> A, s = low_rank_plus_noise(300, 200, rank=10, seed=0)
>>> A.shape, s.shape
((300, 200), (10,))
"""

from __future__ import annotations

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
    """2000×1000, rank 20 + noise: rank-20 ``randomized_svd`` at its defaults vs scikit-learn's.

    Accuracy: the spectral error ``‖A − UΣVᵀ‖₂`` relative to the optimal rank-20
    error σ₂₁ (Eckart–Young) from the exact SVD, for both; the peer doing the same
    job is ``sklearn.utils.extmath.randomized_svd`` at its defaults. Both are
    timed as medians of :data:`qla.tour.REPEATS` runs; the speed-up is claimed
    only when both reach ``‖A − Â‖₂ ≤ 1.01·σ₂₁``. Without scikit-learn (it is not a
    core dependency) the stop shows qla's accuracy and time alone.
    """
    from qla.tour import REPEATS, median_time

    k = 20
    A, _ = low_rank_plus_noise(2000, 1000, rank=k, seed=seed, xp=xp)
    t_rand, res = median_time(lambda: randomized_svd(A, k, seed=seed), sync=lambda: synchronize(xp))

    An = to_numpy(A)
    s = np.linalg.svd(An, compute_uv=False)
    try:
        from sklearn.utils.extmath import randomized_svd as sk_rsvd
    except ImportError:
        sk_rsvd = None

    def ratio(U, sv, Vh):
        return float(np.linalg.norm(An - U * sv @ Vh, 2)) / s[k]

    R = An - to_numpy(res.U) * to_numpy(res.s) @ to_numpy(res.Vh)
    ours = ratio(to_numpy(res.U), to_numpy(res.s), to_numpy(res.Vh))
    sv_err = float(np.max(np.abs(to_numpy(res.s) - s[:k]) / s[:k]))
    fro = res.frobenius_estimate / float(np.linalg.norm(R))
    case = f"randomized SVD (ε=1e-2, {res.passes} passes), 2000x1000 rank 20 + noise, k=20"
    tail = (f"; 1 is optimal), max rel. σ error {sv_err:.1e}, "
            f"Frobenius error estimate {fro:.2f}x true")
    if sk_rsvd is None:
        return Stop("low-rank", case, f"‖A−Â‖₂/σ₂₁ = {ours:.4f} ({tail[2:]}", t_rand,
                    "sklearn randomized_svd (not installed)", None, REPEATS)
    t_sk, (Us, ss, Vs) = median_time(lambda: sk_rsvd(An, k, random_state=seed))
    theirs = ratio(Us, ss, Vs)
    acc = f"‖A−Â‖₂/σ₂₁ = {ours:.4f} (sklearn {theirs:.4f}{tail}"
    equal = max(ours, theirs) <= 1.01
    return Stop("low-rank", case.replace(" passes)", " passes; sklearn 16)"), acc, t_rand,
                "sklearn randomized_svd", t_sk if equal else None, REPEATS)
