"""Row-chunked Dask arrays: validation, one distributed pass per reduction, TSQR.

A pass over a row-chunked matrix A = [A₁; A₂; …] runs a function on every
block where the block lives and sums the small results (n × k each) in block
order — a left fold, so the result does not depend on which worker finished
first. Only the sum reaches the client.

Examples
--------
>>> import numpy as np
>>> import dask.array as da
>>> A = np.arange(12.0).reshape(6, 2)
>>> X = as_rows(da.from_array(A, chunks=(4, 1)), "A")
>>> X.chunks
((4, 2), (2,))
>>> import dask
>>> total = dask.compute(row_sum(lambda a, j0, j1: a.T @ a, X))[0]
>>> bool(np.array_equal(total, A[:4].T @ A[:4] + A[4:].T @ A[4:]))
True
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..backend import array_module, is_dask
from ..errors import NonFiniteError, ShapeError, require


def dask_modules() -> tuple[Any, Any]:
    """(dask, dask.array), or an error naming the ``dask`` extra."""
    return (require("dask", "dask", "work on dask arrays"),
            require("dask.array", "dask", "work on dask arrays"))


def as_rows(X: Any, name: str) -> Any:
    """X as a Dask array whose chunks span all columns (rows are the unit of work)."""
    _, da = dask_modules()
    if not isinstance(X, da.Array):
        raise TypeError(f"{name} must be a dask.array.Array, got {type(X).__name__}")
    if X.ndim not in (1, 2):
        raise ShapeError(f"{name} must be 1-D or 2-D, got shape {X.shape}")
    if X.ndim == 2 and X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ShapeError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes()")
    if X.shape[0] == 0 or (X.ndim == 2 and X.shape[1] == 0):
        raise ShapeError(f"{name} is empty (shape {X.shape})")
    return X


def finite_on_client(out: Any, name: str) -> Any:
    """``out`` (a sketch or product of ``name`` that reached the client) if it is finite.

    NaN or infinity in a Dask matrix show up in every product with it, so they are caught
    here instead of in a pass of their own.
    """
    if not bool(array_module(out).isfinite(out).all()):
        raise NonFiniteError(f"{name} holds NaN or infinity (or entries so large that a product "
                             f"with it overflows), found in a pass over it; clean {name}, e.g. "
                             f"with {name}[~dask.array.isfinite({name})] = 0")
    return out


def like_rows(Y: Any, X: Any, name: str) -> Any:
    """Y (a Dask or in-memory array with X's rows) chunked like X's rows."""
    _, da = dask_modules()
    if getattr(Y, "ndim", None) not in (1, 2):
        raise ShapeError(f"{name} must be 1-D or 2-D, got shape {getattr(Y, 'shape', None)}")
    if Y.shape[0] != X.shape[0]:
        raise ShapeError(f"{name} has {Y.shape[0]} rows but the matrix has {X.shape[0]}; "
                         "they must match")
    if not is_dask(Y):
        Y = da.from_array(Y, chunks=(X.chunks[0],) + tuple((c,) for c in Y.shape[1:]),
                          asarray=False)
    Y = as_rows(Y, name)
    return Y.rechunk((X.chunks[0],) + Y.chunks[1:])


def chunk_module(X: Any) -> Any:
    """NumPy or CuPy: the library of X's chunks (from its meta array)."""
    return array_module(getattr(X, "_meta", np.empty(0)))


def offsets(chunks: tuple[int, ...]) -> list[int]:
    """Global row offset of each chunk."""
    return [int(v) for v in np.concatenate([[0], np.cumsum(chunks)[:-1]])]


def _add(x: Any, y: Any) -> Any:
    return tuple(map(operator.add, x, y)) if isinstance(x, tuple) else x + y


def fold(parts: list[Any]) -> Any:
    """Σ parts in list order (tuples elementwise), as one ``dask.delayed`` value (a left fold)."""
    dask, _ = dask_modules()
    add = dask.delayed(_add, pure=True)
    total = parts[0]
    for part in parts[1:]:
        total = add(total, part)
    return total


def row_sum(func: Any, *arrays: Any, args: tuple = ()) -> Any:
    """Σ_b func(block_b of each array, j0, j1, *args) over the row chunks, lazily.

    The arrays share their row chunks (see :func:`like_rows`); ``j0:j1`` are
    the block's global rows. Returns a ``dask.delayed`` value; every block is
    read once, so computing it is one pass.
    """
    dask, _ = dask_modules()
    blocks = [X.to_delayed().ravel() for X in arrays]
    task = dask.delayed(func, pure=True)
    parts = [task(*bs, j0, j0 + n, *args)
             for *bs, j0, n in zip(*blocks, offsets(arrays[0].chunks[0]), arrays[0].chunks[0])]
    return fold(parts)


def gather(*values: Any) -> tuple[Any, ...]:
    """Compute delayed values (one graph, so one pass for all) and bring them to the client."""
    dask, _ = dask_modules()
    return dask.compute(*values)


def persist(*arrays: Any) -> tuple[Any, ...]:
    """Keep arrays in the workers' memory (every iteration reads them again)."""
    dask, _ = dask_modules()
    return dask.persist(*arrays)


def tsqr(Y: Any) -> tuple[Any, Any]:
    """Thin QR of a tall row-chunked Y: Q row-chunked like Y (persisted), R on the client.

    Direct TSQR (Benson, Gleich and Demmel 2013; Demmel et al. 2012 for the
    tree): Householder QR of every block, QR of the stacked R factors, Q
    assembled blockwise — backward stable, and only the small R factors move.
    """
    _, da = dask_modules()
    Q, R = da.linalg.tsqr(Y)
    Q, R = persist(Q, R)
    return Q, gather(R)[0]
