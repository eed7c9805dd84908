"""Dense factorizations the array API lacks, dispatched on the array's library.

Part of :mod:`sketch.backend` (import from there): QR in every mode and the R of
[R; θI], minimum-norm least squares, triangular solves, Cholesky and LU.
NumPy → SciPy, CuPy → cupyx.scipy, torch → torch.linalg.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .arrays import (
    _torch,
    array_module,
    backend_name,
    device,
    linalg,
    namespace,
    numpy_dtype,
)
from .norms import refuse_overflow


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



# qr_lstsq's margin on R's estimated condition number (see there).
_QR_MARGIN = 10.0
# qr_lstsq takes the QR path from this much work (m·n²) on: below it gelsd costs a few ms at
# most, and the forward errors of two backward-stable solvers spread widely on small
# problems whose κ²u‖r‖ term dominates (QR / gelsd 0.1-2.4x over 8 seeds at 8 x 4 and
# 60 x 12, κ = 1e8, ‖r‖ = 1; 0.93-1.04x at 5000 x 100): there the answer stays gelsd's.
_QR_FROM = 10**7


def qr_lstsq(A: Any, b: Any, *, rcond: float, name: str = "A") -> tuple[Any, int, float]:
    """``(A⁺b, rank, condition)`` by Householder QR where R provably has full numerical rank,
    else by gelsd on R: the answer and rank of :func:`dense_lstsq`, faster.

    NumPy, m ≥ n: A = QR (LAPACK ``geqrf`` on one copy of A in LAPACK's layout; Q not
    formed) and c = Qᴴb (``ormqr``/``unmqr``). LAPACK's estimate κ̂₁ of R's 1-norm condition
    number (``trcon``, O(n²)) decides: where n·10·κ̂₁ < 1/rcond, R has full numerical rank
    with margin (κ₂ ≤ n·κ₁; trcon's κ̂₁ is a lower bound, rarely below a tenth of κ₁,
    Higham 1988) and x = R⁻¹c (``trtrs``), ``condition`` κ̂₁. Otherwise (rank-deficient or
    near it) x = R⁺c by gelsd on the n × n R (A⁺ = R⁺Qᴴ, Q having orthonormal columns;
    gelsd itself starts a tall A with this QR), ``condition`` σ₁/σ_min of R and ``rank``
    gelsd's: singular values at or below ``rcond``·σ₁ count as zero. Householder QR is
    backward stable (Higham 2002, §20.2), as gelsd is. SciPy's LAPACK, as
    ``scipy.linalg.lstsq``: NumPy's (another OpenBLAS build) ran this QR at 0.54-0.61x
    SciPy gelsd's speed in float32. Other backends, m < n, and m·n² below 10⁷ (a few ms of
    work; see ``_QR_FROM``): :func:`dense_lstsq` (gelsd; an SVD solve on a GPU),
    ``condition`` σ₁/σ_min.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).standard_normal((40_000, 20))
    >>> x, rank, cond = qr_lstsq(A, A @ np.ones(20), rcond=20 * 2.2e-16)
    >>> bool(np.allclose(x, 1.0)), rank, bool(1 < cond < 10)
    (True, 20, True)
    """
    m, n = A.shape
    if backend_name(A) != "numpy" or m < n or m * n * n < _QR_FROM:
        x, rank, sv = dense_lstsq(A, b, rcond=rcond, name=name)
        return x, rank, _sv_condition(sv)
    import scipy.linalg as sl

    B = b[:, None] if b.ndim == 1 else b
    complex_ = np.iscomplexobj(A) or np.iscomplexobj(B)
    geqrf, ormqr, trcon, trtrs = sl.get_lapack_funcs(
        ("geqrf", "unmqr" if complex_ else "ormqr", "trcon", "trtrs"), (A, B))
    F = np.array(A, dtype=geqrf.dtype, order="F")  # the one copy, overwritten
    F, tau, _, info = geqrf(F, lwork=_lwork(geqrf(F, lwork=-1)[2]), overwrite_a=True)
    _lapack_ok(info, "geqrf")
    trans = "C" if complex_ else "T"
    C = np.array(B, dtype=F.dtype, order="F")
    C, _, info = ormqr("L", trans, F, tau, C, _lwork(ormqr("L", trans, F, tau, C, -1)[1]),
                       overwrite_c=True)
    _lapack_ok(info, "ormqr")
    R = F[:n]
    inverse_cond, info = trcon(R, norm="1")
    _lapack_ok(info, "trcon")
    # κ̂₁·n·margin < 1/rcond, with LAPACK's eps for rcond ≤ 0 (and no division by it)
    if inverse_cond > n * _QR_MARGIN * max(rcond, float(np.finfo(F.dtype).eps)):
        X, info = trtrs(R, C[:n], overwrite_b=True)
        _lapack_ok(info, "trtrs")
        rank, cond = n, 1.0 / inverse_cond
    else:
        X, _, rank, sv = sl.lstsq(np.triu(R), C[:n], cond=rcond, lapack_driver="gelsd",
                                  check_finite=False, overwrite_a=True, overwrite_b=True)
        cond = _sv_condition(sv)
    x = X[:, 0] if b.ndim == 1 else X
    refuse_overflow(x, name)
    return x, int(rank), cond


def _lwork(work: Any) -> int:
    """LAPACK's optimal workspace from a ``lwork=-1`` query."""
    return max(1, int(work[0].real))


def _lapack_ok(info: int, routine: str) -> None:
    if info != 0:  # pragma: no cover - LAPACK reports an illegal argument
        raise ValueError(f"LAPACK {routine} failed (info={info})")


def _sv_condition(sv: Any) -> float:
    """σ₁/σ_min of descending singular values (two scalars: no host copy of sv)."""
    smin = float(sv[-1]) if sv.shape[0] else 0.0
    return float(sv[0]) / smin if smin > 0 else float("inf")



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
