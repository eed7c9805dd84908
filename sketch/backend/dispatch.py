"""What the array API lacks, one function each, dispatched on the array's library.

Part of :mod:`sketch.backend` (import from there): QR in every mode, triangular
solves, Cholesky, LU, the orthonormal DCT-II and its inverse, the Walsh–Hadamard
transform, scatter-add, counts, top-k and sparse products. NumPy → SciPy, CuPy →
cupyx.scipy, torch → torch.linalg / torch.fft / torch.sparse.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from ..errors import NonFiniteError
from .arrays import (
    _torch,
    array_module,
    backend_name,
    device,
    fft,
    is_sparse,
    is_torch,
    is_torch_namespace,
    library_dtype,
    linalg,
    namespace,
    numpy_dtype,
    sparse,
    to_dense,
)

# --------------------------------------------------------------------------
# dense linear algebra the array API lacks
# --------------------------------------------------------------------------


def qr(A: Any, mode: str = "reduced") -> Any:
    """QR factorisation on the array's own device (batched over leading axes).

    ``mode="reduced"`` (default) and ``"complete"`` return ``(Q, R)``; ``"r"``
    returns ``R`` alone (no Q formed).

    Examples
    --------
    >>> import numpy as np
    >>> Q, R = qr(np.eye(3)[:, :2])
    >>> Q.shape, qr(np.eye(3)[:, :2], mode="r").shape
    ((3, 2), (2, 2))
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    name = backend_name(A)
    if name == "torch":
        Q, R = _torch().linalg.qr(A, mode=mode)
        return R if mode == "r" else (Q, R)
    if mode == "r" and name == "numpy" and A.ndim == 2 and min(A.shape) >= _GEQRT_FROM:
        return _r_factor(A)
    return array_module(A).linalg.qr(A, mode=mode)


# geqrt's block size: measured 1.4-2x faster than geqrf (numpy.linalg.qr) on tall
# matrices with hundreds of columns or more, one BLAS thread (12000 x 1001: 1.4 s vs 2.0-2.8 s).
_GEQRT_BLOCK = 128
_GEQRT_FROM = 256


def _r_factor(A: np.ndarray) -> np.ndarray:
    """R of a NumPy matrix by LAPACK ``geqrt`` (Householder QR, compact-WY blocks of 128)."""
    import scipy.linalg as sl

    geqrt = sl.get_lapack_funcs("geqrt", (A,))
    k = min(A.shape)
    out, _, info = geqrt(min(_GEQRT_BLOCK, k), A)
    if info != 0:  # pragma: no cover - LAPACK reports an illegal argument
        raise ValueError(f"LAPACK geqrt failed (info={info})")
    return np.triu(out[:k])


# tpqrt's block size: 32 measured fastest at n = 1000 (0.065 s vs 0.078 s for 64).
_TPQRT_BLOCK = 32


def shifted_r(R: Any, theta: float) -> Any:
    """The triangular factor of [R; θ I] for an upper-triangular n × n ``R``.

    Its Gram matrix is RᴴR + θ² I, formed without squaring R. NumPy: LAPACK
    ``tpqrt``, which keeps both blocks triangular (about n³/3 flops, 10-20x
    faster than an SVD of R at n = 1000, one thread); otherwise the R of a
    QR of the stacked 2n × n matrix.

    Examples
    --------
    >>> import numpy as np
    >>> R = np.array([[3.0, 1.0], [0.0, 2.0]])
    >>> T = shifted_r(R, 0.5)
    >>> bool(np.allclose(T.T @ T, R.T @ R + 0.25 * np.eye(2)))
    True
    """
    n = R.shape[0]
    if backend_name(R) == "numpy":
        import scipy.linalg as sl

        tpqrt = sl.get_lapack_funcs("tpqrt", (R,))
        shift = theta * np.eye(n, dtype=R.dtype)
        out, _, _, info = tpqrt(n, max(1, min(_TPQRT_BLOCK, n)), R, shift)
        if info != 0:  # pragma: no cover - LAPACK reports an illegal argument
            raise ValueError(f"LAPACK tpqrt failed (info={info})")
        return np.asfortranarray(np.triu(out))  # LAPACK's layout: no copy per solve
    xp = namespace(R)
    eye = xp.eye(n, dtype=R.dtype, device=device(R))
    return qr(xp.concat([R, theta * eye], axis=0), mode="r")



