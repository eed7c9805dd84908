"""Randomized SVD: accuracy-first (block Krylov or subspace iteration) or fixed work (HMT 2011)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import astype, numpy_dtype, solve_triangular
from ..progress import IterationWatch
from ..rng import as_key
from .basis import (
    _H,
    check_accuracy,
    check_normalizer,
    check_power_iters,
    check_rank,
    first_pass,
    lu_normalize,
    nonneg_int,
    orth,
    svd_from_basis,
)
from .certificates import DEFAULT_ACCURACY, accuracy_stop, posterior_accuracy, ritz_stagnation
from .krylov import (
    check_max_passes,
    confirm_precision,
    krylov_svd,
    open_watch,
    out_of_time,
    start_in_single_precision,
    warn_stopped,
    warn_unconverged,
)
from .operator import _Operator, eye_like
from .range_finder import subspace_iterate
from .results import SVDResult

METHODS = ("auto", "krylov", "subspace")


def randomized_svd(
    A: Any,
    k: int,
    *,
    accuracy: float = DEFAULT_ACCURACY,
    method: str = "auto",
    oversample: int = 10,
    power_iters: int | None = None,
    max_passes: int | None = None,
    mixed_precision: bool = True,
    sketch: str = "gaussian",
    probes: int = 5,
    normalizer: str = "lu",
    seed: Any = None,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> SVDResult:
    """Rank-k randomized SVD ``A ≈ U diag(s) Vh``, accurate first.

    By default the work adapts to the spectrum: a request for ``accuracy=ε``
    aims at ``‖A − UΣV^H‖₂ ≤ (1+ε)·σ_{k+1}`` (σ_{k+1}: the optimal rank-k error,
    Eckart–Young). ``method="krylov"`` grows a randomized block Krylov space
    (Musco and Musco 2015, block ``k + oversample``); ``method="subspace"``
    runs subspace iteration (Halko, Martinsson and Tropp 2011, Alg. 4.4) with
    the Ritz values taken after every power step; ``"auto"`` (default) is block
    Krylov (on a scipy/cupyx sparse A with its basis on the short side, in
    ``A^H A`` or, for a wide A, ``AA^H``, :mod:`sketch.lowrank.short_side`: 11
    float32 passes against subspace iteration's 20 on the term matrix below, at
    0.85x its CPU time, and the same stopping rule as on dense A). Either
    stops as soon as either (i) the probes prove ``‖(I−QQ^H)A‖₂² ≤ ε·σ̃ₖ₊₁²``
    for the current basis Q (HMT 2011 §4.3's posterior bound with factor 10,
    failure probability < 0.08^probes; it implies both the (1+ε) spectral and
    the per-value errors, :func:`~sketch.lowrank.certificates.posterior_accuracy`),
    which ends fast-decaying spectra after a block or two, or (ii) the Ritz values
    σ̃₁…σ̃ₖ rise by at most ``ε̂ = maxᵢ (σ̃ᵢ² − σ̃ᵢ'²)/σ̃ₖ₊₁² ≤ ε`` in a step (the
    a-posteriori estimate of Musco–Musco's per-value error; subspace iteration,
    which converges more slowly, counts σ̃ₖ₊₁ too and extrapolates its last two
    rises; an estimate, not a proof). ``accuracy_estimate`` is the smaller of
    the two. Measured with
    ε = 10⁻² (``python -m benchmarks lowrank``):
    ``‖A − UΣV^H‖₂ ≤ 1.0000·σ_{k+1}`` on dense fast-decay (3 passes: the first block
    widened by a narrow second pass where A Ω shows a geometric tail, then proved by
    the probes, :func:`~sketch.lowrank.krylov.top_up_width`), slow-decay
    (σᵢ = i^{-1/2}, 10) and gap-then-flat (6) spectra, 1.001·σ_{k+1} on a sparse
    100000 × 20000 power-law term matrix (block Krylov on the short side, 11, in
    float32: σ₁/σ₂₁ = 6 there).

    ``power_iters=q`` instead fixes the work: HMT's subspace iteration with q
    steps, LU-renormalised (``normalizer``), ``2q + 2`` passes, as
    scikit-learn does with its ``n_iter``.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator (m × n)
    k : int
        Target rank, ``1 <= k < min(m, n)``.
    accuracy : float
        ε for the accuracy-first runs (ignored when ``power_iters`` is given).
    method : {"auto", "krylov", "subspace"}
        The accuracy-first iteration.
    oversample : int
        Extra basis vectors p (block ``min(k + p, min(m, n))``).
    power_iters : int, optional
        Fixed number of subspace iterations q (turns the accuracy stopping off),
        at most 100.
    max_passes : int, optional
        Cap on the passes over A of an accuracy-first run (default 24); reaching
        it warns (ConvergenceWarning) and sets ``converged=False``.
    mixed_precision : bool
        Float32 passes over a dense or sparse float64 A where the accuracy allows (see
        :func:`block_krylov_svd`); ``pass_dtype`` on the result says which ran.
    sketch : str
        Test matrix kind (``"gaussian"``, ``"srht"``, ``"sparse-sign"``, ...).
    probes : int
        Extra Gaussian vectors for the error estimate (0 to skip it).
    normalizer : {"lu", "qr"}
        Renormalisation between fixed power steps (see :func:`range_finder`).
    seed : None, int or Generator
    time_limit : float, optional
        Seconds a run may take: past them it stops at the next pass boundary and
        returns the factorisation of its current basis, with ``converged=False``,
        ``stop_reason="time_limit"``, a ConvergenceWarning and the ``accuracy_estimate``
        and ``error_estimate`` of that basis (a ``power_iters`` run: after fewer than q
        steps, ``iterations`` of them). Default: no limit.
    progress : bool, optional
        A bar with the passes and the current ε̂: ``True`` at once, ``False`` never,
        ``None`` (default) once a run has lasted 2 s (:mod:`sketch.progress`).

    Returns
    -------
    SVDResult
        ``error_estimate``: HMT's a-posteriori bound on ‖A − UΣV^H‖₂ from the
        probes; ``passes``; ``accuracy_estimate`` (ε̂), ``converged`` and
        ``stop_reason`` ("converged", "maxiter": ``max_passes``, or "time_limit").

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag(0.5 ** np.arange(100))
    >>> res = randomized_svd(A, 5, seed=0)
    >>> np.round(res.s, 6).tolist()
    [1.0, 0.5, 0.25, 0.125, 0.0625]
    >>> res.converged, bool(res.error_estimate >= 0.5 ** 5)  # a bound on ‖A − UΣV^H‖₂ = σ₆
    (True, True)
    >>> import warnings
    >>> A = np.diag(1.0 / np.arange(1, 301))  # slow decay: very many passes to ε = 1e-12
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = randomized_svd(A, 5, method="subspace", accuracy=1e-12, max_passes=10**12,
    ...                          time_limit=1e-9, seed=0)  # past at the first pass boundary
    >>> res.stop_reason, res.converged, res.passes, caught[0].category.__name__
    ('time_limit', False, 2, 'ConvergenceWarning')
    """
    op = _Operator(A)
    k = check_rank(k, op.shape)
    l = min(k + nonneg_int(oversample, "oversample"), min(op.shape))
    r = nonneg_int(probes, "probes")
    key = as_key(seed)
    normalizer = check_normalizer(normalizer)
    if power_iters is not None:
        q = check_power_iters(power_iters)
        with open_watch("randomized SVD", time_limit, progress, 2 * q + 2) as watch:
            _, Y, P = first_pass(op, l, r, key, sketch)
            Q, done = subspace_iterate(op, Y, q, normalizer, watch)
        warn_stopped("randomized_svd", done, q, watch)
        res = svd_from_basis(op, Q, op.rmm(Q), k, P, done, not watch.timed_out)
        res.stop_reason = watch.reason(res.converged)
        return res
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    eps = check_accuracy(accuracy, op.real_dtype)
    cap = check_max_passes(max_passes, 4)
    with open_watch("randomized SVD", time_limit, progress, cap) as watch:
        if method in ("auto", "krylov"):
            res = krylov_svd(op, k, l, key, sketch, r, eps=eps, max_passes=cap,
                             mixed=mixed_precision, watch=watch)
        else:
            res = _subspace_svd(op, k, l, key, sketch, r, eps, cap, mixed_precision, watch)
    warn_unconverged("randomized_svd", res.converged, res.accuracy_estimate, eps, cap, watch)
    res.stop_reason = watch.reason(res.converged)
    return res


def _inverse_cholesky(Z: Any, xp: Any) -> Any:
    """``M = L^{-1}`` for ``Z^H Z = L L^H``, so that ``Z M^H`` is orthonormal (up to κ(Z)²u)."""
    L = xp.linalg.cholesky(_H(Z) @ Z)
    if not bool(xp.isfinite(L).all()):  # CuPy returns NaN instead of raising
        raise np.linalg.LinAlgError("Cholesky factor is not finite")
    M = solve_triangular(L, eye_like(L.shape[0], L), lower=True)
    # Cholesky of a numerically singular Gram matrix can succeed: then Z M^H is no
    # orthonormal basis, and the Ritz values and certificate taken on it are false (a
    # rank-1 2 x 2 A gave σ̃₁ = 1.019σ₁, ‖A − UΣV^H‖₂ = 0.196 with converged=True).
    # κ_F(L)² u ≥ κ₂(Z)² u, the orthonormality loss, so refuse where it reaches 1.
    u = float(np.finfo(numpy_dtype(Z.dtype)).eps)
    if (float(xp.linalg.norm(L)) * float(xp.linalg.norm(M))) ** 2 * u >= 1:
        raise np.linalg.LinAlgError("Z is numerically rank-deficient")
    return M


def _ritz_step(C: Any, k: int, xp: Any) -> tuple[np.ndarray, Any]:
    """Squared Ritz values σ̃ᵢ² (host, descending, k + 1 of them) of ``C = A^H Q`` and the
    l × l matrix ``S = V Λ⁻¹`` (``C^H C = V Λ V^H``) that makes ``A C S`` the next basis.

    ``A C S = Q V + (I−QQ^H)A C V Λ⁻¹``: the Ritz directions plus the new information,
    whose columns are at most ``‖(I−QQ^H)A‖₂/σ̃ᵢ`` long, so the next basis stays
    well conditioned without the tall LU or QR a power step otherwise needs.
    Eigenvalues below ``100·u·λ₁`` (a numerically rank-deficient block) are lifted to that.
    """
    G = _H(C) @ C
    real = np.finfo(numpy_dtype(C.dtype)).dtype
    wide = np.complex128 if numpy_dtype(C.dtype).kind == "c" else np.float64
    lam, V = xp.linalg.eigh(astype((G + _H(G)) / 2, wide))  # ascending, in double
    top = float(lam[-1])
    now = np.maximum(np.asarray(lam.tolist())[::-1][: k + 1], 0.0)
    # the floor in C's precision: float64's tiny made V/λ overflow float32 for A = 0
    floor = max(100 * float(np.finfo(real).eps) * top, float(np.finfo(real).tiny))
    lam = xp.where(lam > floor, lam, floor * xp.ones_like(lam))
    return now, astype(V / lam[None, :], C.dtype)


def _subspace_svd(op: _Operator, k: int, l: int, key: Any, sketch: str, r: int, eps: float,
                  max_passes: int, mixed: bool, watch: IterationWatch | None = None
                  ) -> SVDResult:
    """Subspace iteration with Ritz values after every power step, until ε̂ ≤ eps.

    The Ritz values of range(Z) come from the small Gram matrix of
    ``C = A^H Q`` with ``Q = Z M^H`` (M from one Cholesky factor of ``Z^H Z``, Q
    never formed), and the next block is ``A C V Λ⁻¹`` (:func:`_ritz_step`):
    the span of a power step ``AA^H Z``, already well conditioned, so no LU or
    QR of the tall block is needed between steps (they cost as much as a pass
    over a sparse A). The basis is orthonormalised once, at the end. ε̂
    extrapolates the last two rises (:func:`geometric_tail`): this iteration
    can creep. Where ``watch`` runs out of time the loop stops at the next pass
    boundary with the current basis (and its ε̂).
    """
    xp = op.xp
    unit = float(np.finfo(op.real_dtype).eps)
    _, Y, P = first_pass(op, l, r, key, sketch)
    low = start_in_single_precision(op, Y, k, eps, mixed)
    Z = lu_normalize(astype(Y, op.work_dtype), xp)  # single-precision basis work if chosen
    before, rise, it, converged = None, None, 0, False
    while True:
        Bt = op.rmm(Z)
        try:
            M = _inverse_cholesky(Z, xp)  # Q = Z M^H is orthonormal (to κ(Z)²u)
        except (np.linalg.LinAlgError, RuntimeError, ValueError):  # rank-deficient block
            Z = orth(Z, xp)
            Bt = op.rmm(Z)
            M = eye_like(Z.shape[1], Z)
        C = Bt @ _H(M)  # A^H Q
        now, S = _ritz_step(C, k, xp)
        if low and (Q64 := confirm_precision(op, Z @ _H(M), now, k, eps)) is not None:
            low, Z = False, Q64
            continue
        stop, est, converged = accuracy_stop(now, before, k, unit, eps, op.passes, 2, max_passes,
                                             posterior_accuracy(P, Z, now, k, xp, M), rise)
        if stop or out_of_time(watch, op.passes, est):
            break  # est belongs to Z M^H, the basis returned
        rise = ritz_stagnation(now, before, k, unit, k + 1) if before is not None else None
        Z = op.mm(C @ S)
        before = now
        it += 1
    Q = Z @ _H(M)
    M2 = _inverse_cholesky(Q, xp)  # a second Cholesky QR step, applied to both sides
    return svd_from_basis(op, Q @ _H(M2), C @ _H(M2), k, P, it, converged, est)
