"""Building coordinated sketches: priority and threshold samples, keyed JL and CountSketch.

Every party that sketches with the same seed draws the same hash hᵢ (sampled
sketches) or the same column of S (linear sketches) for the same key, so the
sketches combine (:mod:`sketch.coordinated.estimates`). The math is in
:mod:`sketch.coordinated`.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from ..backend import (
    array_module,
    backend_name,
    compat,
    device,
    is_sparse,
    numpy_dtype,
    real_dtype,
    sparse_from_csc,
    top_k_indices,
)
from ..budgets import check_allocation
from ..checks import check_positive_int
from ..operators import CountSketch, Gaussian
from ..rng import Key, as_key
from .sketches import (
    LinearSketch,
    SampledSketch,
    _as_matrix,
    _check_keys,
    _finish,
    _hashes,
    _priorities,
    _row_weights,
    _take_rows,
)

__all__ = ["priority_sample", "threshold_sample", "jl_sketch", "countsketch_sketch",
           "coordinated_sketch", "SAMPLED_METHODS", "LINEAR_METHODS"]

SAMPLED_METHODS = ("priority", "threshold")
LINEAR_METHODS = ("jl", "countsketch")


def _sample(A: Any, k: int, seed: Any, keys: Any, method: str, offset: int = 0, *,
            name: str = "k") -> SampledSketch:
    k = check_positive_int(k, name)
    A, vector = _as_matrix(A, "A")
    xp = compat(array_module(A))
    keys, keyed = _check_keys(keys, A.shape[0], A, offset)
    key = as_key(seed)
    w = _row_weights(A, xp)
    q = _priorities(w, _hashes(key, keys, xp), xp)
    total = float(xp.sum(w))
    nonzero = int(xp.count_nonzero(w > 0))
    if method == "threshold":
        tau = total / k if total > 0 else 0.0
        keep = (q >= tau) & (w > 0)
    elif nonzero <= k:
        tau, keep = 0.0, w > 0
    else:
        tau = float(xp.min(q[top_k_indices(q, k + 1)]))
        keep = (q > tau) & (w > 0)
    idx = xp.nonzero(keep)[0]
    sk = _finish(method, keys[idx], _take_rows(A, idx), tau, k, total, A.shape[0], A.shape[1],
                 key.fingerprint, keyed, vector)
    sk._key = key
    return sk


def priority_sample(A: Any, k: int, seed: Any = None, *, keys: Any = None) -> SampledSketch:
    """Priority sample of the rows of A (Duffield–Lund–Thorup 2007; Daliri et al. 2025).

    Keeps the k rows of largest priority ‖aᵢ‖²/hᵢ, hᵢ the key's shared uniform.

    Parameters
    ----------
    A : (n, d) array, sparse matrix, or (n,) vector
        NumPy or CuPy; the sketch lives on the same device.
    k : int
        Number of rows kept (≥ 1).
    seed : None, int, Generator or Key
        Shared by every party whose sketches will be combined.
    keys : (n,) integer array, optional
        Distinct row keys (default: row positions 0..n-1).

    Returns
    -------
    SampledSketch

    Examples
    --------
    >>> import numpy as np
    >>> S = priority_sample(np.arange(1.0, 11.0), 3, seed=0)
    >>> len(S), S.vector
    (3, True)
    """
    return _sample(A, k, seed, keys, "priority")


def threshold_sample(A: Any, k: int, seed: Any = None, *, keys: Any = None) -> SampledSketch:
    """Threshold sample of the rows of A (Daliri et al. 2024, 2025).

    Keeps row i iff hᵢ ≤ k‖aᵢ‖²/‖A‖²_F, so the expected number of rows is at
    most k and sketches of partitions merge exactly.

    Parameters
    ----------
    A, seed, keys
        As for :func:`priority_sample`.
    k : int
        Expected sample size bound (≥ 1).

    Returns
    -------
    SampledSketch

    Examples
    --------
    >>> import numpy as np
    >>> S = threshold_sample(np.ones((1000, 2)), 50, seed=0)
    >>> 30 < len(S) < 70
    True
    """
    return _sample(A, k, seed, keys, "threshold")


# --------------------------------------------------------------------------
# linear baselines
# --------------------------------------------------------------------------
def _keyed_block(method: str, key: Key, r: int, keys: Any, xp: ModuleType, dtype: Any) -> Any:
    """Columns of the r × (key space) sketching matrix at the given keys.

    Generated exactly as :class:`sketch.operators.Gaussian` and
    :class:`~sketch.operators.CountSketch` generate column j, so with keys
    0..n-1 the sketch equals ``Gaussian(r, n, seed) @ A``.
    """
    j, dev = keys, device(keys)  # int64 keys: the counters' bits are those of uint64 ones
    if method == "jl":
        opkey = key.child(Gaussian.__name__)
        counter = j[None, :] * r + xp.arange(r, dtype=xp.int64, device=dev)[:, None]
        return xp.astype(opkey.normal(counter, xp), dtype) * (1.0 / math.sqrt(r))
    opkey = key.child(CountSketch.__name__)
    rows = xp.astype(opkey.child("rows").integers(j, r, xp), xp.int32)
    vals = xp.astype(opkey.child("signs").signs(j, xp), dtype)
    indptr = xp.arange(j.shape[0] + 1, dtype=xp.int32, device=dev)
    return sparse_from_csc(vals, rows, indptr, (r, j.shape[0]))


def _linear(A: Any, r: int, seed: Any, keys: Any, method: str, offset: int = 0, *,
            name: str = "r") -> LinearSketch:
    r = check_positive_int(r, name)
    A, vector = _as_matrix(A, "A")
    xp = compat(array_module(A))
    keys, keyed = _check_keys(keys, A.shape[0], A, offset)
    key = as_key(seed)
    # torch multiplies no real S into a complex A: S is made in A's dtype there (same values)
    sdt = A.dtype if backend_name(A) == "torch" else real_dtype(xp, A.dtype)
    # The r × d result and one partial sum, plus the keyed counters of one S block.
    check_allocation(r * (2 * A.shape[1] * numpy_dtype(A.dtype).itemsize + 48),
                     f"a {method} sketch with {name}={r} rows of {A.shape[1]} columns", xp=xp,
                     device=device(A), fix="choose a smaller sketch size")
    out = None
    step = max(1, (1 << 22) // r) if method == "jl" else 1 << 24  # bounds the temporary S block
    for i0 in range(0, A.shape[0], step):
        i1 = min(A.shape[0], i0 + step)
        S = _keyed_block(method, key, r, keys[i0:i1], xp, sdt)
        block = A[i0:i1]
        if is_sparse(block):
            part = (block.T @ S.T).T if not is_sparse(S) else (S @ block).toarray()
        else:
            part = S @ block
        out = part if out is None else out + part
    data = xp.astype(xp.asarray(out), A.dtype, copy=False)
    return LinearSketch(method, data, n_rows=A.shape[0], n_cols=A.shape[1],
                        fingerprint=key.fingerprint, keyed=keyed, vector=vector)


def jl_sketch(A: Any, r: int, seed: Any = None, *, keys: Any = None) -> LinearSketch:
    """Gaussian (Johnson–Lindenstrauss) sketch SA with r rows, columns of S keyed by row key.

    Parameters
    ----------
    A, seed, keys
        As for :func:`priority_sample`.
    r : int
        Sketch rows; storage r·d words.

    Examples
    --------
    >>> import numpy as np
    >>> from sketch.operators import Gaussian
    >>> A = np.random.default_rng(0).standard_normal((50, 3))
    >>> bool(np.allclose(jl_sketch(A, 8, seed=1).data, Gaussian(8, 50, seed=1) @ A))
    True
    """
    return _linear(A, r, seed, keys, "jl")


def countsketch_sketch(A: Any, r: int, seed: Any = None, *, keys: Any = None) -> LinearSketch:
    """CountSketch SA with r buckets, each key hashed to one bucket with a sign.

    Parameters
    ----------
    A, seed, keys
        As for :func:`priority_sample`.
    r : int
        Buckets; storage r·d words.

    Examples
    --------
    >>> import numpy as np
    >>> from sketch.operators import CountSketch
    >>> A = np.random.default_rng(0).standard_normal((50, 3))
    >>> bool(np.allclose(countsketch_sketch(A, 8, seed=1).data, CountSketch(8, 50, seed=1) @ A))
    True
    """
    return _linear(A, r, seed, keys, "countsketch")


def coordinated_sketch(A: Any, method: str, size: int, seed: Any = None, *,
                       keys: Any = None) -> SampledSketch | LinearSketch:
    """Any of the four sketches by name: ``priority``, ``threshold``, ``jl``, ``countsketch``.

    ``size`` is k (rows sampled) for sampled sketches and r (rows of S) for linear ones.

    Examples
    --------
    >>> import numpy as np
    >>> coordinated_sketch(np.ones((20, 2)), "jl", 4, seed=0).data.shape
    (4, 2)
    """
    if method in SAMPLED_METHODS:
        return _sample(A, size, seed, keys, method, name="size")
    if method in LINEAR_METHODS:
        return _linear(A, size, seed, keys, method, name="size")
    raise ValueError(f"unknown method {method!r}; choose one of "
                     f"{', '.join(SAMPLED_METHODS + LINEAR_METHODS)}")
