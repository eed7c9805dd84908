"""Sketches of row-chunked ``dask.array`` matrices, computed where the blocks live.

A sketching operator S (s × m) applied to A = [A₁; A₂; …] (row blocks starting
at global rows o₁, o₂, …) satisfies S A = Σ_b S[:, o_b : o_b + n_b] A_b, and the
block S[:, o_b : o_b + n_b] is generated on the worker from the keyed
counter-based stream (:mod:`sketch.rng`) knowing only the block's offset, so no
part of S or A travels: each block gives an s × d partial sketch and they are
summed in block order (:func:`sketch.distributed.rows.row_sum`). Chunks may be
NumPy or CuPy arrays (the block's own device is used).

Coordinated sketches (:mod:`sketch.coordinated`) are built partition by
partition and merged in a tree: priority and threshold samples of disjoint
key sets merge exactly (the result equals the in-memory sketch), linear
baselines by addition.

dask is optional: ``pip install "qla[dask]"``.

Examples
--------
>>> import numpy as np
>>> import dask.array as da
>>> from sketch.operators import Gaussian
>>> A = np.random.default_rng(0).standard_normal((1000, 4))
>>> X = da.from_array(A, chunks=(300, 4))
>>> S = Gaussian(20, 1000, seed=1)
>>> bool(np.allclose(sketch_dask(S, X).compute(), S @ A))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import array_module
from ..budgets import check_allocation
from ..checks import check_dtype, check_finite, check_positive_int
from ..coordinated import LINEAR_METHODS, SAMPLED_METHODS, LinearSketch, SampledSketch
from ..coordinated.sampling import _linear, _sample
from ..errors import ShapeError
from ..operators import SketchingOperator, _product, make_operator
from ..rng import as_key
from .rows import as_rows, chunk_module, dask_modules, finite_on_client, offsets, row_sum

__all__ = ["sketch_dask", "coordinated_sketch_dask"]


def block_sketch(x: Any, j0: int, j1: int, op: SketchingOperator) -> Any:
    """S[:, j0:j1] @ x for the block x of rows j0:j1, on the block's device."""
    xp = array_module(x)
    vector = x.ndim == 1
    x2 = x.reshape(-1, 1) if vector else x
    rdt = np.finfo(np.dtype(x2.dtype)).dtype
    # Private on purpose: S[:, j0:j1] from the keyed stream, without the rest of S.
    Sb = op._columns(j0, j1, xp, rdt)
    out = xp.asarray(_product(Sb, x2)).astype(x2.dtype, copy=False)
    return out[:, 0] if vector else out


def check_sketch(S: SketchingOperator | str, m: int, size: int | None, seed: Any):
    """The operator for a Dask matrix with m rows (built from its name if needed)."""
    if isinstance(S, str):
        if size is None:
            raise ValueError("give size= when the sketch is named")
        S = make_operator(S, size, m, seed)
    if not isinstance(S, SketchingOperator):
        raise TypeError(f"S must be a SketchingOperator or an operator name, got "
                        f"{type(S).__name__}")
    if S.m != m:
        raise ShapeError(f"the sketch has m={S.m} but X has {m} rows")
    return S


def sketch_dask(S: SketchingOperator | str, X: Any, size: int | None = None,
                seed: Any = None) -> Any:
    """S @ X for a dask array X chunked by rows, as a lazy dask array.

    Parameters
    ----------
    S : SketchingOperator or str
        An operator with m = X.shape[0], or an operator name for
        :func:`sketch.operators.make_operator` (then give ``size`` and ``seed``).
    X : dask.array.Array
        m × d (or length m), rows chunked any way; NumPy or CuPy chunks.
    size : int, optional
        Sketch size when ``S`` is a name.
    seed
        Randomness when ``S`` is a name.

    Returns
    -------
    dask.array.Array
        s × d (or length s); ``.compute()`` it. Equal to ``S @ X.compute()``:
        bitwise when every chunk is one of the column blocks in which the
        in-memory product generates S (always for a single chunk), otherwise
        to rounding (the partial sketches are summed in block order).

    Notes
    -----
    Gaussian, sign, CountSketch and sparse-sign blocks cost what the block's
    share of S costs. An SRHT mixes all rows, so generating one column block of
    it costs a transform of length m per column: prefer the others on dask.
    """
    X = as_rows(X, "X")
    check_dtype(X.dtype, "X")
    S = check_sketch(S, X.shape[0], size, seed)
    d = X.shape[1] if X.ndim == 2 else 1
    # the in-memory S @ A rule, before the graph: the s × d result lands on the client
    check_allocation(S._workspace_bytes(d, X.dtype.itemsize),
                     f"{type(S).__name__}(s={S.s}, m={S.m}) applied to {d} columns",
                     xp=chunk_module(X), fix="use a smaller size (a few times the number of "
                                             "columns is typical)")
    return sketched_rows(S, X, "X")


