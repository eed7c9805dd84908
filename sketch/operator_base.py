"""The interface every sketching operator shares: ``S @ A``, ``A @ S.T``, ``S.T @ Y``.

:class:`SketchingOperator` checks the input (shape, dtype, NaN/inf, the memory
the result needs), dispatches NumPy/SciPy inputs to the host kernels of
:mod:`sketch.kernels` and other backends (CuPy, torch) to a blockwise product,
and keeps the result on the input's library and device. The operators
themselves (their laws and papers) are in :mod:`sketch.operators`.

Examples
--------
>>> import numpy as np
>>> from sketch.operators import CountSketch
>>> S = CountSketch(4, 10, seed=0)
>>> isinstance(S, SketchingOperator), S.T.shape
(True, (10, 4))
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from .backend import (
    array_module,
    asarray,
    backend_name,
    device,
    is_operator,
    is_sparse,
    library_dtype,
    namespace,
    numpy_dtype,
    to_dense,
)
from .budgets import check_allocation
from .checks import all_finite, check_array, check_dtype, check_finite, check_positive_int
from .errors import ShapeError
from .rng import Key, as_key

# Entries of S generated per block (bounds the temporary memory to ~32 MB).
_BLOCK_ENTRIES = 1 << 22


def _real_dtype(dtype: Any) -> np.dtype:
    return np.finfo(numpy_dtype(dtype)).dtype


def _product(S: Any, A: Any) -> Any:
    """Dense ``S @ A`` for any mix of dense and sparse operands."""
    if is_sparse(A):
        if is_sparse(S):
            return (S @ A).toarray()
        return (A.T @ S.T).T
    return S @ A


def _operand_ndim(A: Any, name: str) -> int:
    """The ndim of a dense or sparse operand, refusing non-arrays and anything not 1-D/2-D."""
    check_array(A, name)
    if A.ndim not in (1, 2):
        raise ShapeError(f"a sketch applies to 1-D or 2-D arrays, but {name} has shape {A.shape}")
    return A.ndim


def _astype(x: Any, dtype: Any) -> Any:
    """``x`` in ``dtype`` (no copy when it already is), for NumPy, CuPy and torch alike."""
    return namespace(x).astype(x, dtype, copy=False)


def _stream_module(xp: ModuleType) -> ModuleType:
    """Where an SRHT's row sample is drawn for arrays of ``xp``: on the device for CuPy, on
    the host for torch (its int64 words would sort in another order than unsigned ones)."""
    return np if backend_name(xp) == "torch" else xp


def _draws_on_host(like: Any) -> bool:
    """Whether blocks of S for ``like`` (a torch tensor) are drawn by NumPy: on the CPU its
    compiled stream is the faster one and torch shares the result without a copy; on a GPU
    torch draws them on the tensor's device (the same bits; Gaussians to rounding)."""
    return like.device.type == "cpu"


