"""Products with A — dense, sparse or LinearOperator — for the least-squares solvers.

The refinement solvers spend their time in AᴴA·W and in the residual pair
(b − A x, Aᴴ(b − A x)). For a dense NumPy A both are computed in one pass
over A, in row blocks that stay in cache between A_blk·W and
A_blkᴴ·(A_blk·W): the iteration is memory-bound, and one pass instead of two
halves its cost. Summing Aᴴ(·) block by block is also more accurate than one
long dot product per column (error ~ u(√b + √(m/b)) rather than ~ u√m, for
b-row blocks), which the refinement's limiting accuracy depends on when the
residual is large.

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


def _blockwise(A: Any, w: Any, b: Any, block: int | None) -> tuple[Any, Any]:
    """(y, Aᴴy) with y = A w − b (b may be None), one pass over A."""
    m = A.shape[0]
    step = _rows(A, block)
    y = np.empty((m,) + w.shape[1:], dtype=np.result_type(A.dtype, w.dtype))
    out = np.zeros(w.shape, dtype=y.dtype)
    complex_ = A.dtype.kind == "c"
    for i in range(0, m, step):
        blk = A[i:i + step]
        yb = blk @ w
        if b is not None:
            yb -= b[i:i + step]
        y[i:i + step] = yb
        out += (blk.conj().T @ yb) if complex_ else (yb @ blk if yb.ndim == 1 else blk.T @ yb)
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
