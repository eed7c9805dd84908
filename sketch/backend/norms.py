"""Norms that neither overflow nor underflow, and the refusals and exact power-of-two
scalings built on them.

Part of :mod:`sketch.backend` (import from there).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import NonFiniteError
from .arrays import (
    _torch,
    array_module,
    backend_name,
    is_sparse,
    is_torch,
    namespace,
    numpy_dtype,
)


def refuse_overflow(x: Any, name: str = "A") -> None:
    """Raise :class:`~sketch.errors.NonFiniteError` if a least-squares solution ``x`` for
    finite ``name`` and right-hand side is not finite: its smallest kept singular value is
    too small for the right-hand side (e.g. A = 2e-313 everywhere), so ``‖A⁺b‖`` passes
    the largest float. The one home of that refusal, for every least-squares path.

    Examples
    --------
    >>> import numpy as np
    >>> refuse_overflow(np.array([np.inf]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sketch.errors.NonFiniteError: the least-squares solution for A overflows float64: ...
    """
    xp = namespace(x)
    if not bool(xp.all(xp.isfinite(x))):
        raise NonFiniteError(
            f"the least-squares solution for {name} overflows {x.dtype}: {name}'s smallest kept "
            f"singular value is too small for the right-hand side; rescale {name} (or the "
            "right-hand side)")


def vector_norm(x: Any, axis: int | None = None) -> Any:
    """2-norm of a vector, or of each column (``axis=0``) / row (``axis=1``) of a matrix.

    Examples
    --------
    >>> import numpy as np
    >>> vector_norm(np.array([[3.0, 0.0], [4.0, 1.0]]), axis=0).tolist()
    [5.0, 1.0]
    """
    if backend_name(x) == "torch":
        return _torch().linalg.vector_norm(x, dim=axis)
    return array_module(x).linalg.norm(x, axis=axis)


_MINEXP = {np.dtype(t): np.finfo(t).minexp for t in ("float32", "float64", "complex64",
                                                      "complex128")}


def safe_norm(x: Any, axis: int | None = None) -> Any:
    """:func:`vector_norm`, right also where the squares of ``x`` under- or overflow.

    The plain norm is kept where it is finite and at least 2^(e/4) for the smallest normal
    2^e of x's precision (no square that mattered was lost); elsewhere (per column for
    ``axis``) it is recomputed from x times the power of two (exact) that brings max|x| to
    [1/2, 1). Bit-identical to :func:`vector_norm` on ordinary input; one more pass only
    on the rest.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([3.0, 4.0])
    >>> float(np.linalg.norm(1e-300 * v)), float(np.linalg.norm(1e300 * v))  # doctest: +SKIP
    (0.0, inf)
    >>> round(float(safe_norm(1e-300 * v)) / 1e-300, 12), float(safe_norm(1e300 * v)) / 1e300
    (5.0, 5.0)
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        plain = vector_norm(x, axis=axis)
    low = 2.0 ** ((_MINEXP.get(x.dtype) or np.finfo(numpy_dtype(x.dtype)).minexp) // 4)
    xp = namespace(x)
    if getattr(plain, "ndim", 0) == 0:  # a scalar: compared on the host, no array ops
        if low <= float(plain) < math.inf:
            return plain
    elif bool(xp.all(xp.isfinite(plain) & (plain >= low))):
        return plain
    if axis is not None and x.ndim == 2:
        cols = [x[:, j] for j in range(x.shape[1])] if axis == 0 else list(x)
        return xp.stack([safe_norm(c) for c in cols])
    big = max_abs(x)
    if not (big > 0 and math.isfinite(big)):
        return plain
    e = math.frexp(big)[1]
    return times_pow2(vector_norm(times_pow2(x, -e)), e)


def max_abs(M: Any) -> float:
    """max|M| over the entries of a dense or sparse array or tensor (0 for an empty one).

    Real entries come from their max and min, which read M twice but write no temporary.
    A sparse matrix counts its stored entries after duplicates are summed (formats other
    than CSR/CSC/BSR are converted to CSR first: COO may hold duplicates, LIL and DOK have
    no flat data, DIA pads).

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> max_abs(np.array([[1.0, -3.0]])), max_abs(scipy.sparse.dia_matrix(np.eye(2) * -2))
    (3.0, 2.0)
    """
    if is_sparse(M):
        if is_torch(M):
            data = M.coalesce().values() if str(M.layout) == "torch.sparse_coo" else M.values()
        else:
            data = (M if M.format in ("csr", "csc", "bsr") else M.tocsr()).data
    else:
        data = M
    if (data.numel() if is_torch(data) else data.size) == 0:
        return 0.0
    xp = array_module(data)
    with np.errstate(invalid="ignore"):
        if numpy_dtype(data.dtype).kind == "c":
            return float(xp.max(xp.abs(data)))
        return max(float(xp.max(data)), -float(xp.min(data)))


def times_pow2(x: Any, e: Any) -> Any:
    """x·2^e, exact (but for under/overflow of the result), in steps whose factors are
    normal numbers of x's precision, so that e may pass the exponent range (to ±2100).

    ``e`` is an integer, or an integer NumPy array of one exponent per column (last axis)
    of an array ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> times_pow2(np.array([1e308]), -1030) * 2.0 ** 1000 * 2.0 ** 30
    array([1.e+308])
    >>> times_pow2(np.ones((2, 2), dtype=np.float32), np.array([100, -140])).tolist()[0]
    [1.2676506002282294e+30, 7.174648137343064e-43]
    """
    dtype = getattr(x, "dtype", None)
    limit = 1000 if dtype is None else np.finfo(numpy_dtype(dtype)).maxexp - 2
    e = np.asarray(e, dtype=np.int64)
    while bool(np.any(e != 0)):
        step = np.clip(e, -limit, limit)
        if step.ndim == 0:
            x = x * 2.0 ** int(step)
        else:  # one factor per column, in x's real precision and on its device
            real = np.finfo(numpy_dtype(dtype)).dtype
            factors = (2.0 ** step.astype(np.float64)).astype(real)
            if is_torch(x):
                x = x * _torch().as_tensor(factors, device=x.device)
            else:
                x = x * array_module(x).asarray(factors)
        e = e - step
    return x
