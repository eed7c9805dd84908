"""Randomized Hermitian eigendecomposition: accuracy-first block Lanczos or fixed iteration."""

from __future__ import annotations

from typing import Any

from ..rng import as_key
from .basis import _H, check_accuracy, check_power_iters, check_rank, first_pass, nonneg_int, orth
from .certificates import DEFAULT_ACCURACY, probe_errors
from .krylov import (
    check_max_passes,
    hermitian_krylov,
    open_watch,
    out_of_time,
    warn_stopped,
    warn_unconverged,
)
from .operator import _Operator
from .results import EighResult


def randomized_eigh(
    A: Any,
    k: int,
    *,
    accuracy: float = DEFAULT_ACCURACY,
    oversample: int = 10,
    power_iters: int | None = None,
    max_passes: int | None = None,
    sketch: str = "gaussian",
    probes: int = 5,
    seed: Any = None,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> EighResult:
    """Rank-k eigendecomposition of a Hermitian matrix, ``A ≈ V diag(w) V^H``.

    Keeps the k eigenvalues of largest magnitude (works for indefinite A).
    Accuracy first (default): a randomized block Lanczos space (the Hermitian
    block Krylov method of Musco and Musco 2015, one product with A per block
    of ``k + oversample`` vectors) grows until the Ritz values of ``Q^H A Q``
    rise by at most ``accuracy`` relative to the (k+1)-th (see
    :func:`sketch.lowrank.randomized_svd`); ``power_iters=q`` instead runs
    Halko–Martinsson–Tropp (2011) Alg. 5.3 with q subspace iterations
    (``q + 2`` passes). LinearOperators are trusted to be Hermitian (not checked).

    Parameters
    ----------
    A : Hermitian array, sparse matrix or LinearOperator (n × n)
    k : int
        Number of eigenpairs, ``1 <= k < n``.
    accuracy, oversample, power_iters, max_passes, sketch, probes, seed, time_limit, progress
        As for :func:`sketch.lowrank.randomized_svd` (``time_limit`` also cuts a
        ``power_iters`` run short, at a pass boundary).

    Returns
    -------
    EighResult
        ``w`` sorted by decreasing |w|; ``error_estimate`` bounds ‖A − VWV^H‖₂
        with probability ≥ 1 − 10^{-probes}.

    Raises
    ------
    NotHermitianError
        If an explicit A is not Hermitian.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag([5.0, -4.0, 1e-3, 1e-4] + [0.0] * 36)
    >>> w, V = randomized_eigh(A, 2, seed=0)
    >>> np.round(w, 8).tolist()
    [5.0, -4.0]
    >>> randomized_eigh(A, 2, time_limit=60, progress=False, seed=0).stop_reason
    'converged'
    """
    op = _Operator(A)
    op.check_hermitian()
    k = check_rank(k, op.shape)
    l = min(k + nonneg_int(oversample, "oversample"), op.shape[0])
    r = nonneg_int(probes, "probes")
    key = as_key(seed)
    xp = op.xp
    if power_iters is not None:
        q = check_power_iters(power_iters)
        with open_watch("randomized eigh", time_limit, progress, q + 2) as watch:
            _, Y, P = first_pass(op, l, r, key, sketch)
            Q = orth(Y, xp)
            it = 0
            while it < q and not out_of_time(watch, op.passes, None):
                Q = orth(op.mm(Q), xp)  # A = A^H: one product per iteration
                it += 1
        warn_stopped("randomized_eigh", it, q, watch)
        T = _H(Q) @ op.mm(Q)
        T = (T + _H(T)) / 2
        conv, est = not watch.timed_out, None
        reason = watch.reason(conv)
    else:
        eps = check_accuracy(accuracy, op.real_dtype)
        cap = check_max_passes(max_passes, 2)
        with open_watch("randomized eigh", time_limit, progress, cap) as watch:
            Q, _, T, P, conv, est, it = hermitian_krylov(op, k, l, key, sketch, r, eps=eps,
                                                         max_passes=cap, watch=watch)
        warn_unconverged("randomized_eigh", conv, est, eps, cap, watch)
        reason = watch.reason(conv)
    w, W = xp.linalg.eigh(T)
    order = xp.argsort(-xp.abs(w))[:k]
    w, V = w[order], Q @ W[:, order]
    spec, frob = probe_errors(P, V, w, _H(V), xp)
    return EighResult(w=w, V=V, error_estimate=spec, frobenius_estimate=frob, passes=op.passes,
                      converged=conv, iterations=it, accuracy_estimate=est, stop_reason=reason)
