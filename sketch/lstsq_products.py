"""Products with A — dense, sparse or LinearOperator — for the least-squares solvers.

The refinement solvers spend their time in AᴴA·W and in the residual pair
(b − A x, Aᴴ(b − A x)). For a dense NumPy A both are computed in one pass
over A, in row blocks that stay in cache between A_blk·W and
A_blkᴴ·(A_blk·W): the iteration is memory-bound, and one pass instead of two
halves its cost. Summing Aᴴ(·) block by block is also more accurate than one
long dot product per column (error ~ u(√b + √(m/b)) rather than ~ u√m, for
b-row blocks), which the refinement's limiting accuracy depends on when the
residual is large.

The pass uses every core the caller allows (:func:`pass_threads`: the apply
kernels' :func:`~sketch.kernels.threads`, and no more than BLAS may use now,
so that ``threadpool_limits(1)`` keeps it on one core): each thread sweeps a
contiguous range of row blocks with BLAS on one thread, on a pool kept between
passes (:func:`sketch.kernels._run_kept`), and each block's Aᴴy is kept and
added in block order, so the bits do not depend on the number of threads
(ours or BLAS's). The products are ``np.dot``: NumPy's ``@`` keeps the GIL for
a transposed matrix times a vector, and a second thread then sweeps nothing
(measured). At 30000 × 300 on one thread the pass takes 5.4–6.4 ms, about
as long as the two-pass ``A.T @ (A @ w − b)``: on the development machine A
stays in its 480 MB L3. A numba ``nogil`` row kernel (a dot and an axpy per
row) took 7.5 ms on one thread and 4.2 ms on two, the pooled BLAS pass 3.6 ms
on two (best of 15, machine shared): no faster, and it would compile on first
use.

Examples
--------
>>> import numpy as np
>>> A = np.random.default_rng(0).standard_normal((3000, 40))
>>> w = np.ones(40)
>>> bool(np.allclose(gram_product(A, w, np, block=64), A.T @ (A @ w)))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import kernels
from .backend import is_operator, is_sparse, numpy_dtype, safe_norm

# Row blocks of about this many bytes stay in a core's L2 cache between the two products.
_BLOCK_BYTES = 2 << 20


def matvec(A: Any, v: Any) -> Any:
    """A·v (v of shape (n,) or (n, k))."""
    if is_operator(A):
        return A.matmat(v) if v.ndim == 2 else A.matvec(v)
    return A @ v


def rmatvec(A: Any, u: Any, xp: Any) -> Any:
    """Aᴴ·u without copying A (dense complex A: conj(conj(u)ᵀ A))."""
    if is_operator(A):
        return A.rmatmat(u) if u.ndim == 2 else A.rmatvec(u)
    if is_sparse(A):
        return A.conj().T @ u if numpy_dtype(A.dtype).kind == "c" else A.T @ u
    if numpy_dtype(A.dtype).kind == "c":
        return xp.conj(xp.conj(u).T @ A).T if u.ndim == 2 else xp.conj(xp.conj(u) @ A)
    return u @ A if u.ndim == 1 else A.T @ u


def _fusable(A: Any, xp: Any) -> bool:
    return xp is np and isinstance(A, np.ndarray)


def _rows(A: Any, block: int | None) -> int:
    if block is not None:
        return block
    return max(64, _BLOCK_BYTES // max(1, A.shape[1] * A.itemsize))


def pass_threads(blocks: int) -> int:
    """Threads of a fused pass over ``blocks`` row blocks: every core the caller allows
    (:func:`sketch.kernels.threads`, and no more than BLAS may use for the caller,
    :func:`sketch.kernels.caller_blas_threads`, since the pass stands in for BLAS calls;
    inside :func:`sketch.kernels.serial_blas` that is the count before it), at most one per
    block."""
    return max(1, min(kernels.threads(), kernels.caller_blas_threads(), blocks))


def _blockwise(A: Any, w: Any, b: Any, block: int | None) -> tuple[Any, Any]:
    """(y, Aᴴy) with y = A w − b (b may be None), one pass over A.

    Threads take contiguous ranges of row blocks (:func:`pass_threads`), BLAS on one
    thread inside; each block's Aᴴy is kept and they are added in block order, so the
    result has the same bits for any number of threads (ours or BLAS's). The kept sums take
    n entries per block and right-hand side: 1/``step`` of A's size per column of w.
    """
    m = A.shape[0]
    step = _rows(A, block)
    blocks = -(-m // step)
    dtype = np.result_type(A.dtype, w.dtype)
    y = np.empty((m,) + w.shape[1:], dtype=dtype)
    parts = np.empty((blocks,) + w.shape, dtype=dtype)
    complex_ = A.dtype.kind == "c"

    def sweep(span: tuple[int, int]) -> None:
        for k in range(*span):
            i = k * step
            blk = A[i:i + step]
            # np.dot, not @: NumPy's matmul keeps the GIL for a transposed matrix times a
            # vector (measured: a second Python thread made no progress during yb @ blk).
            yb = np.dot(blk, w)
            if b is not None:
                yb -= b[i:i + step]
            y[i:i + step] = yb
            if not complex_:
                parts[k] = np.dot(yb, blk) if yb.ndim == 1 else np.dot(blk.T, yb)
            elif yb.ndim == 1:  # Aᴴy = conj(conj(y)ᵀ A), without a conjugated copy of A
                parts[k] = np.conj(np.dot(np.conj(yb), blk))
            else:
                parts[k] = np.conj(np.dot(blk.T, np.conj(yb)))

    with kernels._blas_threads(1):
        kernels._run_kept(sweep, kernels._ranges(blocks, pass_threads(blocks)))
    out = parts[0].copy()
    for k in range(1, blocks):
        out += parts[k]
    return y, out


def gram_product(A: Any, w: Any, xp: Any, *, block: int | None = None) -> Any:
    """AᴴA·w, in one pass over A when A is a dense NumPy array."""
    if hasattr(A, "gram_product"):  # a distributed A (sketch.distributed)
        return A.gram_product(w)
    if _fusable(A, xp):
        return _blockwise(A, w, None, block)[1]
    return rmatvec(A, matvec(A, w), xp)


def residual_pair(A: Any, x: Any, b: Any, xp: Any) -> tuple[Any, Any]:
    """(r, Aᴴr) for r = b − A x, in one pass over A when A is a dense NumPy array."""
    if _fusable(A, xp):
        y, g = _blockwise(A, x, b, None)
        return -y, -g
    r = b - matvec(A, x)
    return r, rmatvec(A, r, xp)


def residual_norms(A: Any, x: Any, b: Any, xp: Any) -> tuple[Any, Any]:
    """(‖b − A x‖ per column, Aᴴ(b − A x)): what the refinement's stopping rule needs."""
    if hasattr(A, "residual_norms"):  # a distributed A (sketch.distributed)
        return A.residual_norms(x, b)
    r, g = residual_pair(A, x, b, xp)
    return safe_norm(r, axis=0), g


def residual_norm(A: Any, x: Any, b: Any) -> Any:
    """‖b − A x‖ (per column for 2-D b), the one home of the norm every result reports:
    :func:`~sketch.backend.safe_norm`, right where its squares under- or overflow."""
    r = b - matvec(A, x)
    return safe_norm(r) if r.ndim == 1 else safe_norm(r, axis=0)
