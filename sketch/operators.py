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

from .backend import array_module, fft, is_operator, is_sparse, sparse
from .checks import check_dtype, check_finite, check_positive_int
from .errors import ShapeError
from .rng import Key, as_key

# Entries of S generated per block (bounds the temporary memory to ~32 MB).
_BLOCK_ENTRIES = 1 << 22


def _real_dtype(dtype: Any) -> np.dtype:
    return np.finfo(np.dtype(dtype)).dtype


def _product(S: Any, A: Any) -> Any:
    """Dense ``S @ A`` for any mix of dense and sparse operands."""
    if is_sparse(A):
        if is_sparse(S):
            return (S @ A).toarray()
        return (A.T @ S.T).T
    return S @ A


class SketchingOperator:
    """Base class: a random s × m matrix, generated from a key on demand.

    Subclasses implement :meth:`_columns` (the block ``S[:, j0:j1]``, dense or
    sparse); transform-based operators override :meth:`_apply` and
    :meth:`_apply_transpose` instead.

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
        out = self._apply(A2)
        return out[:, 0] if vector else out

    def to_dense(self, xp: ModuleType = np, dtype: Any = np.float64) -> Any:
        """The explicit s × m matrix (for small sizes and tests)."""
        block = self._columns(0, self.m, xp, _real_dtype(dtype))
        return (block.toarray() if is_sparse(block) else block).astype(dtype, copy=False)

    # -- machinery -------------------------------------------------------
    def _check(self, A: Any, *, rows: bool) -> Any:
        dim = A.shape[0] if rows else A.shape[1]
        if A.ndim != 2:
            raise ShapeError(f"a sketch applies to 1-D or 2-D arrays, got shape {A.shape}")
        if dim != self.m:
            side = "rows" if rows else "columns"
            raise ShapeError(
                f"{type(self).__name__} has m={self.m} but the matrix has {dim} {side} "
                f"(shape {A.shape}); build the sketch with m={dim}"
            )
        if min(A.shape) == 0:
            raise ShapeError(f"cannot sketch an empty matrix of shape {A.shape}")
        check_dtype(A.dtype, "the sketched matrix")
        check_finite(A, "the sketched matrix")
        return A

    def _block_rows(self) -> int:
        return max(1, _BLOCK_ENTRIES // self.s)

    def _columns(self, j0: int, j1: int, xp: ModuleType, dtype: Any) -> Any:
        raise NotImplementedError

    def _apply(self, A: Any) -> Any:
        xp = array_module(A)
        rdt = _real_dtype(A.dtype)
        if is_sparse(A) and A.format != "csr":
            A = A.tocsr()
        out = None
        step = self._block_rows()
        for j0 in range(0, self.m, step):
            j1 = min(self.m, j0 + step)
            part = _product(self._columns(j0, j1, xp, rdt), A[j0:j1])
            out = part if out is None else out + part
        return xp.asarray(out).astype(A.dtype, copy=False)

    def _apply_transpose(self, Y: Any) -> Any:
        xp = array_module(Y)
        rdt = _real_dtype(Y.dtype)
        step = self._block_rows()
        parts = [
            _product(self._columns(j0, min(self.m, j0 + step), xp, rdt).T, Y)
            for j0 in range(0, self.m, step)
        ]
        return xp.concatenate(parts, axis=0).astype(Y.dtype, copy=False)

    def _apply_operator(self, A: Any) -> Any:
        # S A = conj(A^H S^T)^T for real S; rows of S A come in blocks of S^T's columns.
        if A.shape[0] != self.m:
            raise ShapeError(f"{type(self).__name__} has m={self.m} but the operator has "
                             f"{A.shape[0]} rows")
        dtype = np.dtype(A.dtype) if A.dtype is not None else np.dtype(np.float64)
        check_dtype(dtype, "the sketched operator")
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
        out = self.op._apply(A2.T).T
        return out[0] if vector else out

    def __matmul__(self, Y: Any) -> Any:
        """``S.T @ Y`` for Y with s rows (the adjoint sketch)."""
        vector = getattr(Y, "ndim", 2) == 1
        Y2 = Y.reshape(-1, 1) if vector else Y
        if Y2.shape[0] != self.op.s:
            raise ShapeError(f"S.T @ Y needs Y with s={self.op.s} rows, got shape {Y.shape}")
        check_dtype(Y2.dtype, "Y")
        out = self.op._apply_transpose(Y2)
        return out[:, 0] if vector else out

    def to_dense(self, xp: ModuleType = np, dtype: Any = np.float64) -> Any:
        return self.op.to_dense(xp, dtype).T


class Gaussian(SketchingOperator):
    """Gaussian sketch, entries i.i.d. N(0, 1/s).

    The classical Johnson–Lindenstrauss transform (Johnson–Lindenstrauss 1984;
    Sarlós 2006 for regression): an ε-subspace embedding for an m × n matrix
    with s = O((n + log 1/δ)/ε²) rows. Cost O(s·m·n) per application.

    Examples
    --------
    >>> import numpy as np
    >>> S = Gaussian(20, 100, seed=0)
    >>> (S @ np.ones((100, 3))).shape
    (20, 3)
    """

    def _columns(self, j0, j1, xp, dtype):
        counter = xp.arange(j0, j1, dtype=xp.uint64)[None, :] * xp.uint64(self.s) + xp.arange(
            self.s, dtype=xp.uint64
        )[:, None]
        return self.key.normal(counter, xp).astype(dtype) * dtype.type(1.0 / math.sqrt(self.s))


class Rademacher(SketchingOperator):
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

    def _columns(self, j0, j1, xp, dtype):
        counter = xp.arange(j0, j1, dtype=xp.uint64)[None, :] * xp.uint64(self.s) + xp.arange(
            self.s, dtype=xp.uint64
        )[:, None]
        return self.key.signs(counter, xp).astype(dtype) * dtype.type(1.0 / math.sqrt(self.s))


class CountSketch(SketchingOperator):
    """CountSketch: each column of S has a single ±1 in a hashed row.

    Charikar, Chen and Farach-Colton (2002); as a subspace embedding,
    Clarkson and Woodruff (2013): s = O(n²/(δ ε²)). Applied in O(nnz(A)).
    Sparse, so it cannot give ℓ∞ regression guarantees.

    Examples
    --------
    >>> import numpy as np
    >>> S = CountSketch(8, 50, seed=3)
    >>> bool((np.count_nonzero(S.to_dense(), axis=0) == 1).all())
    True
    """

    dense = False

    def _block_rows(self) -> int:
        return max(1, 1 << 24)

    def _columns(self, j0, j1, xp, dtype):
        j = xp.arange(j0, j1, dtype=xp.uint64)
        rows = self.key.child("rows").integers(j, self.s, xp).astype(xp.int32)
        vals = self.key.child("signs").signs(j, xp).astype(dtype)
        indptr = xp.arange(j1 - j0 + 1, dtype=xp.int32)
        return sparse(xp).csc_matrix((vals, rows, indptr), shape=(self.s, j1 - j0))


class SparseSign(SketchingOperator):
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

    dense = False

    def __init__(self, s: int, m: int, seed: Any = None, k: int | None = None):
        super().__init__(s, m, seed)
        self.k = min(8, self.s) if k is None else check_positive_int(k, "nonzeros per column k")
        if self.k > self.s:
            raise ValueError(f"k={self.k} nonzeros per column exceeds the sketch size s={self.s}")

    def _block_rows(self) -> int:
        return max(1, (1 << 24) // self.k)

    def _columns(self, j0, j1, xp, dtype):
        k, b = self.k, j1 - j0
        bounds = (np.arange(k + 1) * self.s) // k  # block t holds rows bounds[t]..bounds[t+1]-1
        start = xp.asarray(bounds[:-1], dtype=xp.int64)
        width = bounds[1:] - bounds[:-1]
        counter = xp.arange(j0, j1, dtype=xp.uint64)[:, None] * xp.uint64(k) + xp.arange(
            k, dtype=xp.uint64
        )[None, :]
        rows = xp.empty((b, k), dtype=xp.int64)
        for t in range(k):  # widths differ by at most one: at most two distinct values
            rows[:, t] = self.key.child("rows").integers(counter[:, t], int(width[t]), xp)
        rows = (rows + start[None, :]).astype(xp.int32).ravel()
        vals = self.key.child("signs").signs(counter, xp).astype(dtype).ravel()
        vals *= dtype.type(1.0 / math.sqrt(k))
        indptr = xp.arange(0, b * k + 1, k, dtype=xp.int32)
        return sparse(xp).csc_matrix((vals, rows, indptr), shape=(self.s, b))


def _hadamard(n: int, xp: ModuleType, dtype: Any) -> Any:
    """Sylvester–Hadamard matrix of order n (a power of two), unnormalised."""
    H = xp.ones((1, 1), dtype=dtype)
    while H.shape[0] < n:
        H = xp.block([[H, H], [H, -H]])
    return H


def _fwht(X: Any, xp: ModuleType) -> Any:
    """Orthonormal Walsh–Hadamard transform along axis 0 of X (rows a power of two).

    H_n = H_{b1} ⊗ H_{b2} ⊗ ..., each factor of order ≤ 64 applied as a
    batched matrix product: O(n log n)-type work done by BLAS instead of
    log2(n) memory-bound butterfly passes.
    """
    n, cols = X.shape
    factors = []
    rest = n
    while rest > 1:
        f = min(64, rest)
        factors.append(f)
        rest //= f
    for i, f in enumerate(factors):
        pre = math.prod(factors[:i])
        post = (n // (pre * f)) * cols
        H = _hadamard(f, xp, X.dtype if X.dtype.kind == "f" else _real_dtype(X.dtype))
        X = xp.matmul(H, X.reshape(pre, f, post)).reshape(n, cols)
    return X * X.dtype.type(1.0 / math.sqrt(n))


class SRHT(SketchingOperator):
    """Subsampled randomized Hadamard (or DCT) transform, S = √(m'/s) · P H D.

    D is a random ±1 diagonal, H the orthonormal Walsh–Hadamard transform of
    size m' = next power of two ≥ m (A is zero-padded implicitly) or, with
    ``transform="dct"``, the orthonormal DCT-II of size m (no padding), and P
    samples s of the m' rows uniformly without replacement. Ailon and Chazelle
    (2009); Tropp (2011), "Improved analysis of the subsampled randomized
    Hadamard transform": s = O((n + log(m/δ)) log(n/δ)/ε²). Applied in
    O(mn log m), column block by column block of A. Dense: it gives the ℓ∞
    guarantee for regression (Price–Song–Woodruff 2017).

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

    def _selected(self, xp: ModuleType) -> Any:
        # The s smallest of m' keyed random words: a uniform subset, identical on every backend.
        name = xp.__name__
        if name not in self._rows:
            words = self.key.child("rows").bits(xp.arange(self.padded, dtype=xp.uint64), xp)
            order = xp.argsort(words, kind="stable")[: self.s]
            self._rows[name] = xp.sort(order)
        return self._rows[name]

    def _mix(self, X: Any, xp: ModuleType, inverse: bool = False) -> Any:
        if self.transform == "hadamard":
            return _fwht(X, xp)
        f = fft(xp)
        return (f.idct if inverse else f.dct)(X, type=2, norm="ortho", axis=0)

    def _block_cols(self) -> int:
        return max(1, _BLOCK_ENTRIES // self.padded)

    def _apply(self, A: Any) -> Any:
        xp = array_module(A)
        if is_sparse(A) and A.format != "csc":
            A = A.tocsc()  # column blocks are sliced below; COO/DIA are not sliceable
        signs = self.key.child("signs").signs(xp.arange(self.m, dtype=xp.uint64), xp)
        rows = self._selected(xp)
        scale = math.sqrt(self.padded / self.s)
        out = xp.empty((self.s, A.shape[1]), dtype=A.dtype)
        step = self._block_cols()
        for c0 in range(0, A.shape[1], step):
            c1 = min(A.shape[1], c0 + step)
            block = A[:, c0:c1]
            block = block.toarray() if is_sparse(block) else block
            X = xp.zeros((self.padded, c1 - c0), dtype=A.dtype)
            X[: self.m] = block * signs.astype(_real_dtype(A.dtype))[:, None]
            out[:, c0:c1] = self._mix(X, xp)[rows] * scale
        return out

    def _apply_transpose(self, Y: Any) -> Any:
        xp = array_module(Y)
        signs = self.key.child("signs").signs(xp.arange(self.m, dtype=xp.uint64), xp)
        X = xp.zeros((self.padded, Y.shape[1]), dtype=Y.dtype)
        X[self._selected(xp)] = Y * math.sqrt(self.padded / self.s)
        X = self._mix(X, xp, inverse=True)[: self.m]
        return X * signs.astype(_real_dtype(Y.dtype))[:, None]

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