class SketchingOperator:
    """Base class: a random s × m matrix, generated from a key on demand.

    Subclasses implement :meth:`_columns` (the block ``S[:, j0:j1]``, dense or
    sparse) and the host kernel :meth:`_apply_host` (:mod:`sketch.kernels`);
    other backends use the blockwise product of :meth:`_apply_blocks`.

    Parameters
    ----------
    s : int
        Sketch size (number of rows of S).
    m : int
        Ambient dimension (number of rows of the matrices it is applied to).
    seed : None, int, Generator or Key
        Randomness; the same seed gives the same operator on every backend.
    """

    __array_ufunc__ = None  # so that ``ndarray @ S`` defers to us

    #: Whether the operator is dense (entries everywhere); dense sketches give
    #: ℓ∞ guarantees in regression, sparse ones provably cannot.
    dense: bool = True

    def __init__(self, s: int, m: int, seed: Any = None):
        self.s = check_positive_int(s, "sketch size s")
        self.m = check_positive_int(m, "dimension m")
        self.key: Key = as_key(seed).child(type(self).__name__)

    # -- interface -------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return (self.s, self.m)

    @property
    def T(self) -> _Transposed:
        """The transpose Sᵀ, for ``A @ S.T`` and ``S.T @ Y``."""
        return _Transposed(self)

    @property
    def fingerprint(self) -> str:
        """Identifies the operator's randomness (not the seed itself)."""
        return self.key.fingerprint

    def __repr__(self) -> str:
        return f"{type(self).__name__}(s={self.s}, m={self.m}, key={self.fingerprint[:8]})"

    def __matmul__(self, A: Any) -> Any:
        """``S @ A`` for A with m rows (dense, sparse, LinearOperator or vector)."""
        if is_operator(A):
            return self._apply_operator(A)
        vector = _operand_ndim(A, "the sketched matrix") == 1
        A2 = self._check(A.reshape(-1, 1) if vector else A, rows=True)
        out = self._checked(self._apply(A2), A2)
        return out[:, 0] if vector else out

    def to_dense(self, xp: ModuleType = np, dtype: Any = np.float64, device: Any = None) -> Any:
        """The explicit s × m matrix of library ``xp`` (for small sizes and tests).

        For torch, ``device`` places it (a ``torch.device``; default the CPU): its
        entries come from the host stream, as in every torch product.
        """
        dt = numpy_dtype(dtype)
        check_allocation(self.s * self.m * dt.itemsize,
                         f"{type(self).__name__}(s={self.s}, m={self.m}).to_dense()", xp=xp,
                         device=device,
                         fix="apply the operator instead (S @ A) or use a smaller sketch size s")
        block = to_dense(self._columns(0, self.m, _stream_module(xp), _real_dtype(dt)))
        if backend_name(xp) == "torch":
            return _astype(asarray(block.astype(dt, copy=False), xp=xp, device=device),
                           library_dtype(xp, dt))
        return block.astype(dt, copy=False)

    # -- machinery -------------------------------------------------------
    def _check(self, A: Any, *, rows: bool) -> Any:
        dim = A.shape[0] if rows else A.shape[1]
        if A.ndim != 2:
            raise ShapeError(f"a sketch applies to 1-D or 2-D arrays, got shape {A.shape}")
        if min(A.shape) == 0:
            raise ShapeError(f"cannot sketch an empty matrix of shape {A.shape}; it needs at "
                             f"least one row and one column")
        if dim != self.m:
            side = "rows" if rows else "columns"
            raise ShapeError(
                f"{type(self).__name__} has m={self.m} but the matrix has {dim} {side} "
                f"(shape {A.shape}); build the sketch with m={dim}"
            )
        check_dtype(A.dtype, "the sketched matrix")
        if not self._scan_later(A):
            check_finite(A, "the sketched matrix")
        n = A.shape[1] if rows else A.shape[0]
        need = self._workspace_bytes(n, numpy_dtype(A.dtype).itemsize)
        check_allocation(need, f"{type(self).__name__}(s={self.s}, m={self.m}) applied to "
                               f"{n} columns", xp=array_module(A), device=device(A),
                         fix="use a smaller sketch size s (a few times the number of columns "
                             "is typical)")
        return A

    @staticmethod
    def _scan_later(A: Any) -> bool:
        # A dense host array is scanned for NaN/inf through the result instead (below).
        return isinstance(A, np.ndarray)

    def _checked(self, out: Any, A: Any) -> Any:
        """``out = S @ A`` after the NaN/inf check of a dense host ``A``.

        Every entry of A reaches some entry of the result with a nonzero weight,
        so a NaN or infinity in A makes the result non-finite: scanning the small
        result (and A only then, to tell overflow from bad input) spares a pass
        over A.
        """
        if self._scan_later(A) and not all_finite(out):
            check_finite(A, "the sketched matrix")
        return out

    def _workspace_bytes(self, n: int, itemsize: int) -> float:
        """Peak bytes of ``S @ A`` for A with n columns: the result and the kernel's buffers."""
        return 2.0 * self.s * n * itemsize

    def _block_rows(self) -> int:
        return max(1, _BLOCK_ENTRIES // self.s)

    def _columns(self, j0: int, j1: int, xp: ModuleType, dtype: Any, device: Any = None) -> Any:
        """The block ``S[:, j0:j1]`` made by ``xp`` (on ``device``), in ``dtype``."""
        raise NotImplementedError

    def _apply(self, A: Any) -> Any:
        if backend_name(A) != "numpy":
            return self._apply_blocks(A)
        if is_sparse(A):
            return self._apply_host_sparse(A)
        if A.dtype.kind == "c":  # real S: apply it to the real and imaginary parts at once
            rdt = _real_dtype(A.dtype)
            Ar = np.ascontiguousarray(A).view(rdt)
            return np.ascontiguousarray(self._apply_host(Ar)).view(A.dtype)
        return self._apply_host(A)

    def _apply_host(self, A: np.ndarray) -> np.ndarray:
        return self._apply_blocks(A)

    def _apply_host_sparse(self, A: Any) -> np.ndarray:
        return self._apply_blocks(A)

    def _block(self, j0: int, j1: int, like: Any, dtype: Any) -> Any:
        """``S[:, j0:j1]`` generated on ``like``'s library and device (dense for torch)."""
        xp = array_module(like)
        if backend_name(xp) != "torch":
            return self._columns(j0, j1, xp, dtype)
        if _draws_on_host(like):
            return asarray(to_dense(self._columns(j0, j1, np, dtype)), like=like)
        return to_dense(self._columns(j0, j1, xp, dtype, device=device(like)))

    def _apply_blocks(self, A: Any) -> Any:
        """``S @ A`` as a sum over blocks of S's columns (every backend)."""
        xp = array_module(A)
        rdt = _real_dtype(A.dtype)
        if is_sparse(A) and backend_name(A) != "torch" and A.format != "csr":
            A = A.tocsr()
        if backend_name(A) == "torch":
            A = to_dense(A)
        out = None
        step = self._block_rows()
        for j0 in range(0, self.m, step):
            j1 = min(self.m, j0 + step)
            block = self._block(j0, j1, A, rdt)
            if backend_name(A) == "torch":
                block = _astype(block, A.dtype)
            part = _product(block, A[j0:j1])
            out = part if out is None else out + part
        return _astype(xp.asarray(out), A.dtype)

    def _apply_transpose(self, Y: Any) -> Any:
        rdt = _real_dtype(Y.dtype)
        step = self._block_rows()
        parts = []
        for j0 in range(0, self.m, step):
            block = self._block(j0, min(self.m, j0 + step), Y, rdt)
            if backend_name(Y) == "torch":
                block = _astype(block, Y.dtype)
            parts.append(_product(block.T, Y))
        return _astype(namespace(parts[0]).concat(parts, axis=0), Y.dtype)

    def _apply_operator(self, A: Any) -> Any:
        # S A = conj(A^H S^T)^T for real S; rows of S A come in blocks of S^T's columns.
        if A.shape[0] != self.m:
            raise ShapeError(f"{type(self).__name__} has m={self.m} but the operator has "
                             f"{A.shape[0]} rows")
        dtype = np.dtype(A.dtype) if A.dtype is not None else np.dtype(np.float64)
        check_dtype(dtype, "the sketched operator")
        check_allocation(self.s * (A.shape[1] + self.m) * dtype.itemsize,
                         f"{type(self).__name__}(s={self.s}, m={self.m}) applied to an operator",
                         fix="use a smaller sketch size s")
        step = max(1, _BLOCK_ENTRIES // self.m)
        rows = []
        for i0 in range(0, self.s, step):
            i1 = min(self.s, i0 + step)
            E = np.zeros((self.s, i1 - i0), dtype=_real_dtype(dtype))
            E[np.arange(i0, i1), np.arange(i1 - i0)] = 1.0
            St = self._apply_transpose(E)  # columns i0..i1 of S^T, m × b
            rows.append(np.conj(A.rmatmat(St.astype(dtype))).T)
        return np.concatenate(rows, axis=0).astype(dtype, copy=False)


class _Transposed:
    """Sᵀ as an operator: ``A @ S.T`` and ``S.T @ Y``."""

    __array_ufunc__ = None  # so that ``ndarray @ S.T`` calls __rmatmul__

    def __init__(self, op: SketchingOperator):
        self.op = op

    @property
    def shape(self) -> tuple[int, int]:
        return (self.op.m, self.op.s)

    @property
    def T(self) -> SketchingOperator:
        return self.op

    def __rmatmul__(self, A: Any) -> Any:
        """``A @ S.T = (S @ A.T).T`` for A with m columns."""
        if is_operator(A):
            return (self.op @ A.transpose()).T
        vector = _operand_ndim(A, "the sketched matrix") == 1
        A2 = A.reshape(1, -1) if vector else A
        self.op._check(A2, rows=False)
        out = self.op._checked(self.op._apply(A2.T), A2).T
        return out[0] if vector else out

    def __matmul__(self, Y: Any) -> Any:
        """``S.T @ Y`` for Y with s rows (the adjoint sketch)."""
        vector = _operand_ndim(Y, "Y") == 1
        Y2 = Y.reshape(-1, 1) if vector else Y
        if Y2.shape[0] != self.op.s:
            raise ShapeError(f"S.T @ Y needs Y with s={self.op.s} rows, got shape {Y.shape}")
        check_dtype(Y2.dtype, "Y")
        out = self.op._apply_transpose(Y2)
        return out[:, 0] if vector else out

    def to_dense(self, xp: ModuleType = np, dtype: Any = np.float64, device: Any = None) -> Any:
        return self.op.to_dense(xp, dtype, device).T
