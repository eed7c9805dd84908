"""Randomized range finder with subspace (power) iteration (Halko, Martinsson and Tropp 2011)."""

from __future__ import annotations

from typing import Any

from ..progress import IterationWatch
from ..rng import as_key
from .basis import (
    check_normalizer,
    check_power_iters,
    check_rank,
    first_pass,
    lu_normalize,
    orth,
)
from .krylov import open_watch, out_of_time, warn_stopped
from .operator import _Operator


def range_finder(
    A: Any,
    size: int,
    *,
    power_iters: int = 2,
    sketch: str = "gaussian",
    normalizer: str = "lu",
    seed: Any = None,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> Any:
    """Orthonormal basis Q (m × size) with ``QQ^H A ≈ A`` (randomized subspace iteration).

    Halko, Martinsson and Tropp (2011), Algorithm 4.4: ``Y = (AA^H)^q AΩ`` with
    the basis renormalised after every product (so round-off does not collapse
    it onto the dominant singular vector) — by LU with partial pivoting between
    steps and an orthonormalisation at the end (``normalizer="lu"``, Martinsson
    and Tropp 2020, §11.5), or orthonormalisation throughout (``normalizer="qr"``).
    With Gaussian Ω, k target rank and p = size − k ≥ 2 (HMT Cor. 10.10)::

        E‖(I−QQ^H)A‖ ≤ [1 + √(k/(p−1)) + e√(k+p)/p · √(min(m,n)−k)]^{1/(2q+1)} σ_{k+1}.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator (m × n)
    size : int
        Number of basis vectors (target rank plus oversampling), ``< min(m, n)``.
    power_iters : int
        Number of subspace iterations q (each costs two passes over A), at most 100
        (``MAX_POWER_ITERS``; slowly decaying spectra need a Krylov method instead).
    sketch : str
        Test-matrix kind for :func:`sketch.operators.make_operator`.
    normalizer : {"lu", "qr"}
        How the basis is renormalised between power steps.
    seed : None, int or Generator
    time_limit : float, optional
        Seconds: past them the power steps stop at the next pass boundary and Q spans the
        last image (fewer steps than asked), with a ConvergenceWarning that says how many
        were done. Default: no limit.
    progress : bool, optional
        A bar of the passes: ``True`` at once, ``False`` never, ``None`` (default) once a
        run has lasted 2 s (:mod:`sketch.progress`).

    Returns
    -------
    Q : array (m × size)

    Examples
    --------
    >>> import numpy as np
    >>> A = np.outer(np.arange(1.0, 51), np.ones(30))
    >>> Q = range_finder(A, 3, seed=0)
    >>> bool(np.allclose(Q @ (Q.T @ A), A))
    True
    """
    op = _Operator(A)
    size = check_rank(size, op.shape, "size")
    q = check_power_iters(power_iters)
    key = as_key(seed)
    normalizer = check_normalizer(normalizer)
    with open_watch("range finder", time_limit, progress, 2 * q + 1) as watch:
        _, Y, _ = first_pass(op, size, 0, key, sketch)
        Q, done = subspace_iterate(op, Y, q, normalizer, watch)
    warn_stopped("range_finder", done, q, watch)
    return Q


def subspace_iterate(op: _Operator, Y: Any, q: int, normalizer: str = "lu",
                     watch: IterationWatch | None = None) -> tuple[Any, int]:
    """q subspace iterations from ``Y = AΩ``: an orthonormal basis of ``(AA^H)^q Y`` and the
    iterations done (fewer where ``watch`` runs out of time: the basis is then that of
    the last image, checked at the pass boundary before each iteration)."""
    xp = op.xp

    def normalize(X: Any) -> Any:
        return orth(X, xp) if normalizer == "qr" else lu_normalize(X, xp)

    if q == 0:
        return orth(Y, xp), 0
    Q = normalize(Y)
    for i in range(q):
        if out_of_time(watch, op.passes, None):
            return orth(Y, xp), i  # Y: the last image, Q its (LU-)normalised basis
        Z = normalize(op.rmm(Q))
        Y = op.mm(Z)
        Q = orth(Y, xp) if i == q - 1 else normalize(Y)
    return Q, q

