"""Sketching operators: random linear maps S (s × m) with one interface.

Every operator supports ``S @ A`` (A dense, scipy/cupyx sparse or a
LinearOperator, with m rows; or a vector of length m), ``A @ S.T`` (A with m
columns), ``S.T @ Y`` (the adjoint, Y with s rows), ``.shape`` and
``.to_dense()``. ``S`` is never stored: its entries are generated on the fly
from a keyed counter-based stream (:mod:`sketch.rng`), in blocks of columns of
S (rows of A), so A is never copied and the same seed gives the same operator
on NumPy and CuPy. Results keep the input's dtype and device.

Operators and their subspace-embedding sizes for an m × n matrix (ε distortion,
failure probability δ) — constants are not sharp, see the cited papers:

* :class:`Gaussian`, :class:`Rademacher` — s = O((n + log 1/δ)/ε²)
  (Johnson–Lindenstrauss 1984; Achlioptas 2003); cost O(smn).
* :class:`SRHT` — subsampled randomized Hadamard (or DCT) transform,
  s = O((n + log(m/δ)) log(n/δ)/ε²) (Ailon–Chazelle 2009; Tropp 2011);
  cost O(mn log m). Dense, so it also gives ℓ∞ regression guarantees.
* :class:`CountSketch` — one ±1 per column, s = O(n²/(δε²)) (Charikar–Chen–
  Farach-Colton 2002; Clarkson–Woodruff 2013); cost O(nnz(A)).
* :class:`SparseSign` — OSNAP, k ±1/√k per column, s = O(n log n/ε²)-ish;
  k ≈ 8 and s ≈ 2n–4n work for preconditioning (Nelson–Nguyễn 2013;
  Meng–Mahoney 2013); cost O(k·nnz(A)).

Examples
--------
>>> import numpy as np
>>> A = np.random.default_rng(0).standard_normal((1000, 5))
>>> S = SparseSign(40, 1000, seed=1)
>>> SA = S @ A
>>> SA.shape
(40, 5)
>>> bool(np.allclose(SA, S.to_dense() @ A))
True
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from . import kernels
from .backend import (
    array_module,
    asarray,
    backend_name,
    dct,
    fwht,
    idct,
    index_add,
    is_operator,
    is_sparse,
    numpy_dtype,
    sparse,
    to_dense,
)
from .checks import check_allocation, check_dtype, check_finite, check_positive_int
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


def _stream_module(xp: ModuleType) -> ModuleType:
    """Where the keyed stream runs for arrays of ``xp``: on the device for CuPy, on the host
    for torch (then moved to the tensor's device)."""
    return np if backend_name(xp) == "torch" else xp


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
        vector = getattr(A, "ndim", 2) == 1
        A2 = self._check(A.reshape(-1, 1) if vector else A, rows=True)
        out = self._checked(self._apply(A2), A2)
        return out[:, 0] if vector else out

    def to_dense(self, xp: ModuleType = np, dtype: Any = np.float64) -> Any:
        """The explicit s × m matrix (for small sizes and tests)."""
        check_allocation(self.s * self.m * np.dtype(dtype).itemsize,
                         f"{type(self).__name__}(s={self.s}, m={self.m}).to_dense()", xp=xp,
                         fix="apply the operator instead (S @ A) or use a smaller sketch size s")
        block = self._columns(0, self.m, xp, _real_dtype(dtype))
        return (block.toarray() if is_sparse(block) else block).astype(dtype, copy=False)

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
        check_dtype(numpy_dtype(A.dtype), "the sketched matrix")
        if not self._scan_later(A):
            check_finite(A, "the sketched matrix")
        n = A.shape[1] if rows else A.shape[0]
        need = self._workspace_bytes(n, numpy_dtype(A.dtype).itemsize)
        check_allocation(need, f"{type(self).__name__}(s={self.s}, m={self.m}) applied to "
                               f"{n} columns", xp=array_module(A),
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
        if self._scan_later(A) and not np.isfinite(out).all():
            check_finite(A, "the sketched matrix")
        return out

    def _workspace_bytes(self, n: int, itemsize: int) -> float:
        """Peak bytes of ``S @ A`` for A with n columns: the result and the kernel's buffers."""
        return 2.0 * self.s * n * itemsize

    def _block_rows(self) -> int:
        return max(1, _BLOCK_ENTRIES // self.s)

    def _columns(self, j0: int, j1: int, xp: ModuleType, dtype: Any) -> Any:
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
        """``S[:, j0:j1]`` on ``like``'s library and device (dense for torch)."""
        xp = array_module(like)
        block = self._columns(j0, j1, _stream_module(xp), dtype)
        if backend_name(xp) != "torch":
            return block
        return asarray(to_dense(block), like=like)

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
                block = xp.astype(block, A.dtype)
            part = _product(block, A[j0:j1])
            out = part if out is None else out + part
        return xp.astype(xp.asarray(out), A.dtype)

    def _apply_transpose(self, Y: Any) -> Any:
        xp = array_module(Y)
        rdt = _real_dtype(Y.dtype)
        step = self._block_rows()
        parts = []
        for j0 in range(0, self.m, step):
            block = self._block(j0, min(self.m, j0 + step), Y, rdt)
            if backend_name(Y) == "torch":
                block = xp.astype(block, Y.dtype)
            parts.append(_product(block.T, Y))
        return xp.astype(xp.concat(parts, axis=0) if hasattr(xp, "concat")
                         else xp.concatenate(parts, axis=0), Y.dtype)

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
        vector = getattr(A, "ndim", 2) == 1
        A2 = A.reshape(1, -1) if vector else A
        self.op._check(A2, rows=False)
        out = self.op._checked(self.op._apply(A2.T), A2).T
        return out[0] if vector else out

    def __matmul__(self, Y: Any) -> Any:
        """``S.T @ Y`` for Y with s rows (the adjoint sketch)."""
        vector = getattr(Y, "ndim", 2) == 1
        Y2 = Y.reshape(-1, 1) if vector else Y
        if Y2.shape[0] != self.op.s:
            raise ShapeError(f"S.T @ Y needs Y with s={self.op.s} rows, got shape {Y.shape}")
        check_dtype(numpy_dtype(Y2.dtype), "Y")
        out = self.op._apply_transpose(Y2)
        return out[:, 0] if vector else out

    def to_dense(self, xp: ModuleType = np, dtype: Any = np.float64) -> Any:
        return self.op.to_dense(xp, dtype).T


class _DenseSketch(SketchingOperator):
    """Entries ``S[i, j]`` = number ``j·s + i`` of the keyed stream, scaled by 1/√s."""

    def _entries(self, counter: Any, xp: ModuleType, dtype: Any) -> Any:
        raise NotImplementedError

    def _columns(self, j0, j1, xp, dtype):
        counter = xp.arange(j0, j1, dtype=xp.uint64)[None, :] * xp.uint64(self.s) + xp.arange(
            self.s, dtype=xp.uint64
        )[:, None]
        return self._entries(counter, xp, dtype)

    def _workspace_bytes(self, n: int, itemsize: int) -> float:
        return 2.0 * self.s * n * itemsize + 2.0 * self._block_rows() * self.s * itemsize

    def _apply_host(self, A):
        rdt = _real_dtype(A.dtype)

        def fill(counters: np.ndarray, out: np.ndarray) -> None:
            out[...] = self._entries(counters, np, rdt)

        return kernels.generated_gemm(fill, self.s, A, self._block_rows(), rdt)

    def _apply_host_sparse(self, A):
        return self._apply_host(A.tocsr())


class Gaussian(_DenseSketch):
    """Gaussian sketch, entries i.i.d. N(0, 1/s).

    The classical Johnson–Lindenstrauss transform (Johnson–Lindenstrauss 1984;
    Sarlós 2006 for regression): an ε-subspace embedding for an m × n matrix
    with s = O((n + log 1/δ)/ε²) rows. Cost O(s·m·n) per application: a GEMM
    whose left factor is generated block by block just ahead of use.

    Examples
    --------
    >>> import numpy as np
    >>> S = Gaussian(20, 100, seed=0)
    >>> (S @ np.ones((100, 3))).shape
    (20, 3)
    """

    def _entries(self, counter, xp, dtype):
        return self.key.normal(counter, xp).astype(dtype) * dtype.type(1.0 / math.sqrt(self.s))


class Rademacher(_DenseSketch):
    """Random sign sketch, entries ±1/√s with equal probability.

    Same embedding size as :class:`Gaussian` (Achlioptas 2003), cheaper to
    generate.

    Examples
    --------
    >>> import numpy as np
    >>> S = Rademacher(4, 6, seed=0)
    >>> bool(np.allclose(np.abs(S.to_dense()), 0.5))
    True
    """

    def _entries(self, counter, xp, dtype):
        return self.key.signs(counter, xp).astype(dtype) * dtype.type(1.0 / math.sqrt(self.s))


class _HashedSketch(SketchingOperator):
    """k nonzeros per column: rows and values from the keyed stream (:meth:`_hash`)."""

    dense = False
    k: int = 1

    def _hash(self, j0: int, j1: int, xp: ModuleType, dtype: Any) -> tuple[Any, Any]:
        """Rows (int64) and values of the nonzeros of columns j0..j1-1, each (j1-j0) × k."""
        raise NotImplementedError

    def _block_rows(self) -> int:
        return max(1, (1 << 24) // self.k)

    def _columns(self, j0, j1, xp, dtype):
        rows, vals = self._hash(j0, j1, xp, dtype)
        indptr = xp.arange(0, (j1 - j0) * self.k + 1, self.k, dtype=xp.int32)
        return sparse(xp).csc_matrix((vals.ravel(), rows.astype(xp.int32).ravel(), indptr),
                                     shape=(self.s, j1 - j0))

    def _workspace_bytes(self, n: int, itemsize: int) -> float:
        return 2.0 * self.s * n * itemsize + 3.0 * self.m * self.k * 16 + 8.0 * self.s

    def _row_groups(self) -> tuple[list[tuple[int, int]], bool]:
        """Disjoint groups of S's rows, one thread task each, and whether to use CSC."""
        return kernels._ranges(self.s, kernels.threads()), False

    def _apply_host(self, A):
        S = self._columns(0, self.m, np, A.dtype).tocsr()
        groups, csc = self._row_groups()
        return kernels.scatter_dense(S, A, groups, csc)

    def _apply_host_sparse(self, A):
        rows, vals = self._hash(0, self.m, np, _real_dtype(A.dtype))
        return kernels.scatter_sparse(rows, vals, A, self.s)

    def _apply_blocks(self, A):
        if backend_name(A) != "torch":
            return super()._apply_blocks(A)
        # torch: a scatter-add of A's rows with index_add_, k times (once per nonzero of a column)
        xp = array_module(A)
        A = to_dense(A)
        rows, vals = self._hash(0, self.m, np, _real_dtype(A.dtype))
        rows, vals = asarray(rows, like=A), xp.astype(asarray(vals, like=A), A.dtype)
        out = xp.zeros((self.s, A.shape[1]), dtype=A.dtype, device=A.device)
        for t in range(self.k):
            index_add(out, rows[:, t], A * vals[:, t][:, None])
        return out


class CountSketch(_HashedSketch):
    """CountSketch: each column of S has a single ±1 in a hashed row.

    Charikar, Chen and Farach-Colton (2002); as a subspace embedding,
    Clarkson and Woodruff (2013): s = O(n²/(δ ε²)). Applied in O(nnz(A)), as
    a scatter-add of A's rows. Sparse, so it cannot give ℓ∞ regression
    guarantees.

    Examples
    --------
    >>> import numpy as np
    >>> S = CountSketch(8, 50, seed=3)
    >>> bool((np.count_nonzero(S.to_dense(), axis=0) == 1).all())
    True
    """

    def _hash(self, j0, j1, xp, dtype):
        j = xp.arange(j0, j1, dtype=xp.uint64)
        rows = self.key.child("rows").integers(j, self.s, xp)
        vals = self.key.child("signs").signs(j, xp).astype(dtype)
        return rows[:, None], vals[:, None]


class SparseSign(_HashedSketch):
    """Sparse sign embedding (OSNAP): k entries ±1/√k in each column.

    Nelson and Nguyễn (2013), "OSNAP: faster numerical linear algebra
    algorithms via sparser subspace embeddings"; practical parameters from
    Meng–Mahoney (2013) and Tropp et al.: k ≈ 8, s ≈ 2n–4n for
    preconditioning. Rows are drawn one per block of ⌈s/k⌉ rows ("block
    OSNAP"), so the k rows of a column are distinct. Cost O(k·nnz(A)).

    Parameters
    ----------
    s, m, seed
        As for :class:`SketchingOperator`.
    k : int, optional
        Nonzeros per column, ``1 <= k <= s`` (default ``min(8, s)``).

    Examples
    --------
    >>> import numpy as np
    >>> S = SparseSign(16, 30, seed=0, k=4)
    >>> bool((np.count_nonzero(S.to_dense(), axis=0) == 4).all())
    True
    """

    def __init__(self, s: int, m: int, seed: Any = None, k: int | None = None):
        super().__init__(s, m, seed)
        self.k = min(8, self.s) if k is None else check_positive_int(k, "nonzeros per column k")
        if self.k > self.s:
            raise ValueError(f"k={self.k} nonzeros per column exceeds the sketch size s={self.s}")

    def _bounds(self) -> np.ndarray:
        return (np.arange(self.k + 1) * self.s) // self.k  # block t: rows bounds[t]..bounds[t+1]-1

    def _hash(self, j0, j1, xp, dtype):
        k, b = self.k, j1 - j0
        bounds = self._bounds()
        start = xp.asarray(bounds[:-1], dtype=xp.int64)
        width = bounds[1:] - bounds[:-1]
        counter = xp.arange(j0, j1, dtype=xp.uint64)[:, None] * xp.uint64(k) + xp.arange(
            k, dtype=xp.uint64
        )[None, :]
        rows = xp.empty((b, k), dtype=xp.int64)
        for t in range(k):  # widths differ by at most one: at most two distinct values
            rows[:, t] = self.key.child("rows").integers(counter[:, t], int(width[t]), xp)
        vals = self.key.child("signs").signs(counter, xp).astype(dtype)
        vals *= dtype.type(1.0 / math.sqrt(k))
        return rows + start[None, :], vals

    def _row_groups(self):
        # Each thread takes whole row blocks (as CSC, so it streams A once for its blocks).
        bounds = self._bounds()
        layers = kernels._ranges(self.k, kernels.threads())
        return [(int(bounds[a]), int(bounds[b])) for a, b in layers], True


class SRHT(SketchingOperator):
    """Subsampled randomized Hadamard (or DCT) transform, S = √(m'/s) · P H D.

    D is a random ±1 diagonal, H the orthonormal Walsh–Hadamard transform of
    size m' = next power of two ≥ m (A is zero-padded implicitly) or, with
    ``transform="dct"``, the orthonormal DCT-II of size m (no padding), and P
    samples s of the m' rows uniformly without replacement. Ailon and Chazelle
    (2009); Tropp (2011), "Improved analysis of the subsampled randomized
    Hadamard transform": s = O((n + log(m/δ)) log(n/δ)/ε²). Applied in
    O(mn log m)-type work, column block by column block of A; the Hadamard
    transform computes only the s sampled rows of its outer stage
    (:class:`sketch.kernels.SRHTPlan`). Dense: it gives the ℓ∞ guarantee for
    regression (Price–Song–Woodruff 2017).

    Parameters
    ----------
    s, m, seed
        As for :class:`SketchingOperator`.
    transform : {"hadamard", "dct"}
        The orthogonal mixing transform.

    Examples
    --------
    >>> import numpy as np
    >>> S = SRHT(8, 128, seed=0)
    >>> Q = S.to_dense()
    >>> bool(np.allclose(Q @ Q.T, (128 / 8) * np.eye(8)))
    True
    """

    def __init__(self, s: int, m: int, seed: Any = None, transform: str = "hadamard"):
        super().__init__(s, m, seed)
        if transform not in ("hadamard", "dct"):
            raise ValueError(f"transform must be 'hadamard' or 'dct', got {transform!r}")
        self.transform = transform
        self.padded = 1 << (m - 1).bit_length() if transform == "hadamard" else m
        if self.s > self.padded:
            raise ValueError(f"an SRHT samples rows: s={self.s} cannot exceed {self.padded}")
        self._rows: dict[str, Any] = {}
        self._plans: dict[str, kernels.SRHTPlan] = {}

    def _selected(self, xp: ModuleType) -> Any:
        # The s smallest of m' keyed random words: a uniform subset, identical on every backend.
        name = backend_name(xp)
        if name not in self._rows:
            gx = _stream_module(xp)
            words = self.key.child("rows").bits(gx.arange(self.padded, dtype=gx.uint64), gx)
            rows = gx.sort(gx.argsort(words, kind="stable")[: self.s])
            self._rows[name] = rows if gx is xp else asarray(rows, xp=xp)
        return self._rows[name]

    def _signs(self, xp: ModuleType) -> Any:
        gx = _stream_module(xp)
        signs = self.key.child("signs").signs(gx.arange(self.m, dtype=gx.uint64), gx)
        return signs if gx is xp else asarray(signs, xp=xp)

    def _plan(self, dtype: Any) -> kernels.SRHTPlan:
        name = np.dtype(dtype).name
        if name not in self._plans:
            self._plans = {name: kernels.SRHTPlan(self._selected(np), self._signs(np), self.m,
                                                  self.padded, dtype)}
        return self._plans[name]

    def _workspace_bytes(self, n: int, itemsize: int) -> float:
        width = max(1, kernels.SRHT_BLOCK_ENTRIES // self.padded)
        plan = self.s * (self.padded // kernels.srht_inner_size(self.s, self.m, self.padded))
        return (2.0 * self.s * n + plan + 3.0 * kernels.threads() * self.padded * width) * itemsize

    def _apply_host(self, A):
        if self.transform == "dct":
            return kernels.dct_sketch(A, self._signs(np), self._selected(np),
                                      math.sqrt(self.padded / self.s))
        scales = (1.0 / math.sqrt(self.padded), math.sqrt(self.padded / self.s))
        return self._plan(A.dtype).apply(A, scales)

    def _apply_host_sparse(self, A):
        A = A.tocsc()  # column blocks are sliced; COO/DIA are not sliceable
        if A.dtype.kind == "c":
            return self._apply(A.toarray())
        return self._apply_host(A)

    def _apply_blocks(self, A):
        # CuPy and torch: zero-pad, sign, one fast transform, sample.
        xp = array_module(A)
        A = to_dense(A)
        signs = xp.astype(self._signs(xp), A.dtype)
        X = xp.zeros((self.padded, A.shape[1]), dtype=A.dtype, device=getattr(A, "device", None)
                     ) if backend_name(xp) == "torch" else xp.zeros((self.padded, A.shape[1]),
                                                                    dtype=A.dtype)
        X[: self.m] = A * signs[:, None]
        X = fwht(X) if self.transform == "hadamard" else dct(X, axis=0)
        return X[self._selected(xp)] * math.sqrt(self.padded / self.s)

    def _apply_transpose(self, Y: Any) -> Any:
        xp = array_module(Y)
        signs = xp.astype(self._signs(xp), Y.dtype)
        shape = (self.padded, Y.shape[1])
        X = xp.zeros(shape, dtype=Y.dtype, device=Y.device) if backend_name(xp) == "torch" \
            else xp.zeros(shape, dtype=Y.dtype)
        X[self._selected(xp)] = Y * math.sqrt(self.padded / self.s)
        X = (fwht(X) if self.transform == "hadamard" else idct(X, axis=0))[: self.m]
        return X * signs[:, None]

    def _columns(self, j0, j1, xp, dtype):
        E = xp.zeros((self.m, j1 - j0), dtype=dtype)
        E[xp.arange(j0, j1), xp.arange(j1 - j0)] = 1
        return self._apply(E)


#: Operators by name, for functions that take ``sketch="..."``.
OPERATORS: dict[str, type[SketchingOperator]] = {
    "gaussian": Gaussian,
    "rademacher": Rademacher,
    "srht": SRHT,
    "countsketch": CountSketch,
    "sparse-sign": SparseSign,
}


def make_operator(kind: str | SketchingOperator, s: int, m: int, seed: Any = None,
                  **options: Any) -> SketchingOperator:
    """Build a sketching operator by name.

    Parameters
    ----------
    kind : str or SketchingOperator
        One of ``"gaussian"``, ``"rademacher"``, ``"srht"``, ``"srht-dct"``,
        ``"countsketch"``, ``"sparse-sign"``; an operator instance is checked
        for shape and returned as is.
    s, m : int
        Sketch size and ambient dimension.
    seed
        Randomness (see :func:`sketch.rng.as_key`).
    **options
        Passed to the operator (e.g. ``k=`` for sparse-sign).

    Examples
    --------
    >>> make_operator("srht-dct", 10, 50, seed=0).transform
    'dct'
    """
    if isinstance(kind, SketchingOperator):
        if kind.m != m:
            raise ShapeError(f"the given sketch has m={kind.m}, the matrix has {m} rows")
        return kind
    if kind == "srht-dct":
        return SRHT(s, m, seed, transform="dct", **options)
    if kind not in OPERATORS:
        names = ", ".join([*OPERATORS, "srht-dct"])
        raise ValueError(f"unknown sketch {kind!r}; choose one of: {names}")
    return OPERATORS[kind](s, m, seed, **options)
