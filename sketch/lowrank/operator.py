"""Products ``A X`` and ``A^H Y`` for dense, sparse and LinearOperator ``A``, counted as passes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import (
    array_module,
    astype,
    device,
    is_dask,
    is_operator,
    is_sparse,
    namespace,
    numpy_dtype,
    sparse_values_astype,
)
from ..budgets import check_allocation
from ..checks import check_hermitian, check_matrix, check_square


def eye_like(n: int, like: Any) -> Any:
    """The n × n identity in ``like``'s library, dtype and device."""
    return namespace(like).eye(n, dtype=like.dtype, device=device(like))


class _Operator:
    """The one view of ``A`` the low-rank routines use: products, counted."""

    def __new__(cls, A: Any, name: str = "A"):
        if is_dask(A):  # row-chunked Dask arrays: passes on the workers (sketch.distributed)
            from ..distributed.lowrank import DaskOperator

            cls = DaskOperator
        return super().__new__(cls)

    def __init__(self, A: Any, name: str = "A"):
        check_matrix(A, name, operator=True)
        self.A = A
        self.shape = tuple(A.shape)
        self.xp = array_module(A)
        self.kind = "operator" if is_operator(A) else "sparse" if is_sparse(A) else "dense"
        self.device = None if self.kind == "operator" else device(A)  # where test matrices go
        self.dtype = numpy_dtype(A.dtype) if A.dtype is not None else np.dtype(np.float64)
        self.complex = self.dtype.kind == "c"
        self.real_dtype = np.finfo(self.dtype).dtype
        self.passes = 0
        self.work = A  # what the products use: A, or its single-precision copy

    @property
    def work_dtype(self) -> np.dtype:
        return numpy_dtype(self.work.dtype) if self.work.dtype is not None else self.dtype

    def lower_precision(self) -> bool:
        """Run the next passes on a single-precision copy of a double-precision A.

        Returns whether it did (only dense or sparse float64/complex128 input, and only
        when the copy fits in memory: half of a dense A; of a CSR/CSC A the values only,
        the copy sharing A's index arrays (:func:`~sketch.backend.sparse_values_astype`;
        SciPy's ``astype`` copied, and on the benchmark's term matrix sorted, the indices
        too: 10 ms against 1 ms), whose products then move about half the bytes).
        """
        if self.kind not in ("dense", "sparse") or self.dtype not in (np.float64, np.complex128):
            return False
        low = np.float32 if self.dtype == np.float64 else np.complex64
        nnz = getattr(self.A, "nnz", None)  # SciPy / CuPy sparse; sparse tensors stay as given
        if self.kind == "sparse" and nnz is None:
            return False
        shared = self.kind == "sparse" and getattr(self.A, "format", None) in ("csr", "csc")
        size = math.prod(self.shape) if self.kind == "dense" else nnz if shared else 2 * nnz
        try:
            check_allocation(size * np.dtype(low).itemsize, "a float32 copy of A", xp=self.xp)
        except MemoryError:
            return False
        self.work = sparse_values_astype(self.A, low) if shared else astype(self.A, low)
        return True

    def full_precision(self) -> None:
        self.work = self.A

    def mm(self, X: Any) -> Any:
        """``A X`` in the passes' precision (``work_dtype``)."""
        self.passes += 1
        if self.kind == "operator":
            return np.asarray(self.A.matmat(X))
        X = astype(X, self.work_dtype)
        if self.kind == "dense":
            # (Xᵀ Aᵀ)ᵀ: the same GEMM with the short side first, which single-thread
            # OpenBLAS runs about 1.3x faster than A X for A of 8000 × 2000, X of 2000 × 60.
            return (X.T @ self.work.T).T
        return self.work @ X

    def rmm(self, Y: Any) -> Any:
        """``A^H Y`` in the passes' precision."""
        self.passes += 1
        if self.kind == "operator":
            return np.asarray(self.A.rmatmat(Y))
        Y = astype(Y, self.work_dtype)
        if self.complex:
            # (Y^H A)^H avoids materialising conj(A).
            return (Y.conj().T @ self.work).conj().T
        return (Y.T @ self.work).T if self.kind == "dense" else self.work.T @ Y

    def frobenius_norm(self) -> float | None:
        if self.kind == "operator":
            return None
        data = self.A.data if self.kind == "sparse" else self.A
        return float(self.xp.linalg.norm(data.ravel()))

    def check_hermitian(self, name: str = "A") -> None:
        """Explicit matrices must be Hermitian; LinearOperators are trusted."""
        check_square(self.A, name)
        if self.kind != "operator":
            check_hermitian(self.A, name, rtol=1e-6 if self.real_dtype == np.float32 else 1e-10)