def dense_lstsq(A: Any, b: Any, *, rcond: float | None = None,
                name: str = "A") -> tuple[Any, int, Any]:
    """``(A⁺b, rank, singular values)``: the minimum-norm solution of min ‖A x − b‖ (b may
    hold several right-hand sides as columns), rank-revealing on every device.

    Singular values at or below ``σ₁·rcond`` count as zero; ``rcond=None`` means
    ``max(m, n)·eps`` (the rule of ``numpy.linalg.lstsq(rcond=None)``). NumPy/CuPy:
    ``linalg.lstsq``; torch: ``torch.linalg.lstsq`` with driver gelsd on the CPU and, on a
    GPU (where torch has no rank-revealing driver), an SVD solve with the same rule.

    A solution that overflows A's precision (finite A and b, but a smallest kept singular
    value so small that ``‖A⁺b‖`` passes the largest float, e.g. A = 2e-313 everywhere) is
    refused with :class:`~sketch.errors.NonFiniteError` naming ``name``, not returned as inf.

    Examples
    --------
    >>> import numpy as np
    >>> x, rank, sv = dense_lstsq(np.eye(3)[:, :2], np.ones(3))
    >>> x.tolist(), rank
    ([1.0, 1.0], 2)
    >>> X, r, _ = dense_lstsq(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([2.0, 2.0]))
    >>> np.round(X, 12).tolist(), r        # rank 1: the shortest of the solutions x₁ + x₂ = 2
    ([1.0, 1.0], 1)
    """
    if backend_name(A) != "torch":
        x, _, rank, sv = array_module(A, b).linalg.lstsq(A, b, rcond=rcond)
    elif A.device.type != "cpu":
        x, rank, sv = _svd_lstsq(A, b, rcond)
    else:
        out = _torch().linalg.lstsq(A, b[:, None] if b.ndim == 1 else b, rcond=rcond,
                                    driver="gelsd")
        x = out.solution[:, 0] if b.ndim == 1 else out.solution
        rank, sv = out.rank, out.singular_values
    refuse_overflow(x, name)
    return x, int(rank), sv


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


def astype(x: Any, dtype: Any) -> Any:
    """``x`` in ``dtype`` (a NumPy dtype or any library's), no copy when it already is.

    Examples
    --------
    >>> import numpy as np
    >>> astype(np.ones(2, dtype=np.float32), np.float64).dtype
    dtype('float64')
    """
    if is_torch(x):
        return x.to(library_dtype(x, dtype))
    return x.astype(numpy_dtype(dtype), copy=False)  # NumPy, CuPy (and Dask) arrays


