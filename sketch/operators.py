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

from . import kernels, srht_kernel
from .backend import (
    array_module,
    asarray,
    backend_name,
    compat,
    dct,
    device,
    fwht,
    idct,
    index_add,
    library_dtype,
    sparse,
    to_dense,
)
from .checks import check_positive_int
from .errors import ShapeError
from .operator_base import (  # noqa: F401 - _product is re-exported for sketch.distributed
    SketchingOperator,
    _astype,
    _draws_on_host,
    _product,
    _real_dtype,
    _stream_module,
)
from .sizing import SPARSE_SIGN_K


class _DenseSketch(SketchingOperator):
    """Entries ``S[i, j]`` = number ``j·s + i`` of the keyed stream, scaled by 1/√s."""

    def _entries(self, counter: Any, xp: ModuleType, dtype: Any) -> Any:
        raise NotImplementedError

    def _fill(self, start: int, out: np.ndarray) -> None:
        """The entries ``start, start + 1, ...`` (in the stream's order) into ``out``, on the
        host: the values of :meth:`_entries`, bit for bit, in place."""
        raise NotImplementedError

    def _columns(self, j0, j1, xp, dtype, device=None):
        x = compat(xp)
        counter = (x.arange(j0, j1, dtype=x.int64, device=device)[None, :] * self.s
                   + x.arange(self.s, dtype=x.int64, device=device)[:, None])
        return self._entries(counter, x, library_dtype(xp, dtype))

    def _workspace_bytes(self, n: int, itemsize: int) -> float:
        # The generated block S[:, j0:j1] has at most m columns: a short A needs a short block.
        block = min(self.m, self._block_rows())
        return 2.0 * self.s * n * itemsize + 2.0 * block * self.s * itemsize

    def _apply_host(self, A):
        rdt = _real_dtype(A.dtype)
        return kernels.generated_gemm(self._fill, self.s, A, self._block_rows(), rdt)

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
        return _astype(self.key.normal(counter, xp), dtype) * (1.0 / math.sqrt(self.s))

    def _fill(self, start, out):
        self.key.fill_normal(start, out, 1.0 / math.sqrt(self.s))


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
        return _astype(self.key.signs(counter, xp), dtype) * (1.0 / math.sqrt(self.s))

    def _fill(self, start, out):
        self.key.fill_signs(start, out, 1.0 / math.sqrt(self.s))


