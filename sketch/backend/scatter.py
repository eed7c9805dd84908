"""Scatter-add, counts, top-k and sparse matrices, on every backend.

Part of :mod:`sketch.backend` (import from there). NumPy → SciPy sparse, CuPy →
cupyx.scipy.sparse, torch → torch.sparse.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from .arrays import (
    _torch,
    array_module,
    backend_name,
    is_sparse,
    is_torch,
    is_torch_namespace,
    numpy_dtype,
    sparse,
    to_dense,
)


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
