"""Norm estimates by block power iteration: ‖A‖₂ and ‖A − UΣV^H‖₂ when a sharp number is wanted."""

from __future__ import annotations

from typing import Any

from ..backend import astype, backend_name, numpy_dtype
from ..budgets import check_time_limit
from ..checks import (
    check_matrix,
    check_positive_int,
    check_progress,
    check_same_backend,
    check_vector,
)
from ..errors import ShapeError
from ..progress import IterationWatch
from ..rng import as_key
from .basis import draw_test_matrix, orth
from .krylov import warn_stopped
from .operator import _Operator

# The block power estimate's relative error falls like log(n)/iters at worst (Kuczyński and
# Woźniakowski 1992); a thousand steps already resolve it to well under a percent.
MAX_ITERS = 1000


def _power_norm_checked(op: Any, iters: Any, block: Any, seed: Any, time_limit: Any,
                        progress: Any, name: str) -> float:
    iters = check_positive_int(iters, "iters", maximum=MAX_ITERS,
                               why="the estimate's error already falls like log(n)/iters")
    block = min(check_positive_int(block, "block"), min(op.shape))
    key = as_key(seed)
    with IterationWatch(name, time_limit=check_time_limit(time_limit),
                        progress=check_progress(progress), total=iters) as watch:
        est, done = _power_norm(op, iters, block, key, watch)
    warn_stopped(name, done, iters, watch, "iters")
    return est


class _Residual:
    """The operator A − U diag(s) Vh (products only)."""

    def __init__(self, op: _Operator, U: Any, s: Any, Vh: Any):
        self.op, self.U, self.s, self.Vh = op, U, s, Vh
        self.A, self.shape, self.xp, self.device = op.A, op.shape, op.xp, op.device
        self.dtype, self.real_dtype = op.dtype, op.real_dtype

    def mm(self, X: Any) -> Any:
        return self.op.mm(X) - self.U @ (self.s[:, None] * (self.Vh @ X))

    def rmm(self, Y: Any) -> Any:
        return self.op.rmm(Y) - self.Vh.conj().T @ (self.s[:, None] * (self.U.conj().T @ Y))


def _power_norm(op: Any, iters: int, block: int, key: Any,
                watch: IterationWatch) -> tuple[float, int]:
    """Largest singular value by block power iteration with Rayleigh–Ritz, and the
    iterations done (fewer where ``watch`` runs out of time: the estimate so far, still
    a lower bound)."""
    xp = op.xp
    n = op.shape[1]
    G = draw_test_matrix(n, block, op, key, "gaussian", "power", dtype=op.real_dtype)
    X = orth(astype(G, op.dtype), xp)
    est = 0.0
    for i in range(iters):
        Y = op.mm(X)
        Qy, R = xp.linalg.qr(Y, mode="reduced")
        est = float(xp.linalg.norm(R, 2))  # ‖A X‖ ≤ ‖A‖ for orthonormal X
        if i < iters - 1 and watch.step(estimate=est):
            return est, i + 1
        X = orth(op.rmm(Qy), xp)
    return est, iters


def spectral_norm(A: Any, *, iters: int = 20, block: int = 4, seed: Any = None,
                  time_limit: float | None = None, progress: bool | None = None) -> float:
    """Estimate ‖A‖₂ by block power iteration (a lower bound that converges from below).

    Kuczyński and Woźniakowski (1992) for the single-vector power method;
    a block of ``block`` vectors and ``iters`` iterations (2 products each; at most
    1000, ``MAX_ITERS``). ``time_limit`` (seconds): past it the iteration stops after the
    estimate in hand (still a lower bound) with a ConvergenceWarning saying how many of
    ``iters`` were done; ``progress``: a bar of the iterations and the estimate (``None``:
    once a run has lasted 2 s, :mod:`sketch.progress`).

    Examples
    --------
    >>> import numpy as np
    >>> round(spectral_norm(np.diag([3.0, 2.0, 1.0]), seed=0), 8)
    3.0
    """
    return _power_norm_checked(_Operator(A), iters, block, seed, time_limit, progress,
                               "spectral_norm")


def residual_norm(
    A: Any, U: Any, s: Any, Vh: Any, *, iters: int = 20, block: int = 4, seed: Any = None,
    time_limit: float | None = None, progress: bool | None = None,
) -> float:
    """Estimate ‖A − U diag(s) Vh‖₂ by block power iteration on the residual operator.

    The estimate is a lower bound (‖RX‖ for orthonormal X) that converges to the
    true norm; products only, so A may be sparse or a LinearOperator. ``U`` (m × k),
    ``s`` (k) and ``Vh`` (k × n) are dense; ``iters`` is at most 1000; ``time_limit`` and
    ``progress`` as for :func:`spectral_norm`.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag([3.0, 2.0, 1.0, 0.5])
    >>> U, s, Vh = np.linalg.svd(A)
    >>> round(residual_norm(A, U[:, :2], s[:2], Vh[:2], seed=0), 8)
    1.0
    """
    op = _Operator(A)
    check_matrix(U, "U", sparse=False)
    check_vector(s, "s")
    check_matrix(Vh, "Vh", sparse=False)
    check_same_backend(A=A, U=U, Vh=Vh)  # torch multiplies no mixed dtypes
    if backend_name(s) != backend_name(U):  # s only scales: any real dtype of U's library
        check_same_backend(U=U, s=s)
    if numpy_dtype(s.dtype).kind == "c":  # torch's mm refused the complex product it made
        raise TypeError(f"s must hold the (real) singular values, got dtype {s.dtype}; "
                        "pass s.real if its imaginary parts are zero")
    if s.ndim != 1:
        raise ShapeError(f"s must be the 1-D vector of singular values, got shape {s.shape}")
    if U.shape[0] != op.shape[0] or Vh.shape[1] != op.shape[1] or not (
            U.shape[1] == s.shape[0] == Vh.shape[0]):
        raise ShapeError(f"factors U, s, Vh of shapes {U.shape}, {s.shape}, {Vh.shape} do not "
                         f"match A of shape {op.shape}: U is m × k, s has k entries, Vh is k × n")
    return _power_norm_checked(_Residual(op, U, s, Vh), iters, block, seed, time_limit,
                               progress, "residual_norm")
