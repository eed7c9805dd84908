"""The exact-rounded arithmetic of the Box–Muller transform, compiled.

:func:`sketch.rng._box_muller` turns a pair of uniforms into
``(r cos θ, r sin θ)`` by ``r = sqrt(-scale · log1p(-v1))``, ``t = tan(π v2)``,
``q = r / (1 + t²)``, ``((1 - t²) q, 2t q)``. The host's contiguous runs
(:mod:`sketch.rng_host`) leave ``log1p`` and ``tan`` to NumPy (its SIMD code for
them is its own, and their bits are part of the stream), and do everything after
them here, in one pass over the chunk instead of nine ufunc calls: every
operation is an IEEE multiply, add, divide, square root or conversion, each
rounded once (no ``fastmath``, so no fused multiply-add or reassociation), hence
the same bits as NumPy's ufuncs on the same values. It costs 0.47 ns an entry
(``python -m benchmarks stream``, ``parts`` rows, one thread of the development
machine), where the ufuncs it replaces and the transpose of the uniforms took
about 1.5 (issue 20's split of the NumPy version).

Examples
--------
>>> import numpy as np
>>> z = np.empty((1, 2))
>>> finish(np.array([np.log1p(-0.5)]), np.array([np.tan(np.pi * 0.25)]), 2.0, z, 1.0)
>>> bool(np.allclose(z, [[0.0, np.sqrt(2 * np.log(2))]]))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(nogil=True, cache=True, error_model="numpy")
def _finish(r, t, scale, z, f):  # pragma: no cover - compiled
    out = z.reshape(-1)  # the pairs' entries side by side (a 2-D z kept LLVM from vectorising)
    for i in range(r.shape[0]):
        ti = t[i]
        t2 = ti * ti
        q = np.sqrt(r[i] * -scale) / (1.0 + t2)
        out[2 * i] = (1.0 - t2) * q  # rounded to z's dtype, then times f in that dtype
        out[2 * i + 1] = (ti + ti) * q
        out[2 * i] *= f
        out[2 * i + 1] *= f


def finish(r: np.ndarray, t: np.ndarray, scale: float, z: np.ndarray, f: Any) -> None:
    """``z[i] = (dtype((1 - t²) q) · f, dtype(2t q) · f)`` with ``t = t[i]``,
    ``q = sqrt(-scale · r[i]) / (1 + t²)`` in float64, for ``r = log1p(-v1)`` and
    ``t = tan(π v2)`` (float64, one entry per pair) and the C-contiguous ``(k, 2)`` float64
    or float32 ``z``; ``f`` is the factor, taken in z's dtype (1 leaves the values as they
    are)."""
    _finish(r, t, float(scale), z, z.dtype.type(f))
