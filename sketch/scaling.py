"""Exact rescaling by powers of two, for routines whose answer has a known scale.

Entries near the float limits (subnormal, or ~1e300) underflow or overflow in squared norms,
column sums and triangular solves, though the answer itself is representable: such routines
solve on :func:`unit_scaled` data and map the answer back with :func:`unit_unscaled`.
Least squares whose columns differ in scale by more than half the precision (a feature of
1e-300 next to one of 1e300) scale each column by its own power (:func:`columns_scaled`):
min ‖A D z − b‖ with D = diag(2^eⱼ) has the solution x = D z exactly, where one scale for the
whole matrix leaves the small columns below the rank cut-off and their coefficients at 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .backend import max_abs, times_pow2
from .errors import NonFiniteError

#: Data whose largest entry passes this (or, for :func:`columns_scaled`, lies below its
#: inverse) is solved on a power-of-two scaled copy: squares and sums of such entries leave
#: the double range.
EXTREME = 2.0**400


def unit_scaled(A: Any) -> tuple[Any, int]:
    """``(A·2ᵉ, e)`` with ``max|aᵢⱼ|·2ᵉ`` in [½, 1) (``e = 0`` for ``A = 0``); exact.

    For routines whose answer does not depend on the scale of A (leverage scores,
    projections): entries near the float limits (subnormal, or ~1e300) would otherwise
    underflow or overflow in ``‖aᵢ‖²`` or ``R⁻¹``. A power of two scales exactly, applied in
    two steps because ``2ᵉ`` alone may not be a float64.

    Examples
    --------
    >>> import numpy as np
    >>> B, e = unit_scaled(np.array([[3e-320, 1e-320]]))
    >>> float(B.max()) < 1 <= 2 * float(B.max()), e > 1000
    (True, True)
    """
    s = max_abs(A)
    if s == 0 or not math.isfinite(s):
        return A, 0
    e = -math.frexp(s)[1]
    return times_pow2(A, e), e


def columns_scaled(A: Any) -> tuple[Any, Any]:
    """``(A·D, e)`` with D = diag(2^eⱼ) and max|A[:, j]|·2^eⱼ in [½, 1) where the nonzero
    columns' largest entries spread over more than 2^(p/2) (p the precision's mantissa bits:
    2^26 in double), else :func:`unit_scaled`'s ``(A·2ᵉ, e)`` when A's largest entry lies
    outside 2^±400 (:data:`EXTREME`), else ``(A, 0)``; exact. ``e`` is an int or an int
    array (one per column). A: a dense NumPy array or a SciPy sparse matrix (returned in
    its format).

    Examples
    --------
    >>> import numpy as np
    >>> B, e = columns_scaled(np.array([[1e-300, 3.0], [2e-300, 1.0]]))
    >>> bool(np.all((B.max(axis=0) >= 0.5) & (B.max(axis=0) < 1))), int(e[0]) > 990, int(e[1])
    (True, True, -2)
    >>> columns_scaled(np.array([[1.0, 3.0]]))[1]
    0
    """
    tops = np.abs(A).max(axis=0)
    tops = np.asarray(tops.toarray() if hasattr(tops, "toarray") else tops, float).ravel()
    nonzero = tops[tops > 0]
    half = 2.0 ** (np.finfo(A.dtype).nmant // 2)
    if nonzero.size == 0 or nonzero.max() <= half * nonzero.min():
        top = float(tops.max()) if tops.size else 0.0
        return unit_scaled(A) if not 1 / EXTREME <= top <= EXTREME and top > 0 else (A, 0)
    e = np.where(tops > 0, -np.frexp(np.where(tops > 0, tops, 1.0))[1], 0).astype(np.int64)
    if not hasattr(A, "tocoo"):
        return times_pow2(A, e), e
    C = A.tocoo(copy=True)
    C.data = times_pow2(C.data, e[C.col])
    return C.asformat(A.format), e


def unit_unscaled(x: Any, e: Any, what: str) -> Any:
    """``x·2⁻ᵉ``: the answer of a problem solved on :func:`unit_scaled` (or
    :func:`columns_scaled`: ``e`` an array, one exponent per entry of x's first axis) data,
    back in the caller's units. One that passes the largest float (finite data whose answer
    really overflows, e.g. a coefficient for a feature of 1e-300 and a target of 1e300) is
    refused with :class:`NonFiniteError` naming ``what``, not returned as inf.

    Examples
    --------
    >>> import numpy as np
    >>> unit_unscaled(np.array([0.5]), -1024, "the coefficient").tolist()
    [8.98846567431158e+307]
    """
    x = np.asarray(x)
    e = np.asarray(e, dtype=np.int64)
    with np.errstate(over="ignore"):
        out = times_pow2(x, -e) if e.ndim == 0 else times_pow2(x.T, -e).T
    if not np.all(np.isfinite(out)):
        bad = np.max(np.abs(x)) if e.ndim == 0 else np.abs(x)[~np.all(
            np.isfinite(out.reshape(len(out), -1)), axis=1)].max()
        size = math.frexp(float(bad))[1] - (int(e) if e.ndim == 0 else int(e.min()))
        raise NonFiniteError(f"{what} overflows {x.dtype} (about 2^{size}): the answer is too "
                             "large for the data's scale; rescale the data")
    return out


__all__ = ["EXTREME", "columns_scaled", "unit_scaled", "unit_unscaled"]
