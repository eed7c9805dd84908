"""Randomized Nyström approximation of a PSD matrix, one pass or accuracy-first."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import astype, solve_triangular
from ..errors import NotPositiveSemidefiniteError
from ..rng import as_key
from .basis import _H, check_accuracy, check_rank, nonneg_int
from .certificates import DEFAULT_ACCURACY, probe_errors
from .krylov import check_max_passes, hermitian_krylov, open_watch, warn_unconverged
from .operator import _Operator
from .results import EighResult


def nystrom(
    A: Any,
    k: int,
    *,
    accuracy: float | None = DEFAULT_ACCURACY,
    oversample: int = 10,
    max_passes: int | None = None,
    sketch: str = "gaussian",
    probes: int = 5,
    psd_rtol: float = 1e-8,
    seed: Any = None,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> EighResult:
    """Randomized Nyström approximation of a PSD matrix, ``A ≈ U diag(λ) U^H``.

    Tropp, Yurtsever, Udell and Cevher (2017), "Fixed-rank approximation of a
    positive-semidefinite matrix from streaming data", Alg. 3 (numerically
    stable with a shift): Ω orthonormal (n × l), ``Y = AΩ``,
    ``ν = √n · eps · ‖Y‖``, ``Y_ν = Y + νΩ``, ``C = chol(Ω^H Y_ν)``,
    ``U Σ _ = svd(Y_ν C^{-H})``, ``λ = max(Σ² − ν, 0)``; the best rank-k part is
    kept. For PSD A the Nyström error is at most the error of the
    range-finder approximation with the same Ω (Gittens–Mahoney 2016).

    Accuracy first (default): Ω is the basis of a randomized block Lanczos
    space grown until its Ritz values meet ``accuracy`` (as in
    :func:`sketch.lowrank.randomized_eigh`), and ``Y = AΩ`` comes with it, so
    the Nyström step costs no extra pass. ``accuracy=None`` (or
    ``max_passes=1``) gives the classic one-pass (streaming) sketch.

    Parameters
    ----------
    A : PSD array, sparse matrix or LinearOperator (n × n)
    k : int
        Rank, ``1 <= k < n``.
    accuracy : float or None
        ε of the accuracy-first run; None for one pass.
    oversample, max_passes, sketch, probes, seed, time_limit, progress
        As for :func:`sketch.lowrank.randomized_svd` (a run stopped by ``time_limit``
        returns the Nyström approximation from the Ω it had reached).
    psd_rtol : float
        ``Ω^H A Ω`` with an eigenvalue below ``−psd_rtol · ‖Ω^H A Ω‖`` proves
        that A is not PSD (psd_rtol is raised to ``10·√n·u`` of A's precision, the
        rounding error of the compression).

    Returns
    -------
    EighResult
        ``w`` (= λ, decreasing, ≥ 0), ``V`` (= U), ``shift`` ν.

    Raises
    ------
    NotPositiveSemidefiniteError
        If the sketch proves that A has a negative eigenvalue (a compression
        ``Ω^H A Ω`` of a PSD matrix is PSD). The check is one-sided: an indefinite
        A whose negative part Ω misses passes; check small matrices yourself.
    NotHermitianError
        If an explicit A is not Hermitian.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((200, 5))
    >>> lam, U = nystrom(X @ X.T, 5, seed=0)
    >>> bool(np.allclose(U * lam @ U.T, X @ X.T))
    True
    >>> nystrom(X @ X.T, 5, time_limit=60, progress=False, seed=0).stop_reason
    'converged'
    """
    op = _Operator(A)
    op.check_hermitian()
    k = check_rank(k, op.shape)
    l = min(k + nonneg_int(oversample, "oversample"), op.shape[0])
    r = nonneg_int(probes, "probes")
    xp = op.xp
    key = as_key(seed)
    n = op.shape[0]
    cap = check_max_passes(max_passes, 1)
    eps = None if accuracy is None or cap == 1 else check_accuracy(accuracy, op.real_dtype)
    with open_watch("Nyström", time_limit, progress, cap) as watch:
        Omega, Y, core, P, conv, est, it = hermitian_krylov(op, k, l, key, sketch, r, eps=eps,
                                                            max_passes=cap, watch=watch)
    if eps is not None:
        warn_unconverged("nystrom", conv, est, eps, cap, watch)
    ev = xp.linalg.eigvalsh(core)
    top = float(xp.abs(ev).max())
    unit = float(np.finfo(op.real_dtype).eps)
    # rounding alone moves the compression's eigenvalues by ~√n·u·‖A‖: a float32 PSD A
    # (σ = 1, 2e-5, 5e-10, 1e-14) showed -1.2e-8 < -psd_rtol, so no proof below that
    rtol = max(psd_rtol, 10 * math.sqrt(n) * unit)
    if float(ev.min()) < -rtol * max(top, np.finfo(op.real_dtype).tiny):
        raise NotPositiveSemidefiniteError(
            f"A is not positive semidefinite: its compression Ω^H A Ω has eigenvalue "
            f"{float(ev.min()):.3g} (largest {top:.3g}); use randomized_eigh for indefinite "
            f"Hermitian matrices, or shift A by a multiple of the identity"
        )
    # at least the smallest normal number: A = 0 (Y = 0, so ν = 0) is PSD, and Cholesky
    # of the zero compression raised NotPositiveSemidefiniteError
    nu = max(math.sqrt(n) * unit * float(xp.linalg.norm(Y)), float(np.finfo(op.real_dtype).tiny))
    Ynu = Y + nu * Omega
    Bnu = _H(Omega) @ Ynu
    try:
        C = xp.linalg.cholesky((Bnu + _H(Bnu)) / 2)  # lower: Bnu = C C^H
    except (np.linalg.LinAlgError, RuntimeError, ValueError):
        C = None
    if C is None or not bool(xp.isfinite(C).all()):  # CuPy returns NaN instead of raising
        raise NotPositiveSemidefiniteError(
            "A is not positive semidefinite: the shifted compression Ω^H (A + νI) Ω "
            f"(ν = {nu:.3g}) has no Cholesky factor; use randomized_eigh for indefinite "
            "Hermitian matrices, or shift A by a multiple of the identity")
    F = _H(solve_triangular(C, _H(Ynu), lower=True))  # Y_ν C^{-H}
    U, sig, _ = xp.linalg.svd(F, full_matrices=False)
    lam = astype(xp.maximum(sig[:k] ** 2 - nu, 0), op.real_dtype)
    U = U[:, :k]
    spec, frob = probe_errors(P, U, lam, _H(U), xp)
    return EighResult(w=lam, V=U, error_estimate=spec, frobenius_estimate=frob,
                      passes=op.passes, shift=nu, converged=conv, iterations=it,
                      accuracy_estimate=est if eps is not None else None,
                      stop_reason=watch.reason(conv))