def solve_triangular(
    R: Any, B: Any, *, lower: bool = False, trans: int | str = 0, unit_diagonal: bool = False,
    check_finite: bool = True,
) -> Any:
    """Solve ``R X = B`` (``trans=0``), ``Rᵀ X = B`` (``'T'``/1) or ``Rᴴ X = B`` (``'C'``/2).

    ``R`` is triangular (upper unless ``lower``); ``B`` a vector or matrix.
    ``check_finite=False`` skips SciPy's scan of R and B for inf/NaN (a pass
    over all n² entries, 2-7x the solve itself for one vector at n = 1000) where
    the caller knows they are finite; CuPy and torch never scan.

    Examples
    --------
    >>> import numpy as np
    >>> solve_triangular(np.array([[2.0, 1.0], [0.0, 4.0]]), np.array([3.0, 4.0])).tolist()
    [1.0, 1.0]
    """
    name = backend_name(R)
    if name != "torch":
        kw = {} if check_finite or name != "numpy" else {"check_finite": False}
        return linalg(array_module(R, B)).solve_triangular(
            R, B, lower=lower, trans=trans, unit_diagonal=unit_diagonal, **kw
        )
    array_module(R, B)  # same library and device, or a clear error
    torch = _torch()
    t = {0: "N", 1: "T", 2: "C"}.get(trans, trans) if not isinstance(trans, str) else trans.upper()
    if t not in ("N", "T", "C"):
        raise ValueError(f"trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    if t == "T":
        R, lower = R.mT, not lower
    elif t == "C":
        R, lower = R.mH, not lower
    vec = B.ndim == 1
    X = torch.linalg.solve_triangular(R, B[:, None] if vec else B, upper=not lower,
                                      unitriangular=unit_diagonal)
    return X[:, 0] if vec else X


def cholesky(A: Any, *, lower: bool = True) -> Any:
    """Cholesky factor of a Hermitian positive definite ``A`` (``L`` with ``A = L Lᴴ``,
    or ``U`` with ``A = Uᴴ U`` when ``lower=False``).

    Examples
    --------
    >>> import numpy as np
    >>> cholesky(np.array([[4.0, 2.0], [2.0, 2.0]])).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    name = backend_name(A)
    if name == "torch":
        return _torch().linalg.cholesky(A, upper=not lower)
    L = array_module(A).linalg.cholesky(A)
    return L if lower else L.conj().swapaxes(-1, -2)


def _svd_lstsq(A: Any, B: Any, rcond: float | None) -> tuple[Any, int, Any]:
    """(A⁺B, rank, σ) with σᵢ ≤ σ₁·rcond counted as zero (rcond None: max(m, n)·eps)."""
    xp = namespace(A)
    U, s, Vh = xp.linalg.svd(A, full_matrices=False)
    if rcond is None or rcond < 0:
        rcond = max(A.shape) * float(np.finfo(numpy_dtype(A.dtype)).eps)
    tol = float(s[0]) * rcond if s.shape[0] else 0.0
    r = int(xp.sum(s > tol))
    if r == 0:
        return xp.zeros((A.shape[1],) + tuple(B.shape[1:]), dtype=A.dtype,
                        device=device(A)), 0, s
    UtB = xp.conj(U[:, :r]).T @ B
    scale = 1.0 / s[:r]
    UtB = UtB * (scale[:, None] if UtB.ndim == 2 else scale)
    return xp.conj(Vh[:r, :]).T @ xp.astype(UtB, Vh.dtype), r, s


def lu(A: Any, *, permute_l: bool = False) -> Any:
    """LU with partial pivoting, ``A = P L U``: ``(P, L, U)``, or ``(P L, U)`` with ``permute_l``.

    Examples
    --------
    >>> import numpy as np
    >>> PL, U = lu(np.array([[1.0, 2.0], [3.0, 4.0]]), permute_l=True)
    >>> bool(np.allclose(PL @ U, [[1, 2], [3, 4]]))
    True
    """
    if backend_name(A) == "torch":
        P, L, U = _torch().linalg.lu(A)
        return (P @ L, U) if permute_l else (P, L, U)
    kw = {"check_finite": False} if backend_name(A) == "numpy" else {}
    return linalg(array_module(A)).lu(A, permute_l=permute_l, **kw)


def lu_factor(A: Any) -> tuple[Any, Any]:
    """Packed LU factors and pivots of a square ``A``, for :func:`lu_solve`."""
    if backend_name(A) == "torch":
        return _torch().linalg.lu_factor(A)
    return linalg(array_module(A)).lu_factor(A)


def lu_solve(factors: tuple[Any, Any], B: Any, *, trans: int = 0) -> Any:
    """Solve ``A X = B`` (``trans=0``), ``Aᵀ X = B`` (1) or ``Aᴴ X = B`` (2) from :func:`lu_factor`.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> bool(np.allclose(A @ lu_solve(lu_factor(A), np.ones(2)), 1))
    True
    """
    LU, piv = factors
    if backend_name(LU) != "torch":
        return linalg(array_module(LU, B)).lu_solve((LU, piv), B, trans=trans)
    torch = _torch()
    vec = B.ndim == 1
    Bm = B[:, None] if vec else B
    if trans == 1:
        # A^T x = b  <=>  A^H conj(x) = conj(b)
        X = torch.linalg.lu_solve(LU, piv, Bm.conj(), adjoint=True).conj()
    else:
        X = torch.linalg.lu_solve(LU, piv, Bm, adjoint=trans == 2)
    return X[:, 0] if vec else X


# --------------------------------------------------------------------------
# transforms
# --------------------------------------------------------------------------


def dct(x: Any, *, axis: int = 0) -> Any:
    """Orthonormal DCT-II along ``axis`` (``scipy.fft.dct(x, type=2, norm="ortho")``).

    Torch has no DCT; there it is one FFT of the even-odd reordered input
    (Makhoul, "A fast cosine transform in one and two dimensions", 1980).

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.allclose(idct(dct(np.arange(5.0))), np.arange(5.0)))
    True
    """
    return _cosine_transform(x, axis, inverse=False)


def idct(y: Any, *, axis: int = 0) -> Any:
    """Inverse of :func:`dct` (the orthonormal DCT-III) along ``axis``."""
    return _cosine_transform(y, axis, inverse=True)


def _cosine_transform(x: Any, axis: int, inverse: bool) -> Any:
    if backend_name(x) != "torch":
        f = fft(array_module(x))
        return (f.idct if inverse else f.dct)(x, type=2, norm="ortho", axis=axis)
    if x.is_complex():
        return _torch().complex(_cosine_transform(x.real, axis, inverse),
                                _cosine_transform(x.imag, axis, inverse))
    v = x.movedim(axis, 0)
    return (_idct_torch(v) if inverse else _dct_torch(v)).movedim(0, axis)


def _phase(n: int, sign: float, like: Any, ndim: int) -> Any:
    """``exp(sign i pi k / 2n)`` for k < n, shaped to broadcast along axis 0."""
    torch = _torch()
    k = torch.arange(n, device=like.device, dtype=like.dtype)
    return torch.polar(torch.ones_like(k), sign * math.pi * k / (2 * n)).reshape(
        (n,) + (1,) * (ndim - 1))


def _dct_torch(v: Any) -> Any:
    torch = _torch()
    n = v.shape[0]
    w = torch.cat([v[0::2], v[1::2].flip(0)], dim=0)
    y = (torch.fft.fft(w, dim=0) * _phase(n, -1.0, v, v.ndim)).real * math.sqrt(2.0 / n)
    y[0] = y[0] / math.sqrt(2.0)
    return y


def _idct_torch(v: Any) -> Any:
    torch = _torch()
    n = v.shape[0]
    u = v * math.sqrt(n / 2.0)
    u = torch.cat([u[:1] * math.sqrt(2.0), u[1:]], dim=0)
    # V_k = (u_k - i u_{n-k}) e^{i pi k / 2n}, u_n = 0: the FFT of the reordered input.
    rev = torch.cat([torch.zeros_like(u[:1]), u[1:].flip(0)], dim=0)
    w = torch.fft.ifft(torch.complex(u, -rev) * _phase(n, 1.0, v, v.ndim), dim=0).real
    half = (n + 1) // 2
    x = torch.empty_like(w)
    x[0::2] = w[:half]
    x[1::2] = w[half:].flip(0)
    return x


def fwht(X: Any) -> Any:
    """Orthonormal fast Walsh–Hadamard transform along axis 0 (length a power of two).

    ``H_n X / sqrt(n)`` with Sylvester's ``H_{2k} = [[H_k, H_k], [H_k, -H_k]]``,
    in ``log2 n`` butterfly passes of array-API operations (every backend).

    Examples
    --------
    >>> import numpy as np
    >>> fwht(np.array([1.0, 0.0, 0.0, 0.0])).tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    xp = namespace(X)
    n = X.shape[0]
    if n & (n - 1):
        raise ValueError(f"fwht needs a power-of-two length along axis 0, got {n}")
    rest = tuple(X.shape[1:])
    Y = X
    h = 1
    while h < n:
        Z = xp.reshape(Y, (n // (2 * h), 2, h) + rest)
        a, b = Z[:, 0, ...], Z[:, 1, ...]
        Y = xp.reshape(xp.stack([a + b, a - b], axis=1), (n,) + rest)
        h *= 2
    return Y / math.sqrt(n)


# --------------------------------------------------------------------------
# scatter and sparse
# --------------------------------------------------------------------------


def index_add(target: Any, index: Any, values: Any) -> Any:
    """``target[index[i]] += values[i]`` with repeated indices accumulated, in place.

    Returns ``target``. (``target[index] += values`` would drop repeats.)

    Examples
    --------
    >>> import numpy as np
    >>> index_add(np.zeros(3), np.array([0, 0, 2]), np.ones(3)).tolist()
    [2.0, 0.0, 1.0]
    """
    name = backend_name(target)
    if name == "torch":
        return target.index_add_(0, index.to(_torch().int64), values.to(target.dtype))
    if name == "cupy":
        import cupyx

        cupyx.scatter_add(target, index, values)
        return target
    np.add.at(target, index, values)
    return target


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> Any:
    """Counts (or summed ``weights``) of each non-negative integer in ``x``, on its device.

    Examples
    --------
    >>> import numpy as np
    >>> bincount(np.array([0, 2, 2]), minlength=4).tolist()
    [1, 0, 2, 0]
    """
    if backend_name(x) == "torch":
        return _torch().bincount(x, weights=weights, minlength=minlength)
    return array_module(x).bincount(x, weights=weights, minlength=minlength)


def top_k_indices(x: Any, k: int) -> Any:
    """Indices of the ``k`` largest entries of the 1-D ``x``, in no particular order.

    ``argpartition`` on NumPy/CuPy (O(n)), ``topk`` on torch.

    Examples
    --------
    >>> import numpy as np
    >>> sorted(top_k_indices(np.array([3.0, 9.0, 1.0, 7.0]), 2).tolist())
    [1, 3]
    """
    if backend_name(x) == "torch":
        return _torch().topk(x, k, sorted=False).indices
    xp = array_module(x)
    if k >= x.shape[0]:
        return xp.arange(x.shape[0])
    return xp.argpartition(-x, k - 1)[:k]


def sparse_coo(values: Any, rows: Any, cols: Any, shape: tuple[int, int]) -> Any:
    """A sparse matrix on ``values``' library and device from coordinates (repeats summed).

    SciPy/cupyx: CSR; torch: a coalesced sparse COO tensor.

    Examples
    --------
    >>> import numpy as np
    >>> sparse_coo(np.ones(2), np.array([0, 0]), np.array([1, 1]), (2, 2)).toarray().tolist()
    [[0.0, 2.0], [0.0, 0.0]]
    """
    if backend_name(values) == "torch":
        torch = _torch()
        idx = torch.stack([rows.to(torch.int64), cols.to(torch.int64)])
        return torch.sparse_coo_tensor(idx, values, size=shape, check_invariants=True).coalesce()
    xp = array_module(values)
    return sparse(xp).coo_matrix((values, (rows, cols)), shape=shape).tocsr()


def sparse_from_csc(data: Any, indices: Any, indptr: Any, shape: tuple[int, int],
                    xp: ModuleType | None = None) -> Any:
    """A sparse matrix on ``data``'s library and device from its three CSC arrays.

    SciPy/cupyx: CSC; torch: a sparse COO tensor (the layout every torch
    device multiplies with).
    """
    xp = array_module(data) if xp is None else xp
    if is_torch_namespace(xp):
        torch = _torch()
        counts = indptr[1:] - indptr[:-1]
        cols = torch.repeat_interleave(torch.arange(shape[1], device=data.device), counts)
        return sparse_coo(data, indices, cols, shape)
    return sparse(xp).csc_matrix((data, indices, indptr), shape=shape)


def sparse_values_astype(S: Any, dtype: Any) -> Any | None:
    """A compressed sparse matrix (SciPy/cupyx CSR or CSC) with its values cast to
    ``dtype`` and its index arrays *shared* with ``S``; None for any other format.

    Costs the values only (``S.astype`` also copies the indices and, for indices not in
    canonical order, sorts them, in place on ``S``: 10 ms of a 1.5 M-nonzero matrix
    against 1 ms). The result is for products only: an in-place change of its indices
    (``sort_indices``, ``sum_duplicates``) would corrupt ``S``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> S = sp.csr_matrix(np.array([[0.0, 2.0], [1.0, 0.0]]))
    >>> S32 = sparse_values_astype(S, np.float32)
    >>> S32.dtype, np.shares_memory(S32.indices, S.indices), (S32 @ np.ones(2, np.float32)).tolist()
    (dtype('float32'), True, [2.0, 1.0])
    >>> sparse_values_astype(S.tocoo(), np.float32) is None
    True
    """
    if is_torch(S) or getattr(S, "format", None) not in ("csr", "csc"):
        return None
    data = S.data.astype(numpy_dtype(dtype))
    return type(S)((data, S.indices, S.indptr), shape=S.shape, copy=False)


def spmm(S: Any, A: Any) -> Any:
    """``S @ A`` for a sparse ``S`` and a dense ``A``, returned dense on their device.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> spmm(sp.eye(2, format="csr"), np.ones((2, 1))).tolist()
    [[1.0], [1.0]]
    """
    if is_torch(S) or is_torch(A):
        array_module(S, A)
        torch = _torch()
        if is_sparse(S):
            return torch.sparse.mm(S, A) if A.ndim == 2 else torch.sparse.mm(S, A[:, None])[:, 0]
        return S @ to_dense(A)
    out = S @ A
    return to_dense(out)