class _HashedSketch(SketchingOperator):
    """k nonzeros per column: rows and values from the keyed stream (:meth:`_hash`)."""

    dense = False
    k: int = 1

    def _hash(self, j0: int, j1: int, xp: ModuleType, dtype: Any,
              device: Any = None) -> tuple[Any, Any]:
        """Rows (int64) and values of the nonzeros of columns j0..j1-1, each (j1-j0) × k,
        made by ``xp`` on ``device``."""
        raise NotImplementedError

    def _block_rows(self) -> int:
        return max(1, (1 << 24) // self.k)

    def _columns(self, j0, j1, xp, dtype, device=None):
        rows, vals = self._hash(j0, j1, xp, dtype, device)
        x = compat(xp)
        if backend_name(xp) == "torch":  # torch has no CSC matrix here: a dense block
            block = x.zeros((self.s, j1 - j0), dtype=vals.dtype, device=device)
            cols = x.arange(j1 - j0, device=device)
            for t in range(self.k):
                block[rows[:, t], cols] = vals[:, t]
            return block
        indptr = xp.arange(0, (j1 - j0) * self.k + 1, self.k, dtype=xp.int32)
        return sparse(xp).csc_matrix((x.reshape(vals, (-1,)),
                                      x.reshape(_astype(rows, x.int32), (-1,)), indptr),
                                     shape=(self.s, j1 - j0))

    def _workspace_bytes(self, n: int, itemsize: int) -> float:
        return 2.0 * self.s * n * itemsize + 3.0 * self.m * self.k * 16 + 8.0 * self.s

    def _row_groups(self) -> list[tuple[int, int]]:
        """Disjoint groups of S's rows, one thread task each (CountSketch: each reads its
        own rows of A)."""
        return kernels._ranges(self.s, kernels.threads())

    def _apply_host(self, A):
        # S as CSC, kept for the last dtype (an operator is often applied to A, then to b)
        cached = getattr(self, "_csc", None)
        if cached is None or cached.dtype != A.dtype:
            cached = self._csc = self._columns(0, self.m, np, A.dtype)
        return kernels.scatter_dense(cached, A, self._row_groups())

    def _apply_host_sparse(self, A):
        rows, vals = self._hash(0, self.m, np, _real_dtype(A.dtype))
        return kernels.scatter_sparse(rows, vals, A, self.s)

    def _apply_blocks(self, A):
        if backend_name(A) != "torch":
            return super()._apply_blocks(A)
        # torch: a scatter-add of A's rows with index_add_, k times (once per nonzero of a
        # column), the hash drawn on A's device (or shared from NumPy on the CPU)
        xp = array_module(A)
        A = to_dense(A)
        if _draws_on_host(A):
            rows, vals = self._hash(0, self.m, np, _real_dtype(A.dtype))
            rows, vals = asarray(rows, like=A), asarray(vals, like=A)
        else:
            rows, vals = self._hash(0, self.m, xp, _real_dtype(A.dtype), device(A))
        vals = _astype(vals, A.dtype)
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

    def _hash(self, j0, j1, xp, dtype, device=None):
        x = compat(xp)
        j = x.arange(j0, j1, dtype=x.int64, device=device)
        rows = self.key.child("rows").integers(j, self.s, x)
        vals = _astype(self.key.child("signs").signs(j, x), library_dtype(xp, dtype))
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
        self.k = (min(SPARSE_SIGN_K, self.s) if k is None
                  else check_positive_int(k, "nonzeros per column k"))
        if self.k > self.s:
            raise ValueError(f"k={self.k} nonzeros per column exceeds the sketch size s={self.s}")

    def _bounds(self) -> np.ndarray:
        return (np.arange(self.k + 1) * self.s) // self.k  # block t: rows bounds[t]..bounds[t+1]-1

    def _hash(self, j0, j1, xp, dtype, device=None):
        k = self.k
        x = compat(xp)
        bounds = self._bounds()
        start = x.asarray(bounds[:-1], dtype=x.int64, device=device)
        width = bounds[1:] - bounds[:-1]
        counter = (x.arange(j0, j1, dtype=x.int64, device=device)[:, None] * k
                   + x.arange(k, dtype=x.int64, device=device)[None, :])
        # Widths differ by at most one: draw the whole (contiguous) counter block for each
        # distinct width and keep each column's own (the stream is elementwise in the counter).
        rows = None
        for w in sorted(set(width.tolist())):
            drawn = self.key.child("rows").integers(counter, int(w), x)
            cols = x.asarray(width == w, device=device)[None, :]
            rows = drawn if rows is None else x.where(cols, drawn, rows)
        vals = _astype(self.key.child("signs").signs(counter, x), library_dtype(xp, dtype))
        vals = vals * (1.0 / math.sqrt(k))
        return rows + start[None, :], vals

    def _row_groups(self):
        # Each thread takes whole row blocks, all of them in one sweep of A.
        bounds = self._bounds()
        layers = kernels._ranges(self.k, kernels.threads())
        return [(int(bounds[a]), int(bounds[b])) for a, b in layers]


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
    (:class:`sketch.srht_kernel.SRHTPlan`). Dense: it gives the ℓ∞ guarantee for
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
        self.padded = 1 << (self.m - 1).bit_length() if transform == "hadamard" else m
        if self.s > self.padded:
            raise ValueError(f"an SRHT samples rows: s={self.s} cannot exceed {self.padded}")
        self._rows: dict[str, Any] = {}
        self._plans: dict[str, srht_kernel.SRHTPlan] = {}

    def _selected(self, xp: ModuleType) -> Any:
        # The s smallest of m' keyed random words: a uniform subset, identical on every backend.
        name = backend_name(xp)
        if name not in self._rows:
            gx = _stream_module(xp)
            words = self.key.child("rows").bits(gx.arange(self.padded, dtype=gx.uint64), gx)
            # the first s of a stable argsort, found by a partition (at m = 100000 the full
            # sort of m' words took 0.16 passes over A, the partition 0.002): every word
            # below the s-th smallest, then the ties at it in index order
            kth = gx.partition(words, self.s - 1)[self.s - 1]
            below = gx.flatnonzero(words < kth)
            ties = gx.flatnonzero(words == kth)[: self.s - below.size]
            rows = gx.sort(gx.concatenate([below, ties]))
            self._rows[name] = rows if gx is xp else asarray(rows, xp=xp)
        return self._rows[name]

    def _signs(self, xp: ModuleType, device: Any = None) -> Any:
        x = compat(xp)
        return self.key.child("signs").signs(x.arange(self.m, dtype=x.int64, device=device), x)

    def _plan(self, dtype: Any) -> srht_kernel.SRHTPlan:
        name = np.dtype(dtype).name
        if name not in self._plans:
            self._plans = {name: srht_kernel.SRHTPlan(self._selected(np), self._signs(np), self.m,
                                                  self.padded, dtype)}
        return self._plans[name]

    def _workspace_bytes(self, n: int, itemsize: int) -> float:
        # A block holds at most n columns: a thin A needs thin per-thread buffers.
        blocks = srht_kernel.srht_blocks(n, self.padded)
        width = -(-n // blocks)
        b = self._inner()
        # the plan: the sampled outer rows and the first stage's factors with the signs
        factors = self.padded * srht_kernel.srht_factors(b)[1] if b else 0
        plan = (self.s * (self.padded // b) + min(factors, srht_kernel.SRHT_FACTOR_ENTRIES)
                if b else 0)
        # per thread: the block's inner transform, and a sparse A's block made dense
        busy = min(kernels.threads(), blocks)  # a thread takes buffers for its first block
        return (2.0 * self.s * n + plan + 2.0 * busy * self.padded * width) * itemsize

    def _inner(self) -> int | None:
        """The pruned kernel's inner factor b, or None where it would not pay (huge m)."""
        b = srht_kernel.srht_inner_size(self.s, self.m, self.padded)
        return b if b <= srht_kernel.SRHT_MAX_INNER else None

    def _apply_host(self, A):
        if self.transform == "dct":
            return srht_kernel.dct_sketch(A, self._signs(np), self._selected(np),
                                      math.sqrt(self.padded / self.s))
        if self._inner() is None:
            # Huge m: the sampled outer rows would not fit; one transform per column block.
            width = max(1, srht_kernel.SRHT_PLAIN_BLOCK_ENTRIES // self.padded)
            return np.concatenate([self._apply_blocks(A[:, c0:c0 + width])
                                   for c0 in range(0, A.shape[1], width)], axis=1)
        scales = (1.0 / math.sqrt(self.padded), math.sqrt(self.padded / self.s))
        return self._plan(A.dtype).apply(A, scales)

    def _apply_host_sparse(self, A):
        A = A.tocsc()  # column blocks are sliced; COO/DIA are not sliceable
        if A.dtype.kind == "c":
            return self._apply(A.toarray())
        return self._apply_host(A)

    def _apply_blocks(self, A):
        # CuPy and torch (and huge m): zero-pad, sign, one fast transform, sample.
        xp = array_module(A)
        A = to_dense(A)
        signs = _astype(self._signs(xp, device(A)), A.dtype)
        X = xp.zeros((self.padded, A.shape[1]), dtype=A.dtype, device=getattr(A, "device", None)
                     ) if backend_name(xp) == "torch" else xp.zeros((self.padded, A.shape[1]),
                                                                    dtype=A.dtype)
        X[: self.m] = A * signs[:, None]
        X = fwht(X) if self.transform == "hadamard" else dct(X, axis=0)
        return X[asarray(self._selected(xp), like=X)] * math.sqrt(self.padded / self.s)

    def _apply_transpose(self, Y: Any) -> Any:
        xp = array_module(Y)
        signs = _astype(self._signs(xp, device(Y)), Y.dtype)
        shape = (self.padded, Y.shape[1])
        X = xp.zeros(shape, dtype=Y.dtype, device=Y.device) if backend_name(xp) == "torch" \
            else xp.zeros(shape, dtype=Y.dtype)
        X[asarray(self._selected(xp), like=X)] = Y * math.sqrt(self.padded / self.s)
        X = (fwht(X) if self.transform == "hadamard" else idct(X, axis=0))[: self.m]
        return X * signs[:, None]

    def _columns(self, j0, j1, xp, dtype, device=None):
        x = compat(xp)
        E = x.zeros((self.m, j1 - j0), dtype=library_dtype(xp, dtype), device=device)
        E[x.arange(j0, j1, device=device), x.arange(j1 - j0, device=device)] = 1
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
    check_sketch_kind(kind)
    if kind == "srht-dct":
        return SRHT(s, m, seed, transform="dct", **options)
    return OPERATORS[kind](s, m, seed, **options)


def check_sketch_kind(kind: Any) -> None:
    """Refuse a sketch name :func:`make_operator` does not know (the one list of names).

    Examples
    --------
    >>> check_sketch_kind("srht-dct")
    >>> check_sketch_kind("srth")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown sketch 'srth'; choose one of: gaussian, rademacher, srht, ...
    """
    if isinstance(kind, SketchingOperator) or kind == "srht-dct":
        return
    if not isinstance(kind, str) or kind not in OPERATORS:
        names = ", ".join([*OPERATORS, "srht-dct"])
        raise ValueError(f"unknown sketch {kind!r}; choose one of: {names}")
