"""Least squares and ridge on row-chunked Dask arrays, as accurate as in memory.

:func:`sketch.lstsq` (and ``qla.lstsq``) take this path when A or b is a
``dask.array.Array``; the solver is the in-memory one, only the products run
on the cluster. With A = [A₁; A₂; …] and b = [b₁; b₂; …] chunked alike:

1. The sketch S·[A b] = Σ_b S[:, rows of b]·[A_b b_b] is computed where the
   blocks live (each worker generates its columns of S from the keyed stream)
   and only the s × (n + 1) sum reaches the client (one pass).
2. The client factors it (QR, then SVD) into the preconditioner, as in memory.
3. FOSSILS (Epperly, Meier and Nakatsukasa 2024; :mod:`sketch.fossils`) refines
   x on the client; each of its products is one distributed pass returning
   n × k numbers: AᴴA·w = Σ A_bᴴ(A_b w), or the residual pair
   (‖b − A x‖², Aᴴ(b − A x)) = Σ (‖b_b − A_b x‖², A_bᴴ(b_b − A_b x)).

So the solution meets the same stopping rule (the sketched Karlson–Waldén
backward-error estimate ≤ 4u) as the in-memory solve, and equals it to that
tolerance for the same seed and sketch size (bitwise on a single chunk). The
default sketch is larger than in memory (:data:`OVERSAMPLING`), since passes
cost more here. For FOSSILS, A and b are persisted on the workers first:
every iteration reads them again (they must fit in the cluster's memory, or
spill to disk). Chunks may be NumPy or CuPy arrays (x on the same
device). Non-finite entries are found in the sketch (every row of A reaches it
with a nonzero weight), without a pass of their own.

Examples
--------
>>> import numpy as np, dask.array as da
>>> from sketch import lstsq
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((4000, 10)); b = rng.standard_normal(4000)
>>> res = lstsq(da.from_array(A, chunks=1000), da.from_array(b, chunks=1000), seed=0)
>>> res.method, res.converged
('fossils', True)
>>> bool(np.allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=0, atol=1e-13))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import array_module
from ..checks import check_dtype, check_positive_int
from ..errors import ShapeError
from ..lstsq_products import gram_product, residual_pair
from ..operators import SketchingOperator
from .rows import as_rows, chunk_module, finite_on_client, gather, like_rows, persist, row_sum
from .sketches import block_sketch

__all__ = ["RowChunked", "dask_operands", "sketched_lstsq_dask", "DASK_METHODS", "OVERSAMPLING"]

#: The methods of :func:`sketch.lstsq` that run on Dask arrays (the others need A in memory).
DASK_METHODS = ("fossils", "sketch-and-solve")
#: FOSSILS' default sketch rows per column on Dask (12 in memory). A pass over a distributed
#: A costs a round trip to the workers while the sketch's factorisation stays on the client
#: and the sketch pass costs the same at any size: 50n rows halve the passes (heavy-ball rate
#: √(n/s) = 0.14 instead of 0.29; 200,000 × 100, κ = 1e6: 13 products with AᴴA instead of 27).
OVERSAMPLING = 50


def _sketch_pair(a: Any, b: Any, j0: int, j1: int, S: SketchingOperator) -> tuple[Any, Any]:
    return block_sketch(a, j0, j1, S), block_sketch(b, j0, j1, S)


def _gram(a: Any, j0: int, j1: int, w: Any) -> Any:
    return gram_product(a, w, array_module(a))


def _residual(a: Any, b: Any, j0: int, j1: int, x: Any) -> tuple[Any, Any]:
    xp = array_module(a)
    r, g = residual_pair(a, x, b, xp)
    return xp.linalg.norm(r, axis=0) ** 2, g


class RowChunked:
    """A row-chunked Dask matrix as the least-squares solvers see it.

    Provides the three products the sketched solvers need — ``sketch_pair``,
    ``gram_product`` and ``residual_norms`` (:mod:`sketch.lstsq_products`
    dispatches to them) — each one distributed pass returning small arrays on
    the client. ``passes`` counts them.
    """

    def __init__(self, A: Any):
        self.A = A
        self.shape = tuple(A.shape)
        self.dtype = np.dtype(A.dtype)
        self.ndim = 2
        self.xp = chunk_module(A)
        self.passes = 0

    def sketch_pair(self, S: SketchingOperator, b: Any) -> tuple[Any, Any]:
        """(S·A, S·b) in one pass; non-finite entries of A or b show up in them."""
        self.passes += 1
        SA, Sb = gather(row_sum(_sketch_pair, self.A, b, args=(S,)))[0]
        return finite_on_client(SA, "A"), finite_on_client(Sb, "b")

    def gram_product(self, w: Any) -> Any:
        """AᴴA·w (one pass)."""
        self.passes += 1
        return gather(row_sum(_gram, self.A, args=(w,)))[0]

    def residual_norms(self, x: Any, b: Any) -> tuple[Any, Any]:
        """(‖b − A x‖ per column, Aᴴ(b − A x)) in one pass."""
        self.passes += 1
        squares, g = gather(row_sum(_residual, self.A, b, args=(x,)))[0]
        return self.xp.sqrt(squares), g


def dask_operands(A: Any, b: Any, method: str | None, sketch: Any, sketch_size: int | None,
                  guarantee: str | None) -> tuple[RowChunked, Any, Any, Any, int | None]:
    """Validate Dask least-squares operands: (A as :class:`RowChunked`, b, xp, dtype, size).

    b may be a Dask or an in-memory array (it is chunked like A's rows). Both
    are cast to the working dtype and, for FOSSILS, persisted on the workers
    (sketch-and-solve reads them twice and holds nothing). ``size`` is
    the sketch size to use: the caller's, or FOSSILS' Dask default
    (:data:`OVERSAMPLING` rows per column, where that is at most a quarter of
    the rows).
    """
    if method is not None and method not in DASK_METHODS:
        raise ValueError(f"method={method!r} needs A in memory; on Dask arrays use one of "
                         f"{', '.join(DASK_METHODS)} (or dask.array.linalg.lstsq)")
    A = as_rows(A, "A")
    if A.ndim != 2:
        raise ShapeError(f"A must be 2-D, got shape {A.shape}")
    b = like_rows(b, A, "b")
    check_dtype(A.dtype, "A")
    check_dtype(b.dtype, "b")
    xp = array_module(A._meta, b._meta)  # raises for NumPy chunks mixed with CuPy chunks
    dtype = np.result_type(A.dtype, b.dtype)
    A, b = A.astype(dtype), b.astype(dtype)
    if method in (None, "fossils"):  # 10 to 30 passes: keep A and b in the workers' memory
        A, b = persist(A, b)
    m, n = A.shape
    if (sketch_size is None and method in (None, "fossils") and guarantee is None
            and not isinstance(sketch, SketchingOperator) and OVERSAMPLING * n <= m // 4):
        sketch_size = OVERSAMPLING * n
    return RowChunked(A), b, xp, dtype, sketch_size


def sketched_lstsq_dask(A: Any, b: Any, size: int, *, sketch: str = "countsketch",
                        seed: Any = None) -> Any:
    """Sketch-and-solve least squares on Dask: ``lstsq(A, b, "sketch-and-solve", ...).x``.

    Kept for existing callers; :func:`sketch.lstsq` with its default method is
    as accurate as an in-memory solve and is what to use.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((2000, 3)); x = np.array([1.0, -2.0, 0.5])
    >>> bsum = A @ x + 0.01 * rng.standard_normal(2000)
    >>> xh = sketched_lstsq_dask(da.from_array(A, chunks=500), da.from_array(bsum, chunks=500),
    ...                          200, seed=0)
    >>> bool(np.allclose(xh, x, atol=0.05))
    True
    """
    from ..lstsq import lstsq

    size = check_positive_int(size, "size")  # lstsq would name it sketch_size
    return lstsq(A, b, "sketch-and-solve", sketch=sketch, sketch_size=size, seed=seed).x
