"""Exact rescaling by powers of two, for routines whose answer has a known scale.

Entries near the float limits (subnormal, or ~1e300) underflow or overflow in squared norms,
column sums and triangular solves, though the answer itself is representable: such routines
solve on :func:`unit_scaled` data and map the answer back with :func:`unit_unscaled`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .backend import max_abs, times_pow2
from .errors import NonFiniteError


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


def unit_unscaled(x: Any, e: int, what: str) -> Any:
    """``x·2⁻ᵉ``: the answer of a problem solved on :func:`unit_scaled` data, back in the
    caller's units. One that passes the largest float (finite data whose answer really
    overflows, e.g. a coefficient for a feature of 1e-300 and a target of 1e300) is refused
    with :class:`NonFiniteError` naming ``what``, not returned as inf.

    Examples
    --------
    >>> import numpy as np
    >>> unit_unscaled(np.array([0.5]), -1024, "the coefficient").tolist()
    [8.98846567431158e+307]
    """
    x = np.asarray(x)
    with np.errstate(over="ignore"):
        out = times_pow2(x, -e)
    if not np.all(np.isfinite(out)):
        raise NonFiniteError(f"{what} overflows {x.dtype} (about 2^"
                             f"{math.frexp(float(np.max(np.abs(x))))[1] - e}): the answer is too "
                             "large for the data's scale; rescale the data")
    return out


__all__ = ["unit_scaled", "unit_unscaled"]
