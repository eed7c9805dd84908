"""Power-of-two scaling of a least-squares problem whose entries are near under/overflow.

min ‖Ax − b‖² + α‖x‖² and min ‖A′y − b′‖² + α′‖y‖² with A′ = 2^a A, b′ = 2^c b and
α′ = 2^(2a) α have the solutions x = 2^(a−c) y, residuals ‖b − Ax‖ = 2^(−c)‖b′ − A′y‖, and
the same relative backward and forward errors, condition numbers and numerical rank: the
scaling is exact (powers of two) and changes none of what a result reports but x and the
residual norm. It makes the methods' norms, products and estimates safe: with max|b| or
max|A| far from 1 (beyond 2^(±e/4) for the precision's largest exponent e: 2^±256 in
double) their squares and products under- or overflow (a residual of 1.8e-300 reported as
0.0, NaN backward errors for A = 1e300·g, a sketch of a 1e308 column that overflows).

b is scaled up front (a pass over b; each column of a 2-D b by its own power, where they
differ). A is scaled only when the sketch S·A (or A itself,
where it is its own factor) lies outside that range or overflowed: the factorisation
raises :class:`Unbalanced` and the solve restarts on 2^a A (a LinearOperator: scaled
products, by the power of two that S·A's max asks for), so that ordinary problems pay
nothing and keep their results bit for bit. Ridge whose S·A lies below 2^(−e/8)·√α
restarts too, on √α and b brought near 1 (:func:`check_balanced`). A solution 2^(a−c) y
that overflows (:func:`~sketch.backend.refuse_overflow`) or whose largest entry
underflows far below the smallest normal number is refused
(:class:`~sketch.errors.NonFiniteError`): it cannot be represented in the precision (a
subnormal largest entry that keeps half of the precision's bits is returned).

Examples
--------
>>> import numpy as np
>>> from sketch import lstsq
>>> A = 1e300 * np.array([[1.0], [2.0], [2.0]])
>>> res = lstsq(A, 1e300 * np.array([1.0, 2.0, 2.0]), method="fossils")
>>> float(res.x[0]), res.converged, bool(res.backward_error < 1e-15)
(1.0, True, True)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import kernels
from .backend import (
    array_module,
    is_operator,
    max_abs,
    numpy_dtype,
    refuse_overflow,
    times_pow2,
    vector_norm,
)
from .errors import NonFiniteError


class Unbalanced(Exception):
    """Raised by a factorisation whose sketch lies outside the safe range (internal: the
    solve restarts on a scaled A, :func:`solve_balanced`); ``big`` is max|S·A|, ``ridge``
    says that √α dwarfs A (see :func:`check_balanced`)."""

    def __init__(self, big: float, ridge: bool = False):
        super().__init__(big)
        self.big, self.ridge = big, ridge


def exponent(big: float, dtype: Any) -> int:
    """The power of two that brings ``big`` = max|M| to [1/2, 1), or 0 where it lies in the
    safe range 2^(±e/4) (or is 0, or not finite).

    Examples
    --------
    >>> exponent(1e300, np.float64), exponent(3.0, np.float64), exponent(1e-300, np.float64)
    (-997, 0, 996)
    """
    safe = 2.0 ** (np.finfo(numpy_dtype(dtype)).maxexp // 4)
    if not (0 < big < math.inf) or 1 / safe <= big <= safe:
        return 0
    return -math.frexp(big)[1]


def _b_exponents(b: Any, dtype: Any, force: bool = False) -> Any:
    """The power of two for b (:func:`exponent`; with ``force``, the one that brings max|b|
    to [1/2, 1) even inside the safe range), per column of a 2-D b where they differ (an
    integer array); ‖b‖ (one BLAS pass) shows the common case, max|b| in the safe range
    (max|b| ≤ ‖b‖ ≤ √m·max|b|), without two reductions."""
    if force:
        return _per_column(b, lambda t: -math.frexp(t)[1] if 0 < t < math.inf else 0)
    safe = 2.0 ** (np.finfo(numpy_dtype(dtype)).maxexp // 4)
    xp = array_module(b)
    # on one BLAS thread: a threaded BLAS call leaves its workers spinning on the second
    # core for about 0.1 s (sketch.kernels), through the whole of a 20000 × 200 FOSSILS
    # solve on two threads (101-107 ms against 78-81 ms with this norm on one)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"), kernels.serial_blas():
        norms = vector_norm(b) if b.ndim == 1 else vector_norm(b, axis=0)
        low = math.sqrt(b.shape[0]) / safe
        if bool(xp.all((norms >= low) & (norms <= safe))):
            return 0
    return _per_column(b, lambda t: exponent(t, dtype))


def _per_column(b: Any, power: Callable[[float], int]) -> Any:
    """``power(max|b|)`` for a 1-D b; for a 2-D b one per column (an integer array), or
    their common value (an int) where they agree."""
    tops = [max_abs(b)] if b.ndim == 1 else [max_abs(b[:, j]) for j in range(b.shape[1])]
    exps = np.array([power(t) for t in tops])
    return int(exps[0]) if bool(np.all(exps == exps[0])) else exps


def check_balanced(SA: Any, dtype: Any, alpha: float = 0.0) -> None:
    """Raise :class:`Unbalanced` if the sketch S·A is not finite or lies outside the range,
    or (ridge: SA = [√α I; S·A]) if max|S·A| < 2^(−e/8)·√α: there x ≈ Aᴴb/α is ~(‖A‖/√α)·‖b‖/√α,
    which the range alone lets fall to a subnormal; the restart puts √α and b near 1, x near
    ‖A‖/√α."""
    big = max_abs(SA)
    if not math.isfinite(big) or exponent(big, dtype) != 0:
        raise Unbalanced(big)
    if alpha > 0:
        n = SA.shape[1]
        gap = 2.0 ** (np.finfo(numpy_dtype(dtype)).maxexp // 8)
        if max_abs(SA[n:]) * gap < math.sqrt(alpha):
            raise Unbalanced(big, ridge=True)


def _refuse_underflow(y: Any, x: Any, shift: Any, dtype: Any) -> None:
    """Refuse x = 2^shift·y (per column) whose largest entry keeps under half of the
    precision's bits while y's was representable: x = 0 would leave the whole of b."""
    info = np.finfo(numpy_dtype(dtype))
    least = info.smallest_subnormal * 2.0 ** (info.nmant // 2)
    shifts = np.broadcast_to(np.asarray(shift), (1 if y.ndim == 1 else y.shape[1],))
    for j, sj in enumerate(shifts):
        yj, xj = (y, x) if y.ndim == 1 else (y[:, j], x[:, j])
        if max_abs(xj) < least <= max_abs(yj):
            raise NonFiniteError(
                f"the least-squares solution for A underflows {info.dtype}: its largest "
                f"entry is about 2^{math.frexp(max_abs(yj))[1] + int(sj)}, too deep below the "
                "smallest normal number to be represented (x = 0 would leave the whole of "
                "b); rescale A (or the right-hand side b)")


def solve_balanced(solver: Callable[[Any], Any], p: Any) -> Any:
    """``solver(p)`` on the scaled problem (see the module notes), its result unscaled."""
    if hasattr(p.A, "sketch_pair"):  # a distributed A: its own passes, not scaled here
        return solver(dataclasses.replace(p, balanced=True))
    c = _b_exponents(p.b, p.dtype)  # an int, or one per column of b
    q = p if np.all(c == 0) else dataclasses.replace(p, b=times_pow2(p.b, c))
    try:
        res = solver(q)
        a = 0
    except Unbalanced as exc:  # a LinearOperator has no entries: S·A's max stands for A's
        # the sketch is of [A; √α I]: its scale is the larger of the two
        big = exc.big if is_operator(p.A) else max(max_abs(p.A), math.sqrt(p.alpha))
        if exc.ridge:  # √α and b near 1 (b's scale is x's here, x ≈ Aᴴb/α)
            big = math.sqrt(p.alpha)
            c = _b_exponents(p.b, p.dtype, force=True)
            q = dataclasses.replace(p, b=times_pow2(p.b, c))
        if not math.isfinite(big):
            raise NonFiniteError("the sketch S·A of the LinearOperator A overflows; rescale A "
                                 "(e.g. by a power of two) so that its entries are near 1"
                                 ) from None
        a = exponent(big, p.dtype) or (-math.frexp(big)[1] if 0 < big < math.inf else 0)
        q = dataclasses.replace(q, A=times_pow2(p.A, a), alpha=times_pow2(p.alpha, 2 * a),
                                balanced=True)
        res = solver(q)
    if a == 0 and np.all(c == 0):
        return res
    x = times_pow2(res.x, a - c)
    refuse_overflow(x)
    _refuse_underflow(res.x, x, a - c, p.dtype)
    res.x = x
    res.residual_norm = times_pow2(res.residual_norm, -c)
    res.alpha = p.alpha
    return res