def sketched_rows(S: SketchingOperator, X: Any, name: str) -> Any:
    """S @ X, lazily, for a checked row-chunked X; refuses, by ``name``, NaN or infinity in X
    when computed (they reach every product with X, so the s × d result shows them)."""
    dask, da = dask_modules()
    shape = (S.s,) + X.shape[1:]
    meta = chunk_module(X).empty((0,) * X.ndim, dtype=X.dtype)
    out = dask.delayed(finite_on_client)(row_sum(block_sketch, X, args=(S,)), name)
    return da.from_delayed(out, shape, dtype=X.dtype, meta=meta)


def _partial(block: Any, keys: Any, method: str, size: int, key: Any, offset: int) -> Any:
    check_finite(block, "X")  # the in-memory sketches below would name it A
    if method in SAMPLED_METHODS:
        return _sample(block, size, key, keys, method, offset)
    return _linear(block, size, key, keys, method, offset)


def _merge(a: Any, b: Any) -> Any:
    return a.merge(b)


def coordinated_sketch_dask(X: Any, method: str, size: int, seed: Any = None, *,
                            keys: Any = None, compute: bool = True) -> Any:
    """A coordinated sketch of a row-chunked dask array, partition by partition.

    Each partition is sketched where it lives (default keys: global row
    positions, from the partition's offset) and the partial sketches are merged
    in a tree. The result equals :func:`sketch.coordinated.coordinated_sketch`
    of the whole matrix with the same seed.

    Parameters
    ----------
    X : dask.array.Array
        n × d (or length n), rows chunked.
    method : str
        ``priority``, ``threshold``, ``jl`` or ``countsketch``.
    size : int
        k or r.
    seed
        Shared seed (an int, for parties that sketch separately).
    keys : dask or NumPy/CuPy array of n distinct integers, optional
        Row keys; rechunked like X's rows.
    compute : bool
        Return the sketch (True) or a ``dask.delayed`` object (False).

    Returns
    -------
    SampledSketch or LinearSketch

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from sketch.coordinated import priority_sample
    >>> A = np.random.default_rng(0).standard_normal((400, 3))
    >>> S = coordinated_sketch_dask(da.from_array(A, chunks=100), "priority", 30, seed=5)
    >>> bool(np.array_equal(S.keys, priority_sample(A, 30, seed=5).keys))
    True
    """
    dask, da = dask_modules()
    if method not in SAMPLED_METHODS + LINEAR_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of "
                         f"{', '.join(SAMPLED_METHODS + LINEAR_METHODS)}")
    X = as_rows(X, "X")
    check_dtype(X.dtype, "X")  # the partitions' checks would name it A
    size = check_positive_int(size, "size")  # before the graph: a lazy sketch would hide it
    key = as_key(seed)
    blocks = X.to_delayed().ravel()
    starts = offsets(X.chunks[0])
    if keys is None:
        key_blocks = [None] * len(blocks)
    else:
        if isinstance(keys, da.Array):
            if keys.shape != (X.shape[0],):
                raise ShapeError(f"there are {keys.shape} keys for {X.shape[0]} rows")
            key_blocks = keys.rechunk((X.chunks[0],)).to_delayed().ravel()
        else:
            if getattr(keys, "shape", (len(keys),))[0] != X.shape[0]:
                raise ShapeError(f"there are {len(keys)} keys for {X.shape[0]} rows")
            key_blocks = [keys[o: o + n] for o, n in zip(starts, X.chunks[0])]
    parts = [dask.delayed(_partial)(b, kb, method, size, key, o)
             for b, kb, o in zip(blocks, key_blocks, starts)]
    while len(parts) > 1:  # a balanced tree keeps the merge depth at log2(blocks)
        nxt = [dask.delayed(_merge)(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    result = parts[0]
    if not compute:
        return result
    out: SampledSketch | LinearSketch = result.compute()
    return out
