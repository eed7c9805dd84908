"""One pass over a stream of row blocks: top eigenvector of AᵀA, and linear/coordinated sketches.

A stream is an iterable of row blocks of A (n × d): NumPy or CuPy arrays,
scipy.sparse matrices, or the row blocks of a ``dask.array`` (computed one at
a time); a whole in-memory matrix is cut into blocks of ``block_rows``. Each
block is seen once and dropped, so A never needs to fit in memory.

Top eigenvector (v₁ of AᵀA, gap R = σ₁²/σ₂²):

* ``method="kacham-woodruff"`` — for rows in random order (Kacham and
  Woodruff, "Approximating the Top Eigenvector in Random Order Streams", 2024).
  In a random order every stretch of the stream is a uniform sample of the
  rows, so the stream is cut into q segments and each segment performs one
  power-iteration step with M̂ = (n/|segment|) Σ_{light a} a aᵀ + (n/t) Σ_{heavy h} h hᵀ
  (t rows read so far). Rows heavy enough to dominate a segment
  (‖a‖² ≥ σ̂₁²/(q log₂ 2d), σ̂₁² the largest Rayleigh estimate so far or the
  lower bound ‖A‖_F²/d) are stored and enter every later step exactly, since a
  sample of them would be too noisy; rows stored under an earlier, lower
  threshold are released. Each step is a Rayleigh–Ritz step on the span of the
  iterate and the (at most 8) stored rows with ‖h‖² ≥ σ̂₁²/q, followed by a
  power step, so a heavy row that arrives late still steers the result.
  Memory: the heavy rows plus O(d) words. The paper's polylog constants are not
  practical; the ones above are this module's choice (the notebook
  ``notebooks/streaming_eigenvector.ipynb`` shows what they achieve: for
  R ≥ 1.5 the error 1 − ⟨v, v₁⟩² is far below 1/R when n ≫ d q log d). In an
  adversarial order (e.g. sorted by norm) the segments are no longer samples
  and nothing is promised.
* ``method="oja"`` — Oja's rule v ← normalise(v + η Bᵀ B v) per block B, any
  order (Price and Xun, "Spectral Guarantees for Adversarial Streaming PCA",
  2024, analyse a fixed rate η ≍ log(d)/σ₁² and need R = O(log n log d)).
  σ₁² is unknown in one pass, so the default rate is η = log₂(2d)/λ̂ with λ̂ the
  running sum Σ‖B v‖² (a lower bound on σ₁² of the prefix); the updates are
  per block rather than per row. Memory: 2d words.

Sketches of a stream: :func:`stream_sketch` (Gaussian or CountSketch, equal to
``make_operator(sketch, size, n, seed) @ A``) and
:func:`stream_coordinated_sketch` (priority, threshold, JL and CountSketch
sketches of :mod:`sketch.coordinated`, block by block and merged — equal to the
in-memory sketch with the same seed).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((4000, 20)) * np.r_[4.0, np.ones(19)]
>>> res = streaming_top_eigenvector(A, block_rows=200, seed=1)
>>> bool(abs(res.vector[0]) > 0.98), res.memory_words < 20 * 20
(True, True)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .backend import array_module, compat, device, is_sparse
from .checks import (
    check_array,
    check_dtype,
    check_finite,
    check_positive_int,
    check_tolerance,
)
from .coordinated import LinearSketch, SampledSketch, coordinated_sketch
from .errors import AccuracyWarning, ShapeError
from .rng import as_key

__all__ = [
    "StreamingEigenResult",
    "row_blocks",
    "streaming_top_eigenvector",
    "stream_sketch",
    "stream_coordinated_sketch",
]

EIGEN_METHODS = ("kacham-woodruff", "oja")


@dataclass
class StreamingEigenResult:
    """Top eigenvector of AᵀA from one pass over the rows.

    Attributes
    ----------
    vector : array (d,)
        Unit estimate of v₁ (sign arbitrary).
    eigenvalue : float
        Estimate of σ₁² = λ₁(AᵀA): the last segment's Ritz value (Kacham–Woodruff),
        or the running sum Σ_b ‖B_b v_{b−1}‖² (Oja), which underestimates it.
    method : str
    rows : int
        Rows read.
    blocks : int
        Blocks read.
    heavy_rows : int
        Rows stored whole (Kacham–Woodruff; 0 for Oja).
    memory_words : int
        Peak words (floats) the algorithm held between blocks: its vectors and
        the stored rows (the block being read is the caller's and not counted).
    segments : int
        Power-iteration steps taken (Kacham–Woodruff; 0 for Oja).
    """

    vector: Any
    eigenvalue: float
    method: str
    rows: int
    blocks: int
    heavy_rows: int
    memory_words: int
    segments: int


# --------------------------------------------------------------------------
# streams of blocks
# --------------------------------------------------------------------------
def _check_block(B: Any, d: int | None, k: int) -> Any:
    if is_sparse(B):
        B = B.tocsr()
    else:
        check_array(B, f"block {k} of the stream")  # lists and foreign objects
        if getattr(B, "ndim", None) == 1:
            B = B.reshape(1, -1)
        if getattr(B, "ndim", None) != 2:
            raise ShapeError(f"block {k} of the stream must be 2-D, got shape "
                             f"{getattr(B, 'shape', None)}")
    if B.shape[1] == 0:
        raise ShapeError(f"block {k} of the stream has no columns; every row needs at least one")
    if d is not None and B.shape[1] != d:
        raise ShapeError(f"block {k} has {B.shape[1]} columns but the stream started with {d}; "
                         "every block needs the same columns")
    check_dtype(B.dtype, f"block {k} of the stream")
    check_finite(B, f"block {k} of the stream")
    return B


def row_blocks(rows: Any, block_rows: int = 4096) -> tuple[Iterator[Any], int | None]:
    """The row blocks of a stream, and the number of rows when it is known up front.

    Parameters
    ----------
    rows : array, sparse matrix, dask array or iterable of blocks
        A matrix (cut into ``block_rows``-row blocks), a ``dask.array`` (its
        row chunks, computed one at a time) or any iterable of 2-D blocks
        (NumPy, CuPy or scipy.sparse) with equal column counts.
    block_rows : int
        Rows per block when a whole matrix is given.

    Returns
    -------
    (iterator of blocks, n_rows or None)
        Each block is checked as the iterator reaches it (2-D or one row, finite,
        float or complex, the first block's column count; sparse blocks as CSR).

    Examples
    --------
    >>> import numpy as np
    >>> it, n = row_blocks(np.zeros((10, 2)), block_rows=4)
    >>> [b.shape[0] for b in it], n
    ([4, 4, 2], 10)
    """
    block_rows = check_positive_int(block_rows, "block_rows")
    if type(rows).__module__.startswith("dask"):
        if getattr(rows, "ndim", None) != 2:
            raise ShapeError(f"a dask stream must be 2-D, got shape {rows.shape}")
        X = rows.rechunk({1: -1}) if rows.numblocks[1] != 1 else rows
        if any(math.isnan(c) for c in X.chunks[0]):
            raise ShapeError("the dask array has unknown chunk sizes; call "
                             "X.compute_chunk_sizes() first")
        return _checked(X.blocks[i, 0].compute() for i in range(X.numblocks[0])), int(X.shape[0])
    if hasattr(rows, "shape") and not is_sparse(rows) and getattr(rows, "ndim", None) != 2:
        raise ShapeError(f"rows must be a 2-D matrix or an iterable of row blocks, got an "
                         f"array of shape {rows.shape}")
    if is_sparse(rows) or hasattr(rows, "shape"):
        n = int(rows.shape[0])
        R = rows.tocsr() if is_sparse(rows) else rows
        return _checked(R[i:i + block_rows] for i in range(0, n, block_rows)), n
    if not isinstance(rows, Iterable) or isinstance(rows, (str, bytes)):
        raise TypeError(f"rows must be a matrix, a dask array or an iterable of row blocks, "
                        f"got {type(rows).__name__}")
    n = None
    if isinstance(rows, (list, tuple)) and all(hasattr(b, "shape") for b in rows):
        n = sum(int(b.shape[0]) if getattr(b, "ndim", 2) == 2 else 1 for b in rows)
    return _checked(rows), n


def _checked(blocks: Iterable[Any]) -> Iterator[Any]:
    """The blocks, each checked as it comes (2-D, finite, a supported dtype, the first
    block's column count; sparse ones as CSR, a 1-D block as one row)."""
    d = None
    for k, B in enumerate(blocks):
        B = _check_block(B, d, k)
        d = B.shape[1]
        yield B


def _norms2(B: Any, xp: Any) -> Any:
    if is_sparse(B):
        return xp.asarray(abs(B).power(2).sum(axis=1)).ravel().astype(xp.float64)
    return xp.astype(xp.sum(xp.abs(B) ** 2, axis=1), xp.float64)


def _gram_block(B: Any, W: Any, xp: Any, mask: Any = None) -> Any:
    """Bᴴ (B W) with the rows where ``mask`` is False left out."""
    Z = xp.asarray(B @ W)
    if mask is not None:
        Z = Z * xp.astype(mask[:, None], Z.dtype)
    return xp.astype(xp.asarray(B.T.conj() @ Z), W.dtype, copy=False)


def _dense_rows(B: Any, idx: Any) -> Any:
    R = B[idx]
    return R.toarray() if is_sparse(R) else R


def _start(B: Any, d: int, seed: Any) -> tuple[Any, Any]:
    data = B.data if is_sparse(B) else B
    xp = compat(array_module(data))
    dtype = xp.result_type(B.dtype, xp.float32)
    v = xp.astype(as_key(seed).child("start").normal(range(d), array_module(data),
                                                     device=device(data)), dtype)
    return v / xp.linalg.vector_norm(v), xp


# --------------------------------------------------------------------------
# top eigenvector
# --------------------------------------------------------------------------
def _oja(blocks: Iterator[Any], seed: Any, learning_rate: float | None) -> StreamingEigenResult:
    v = xp = d = None
    lam = 0.0
    rows = nb = 0
    for B in blocks:
        if v is None:
            d = B.shape[1]
            v, xp = _start(B, d, seed)
        g = _gram_block(B, v[:, None], xp)[:, 0]
        lam += float(xp.vdot(v, g).real)  # ‖B v‖²
        rate = learning_rate if learning_rate is not None else (
            math.log2(2 * d) / lam if lam > 0 else 0.0)
        u = v + rate * g
        nu = float(xp.linalg.vector_norm(u))
        if nu > 0:
            v = u / nu
        rows += B.shape[0]
        nb += 1
    if v is None:
        raise ShapeError("the stream held no rows")
    return StreamingEigenResult(v, lam, "oja", rows, nb, 0, 2 * d, 0)


def _segment_plan(n: int, q: int) -> list[int]:
    return [math.ceil(k * n / q) for k in range(1, q + 1)]


class _HeavyRows:
    """Stored rows with their squared norms and the segment each arrived in."""

    def __init__(self, d: int, xp: Any, like: Any):
        self.rows = xp.zeros((0, d), dtype=like.dtype, device=device(like))
        self.norms = xp.zeros(0, dtype=xp.float64, device=device(like))
        self.segment = xp.zeros(0, dtype=xp.int64, device=device(like))
        self.xp = xp

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def add(self, rows: Any, norms: Any, segment: int) -> None:
        xp = self.xp
        self.rows = xp.concat([self.rows, xp.astype(rows, self.rows.dtype)], axis=0)
        self.norms = xp.concat([self.norms, norms])
        self.segment = xp.concat([self.segment, xp.full(norms.shape[0], segment, dtype=xp.int64,
                                                        device=device(norms))])

    def prune(self, tau: float) -> tuple[Any, Any]:
        """Drop rows now below ``tau``; return the dropped rows and their segments."""
        keep = self.norms >= tau
        dropped = (self.rows[~keep], self.segment[~keep])
        self.rows, self.norms, self.segment = self.rows[keep], self.norms[keep], self.segment[keep]
        return dropped


#: Heaviest stored rows whose directions join the iterate in each Rayleigh–Ritz step.
RITZ_ROWS = 8


def _basis(v: Any, heavy: _HeavyRows, floor: float, xp: Any) -> Any:
    """Orthonormal basis of span(v, the RITZ_ROWS heaviest stored rows with ‖h‖² ≥ floor)."""
    top = xp.argsort(-heavy.norms)[:RITZ_ROWS]
    top = top[heavy.norms[top] >= floor]
    if not top.shape[0]:
        return v[:, None]
    Q, R = xp.linalg.qr(xp.concat([v[:, None], heavy.rows[top].T], axis=1))
    diag = xp.abs(xp.linalg.diagonal(R))
    keep = diag > float(diag[0]) * 1e-8 * Q.shape[0]   # drop rows parallel to earlier columns
    keep[0] = True
    return Q[:, keep]


def _kacham_woodruff(blocks: Iterator[Any], n: int, seed: Any, segments: int | None,
                     max_heavy: int | None) -> StreamingEigenResult:
    v = xp = d = heavy = acc = W = None
    lam = 0.0          # the latest segment's Rayleigh estimate of σ₁²
    lam_max = 0.0      # the largest one, for the heavy-row threshold
    tau = 0.0          # heavy-row threshold on ‖a‖², never lowered
    fro = 0.0          # ‖·‖_F² of the prefix
    rows = nb = seg = seg_rows = 0
    plan: list[int] = []
    cap = peak = 0
    warned = False

    def close_segment() -> None:
        nonlocal v, acc, W, lam, lam_max, seg, seg_rows
        # Rows stored under an earlier, lower threshold are light now: the light sample
        # already stands for them, so they leave the store; those from this segment join
        # its light sum. Every row above the threshold arrived when it was at most as high,
        # so the store holds all of them.
        dropped, where = heavy.prune(tau)
        mine = dropped[where == seg]
        light = acc + mine.T.conj() @ (mine @ W)
        # The segment's light rows are a |segment|/n sample of all light rows: M̂ W estimates
        # AᵀA W. Rayleigh–Ritz on span(W) (the iterate and the heaviest rows), then one
        # power step from the Ritz vector.
        MW = light * (n / max(seg_rows, 1)) + (heavy.rows.T.conj() @ (heavy.rows @ W)) * (n / rows)
        G = W.T.conj() @ MW
        evals, evecs = xp.linalg.eigh((G + G.T.conj()) / 2)
        y = evecs[:, -1]
        u = MW @ y
        lam = float(evals[-1])
        lam_max = max(lam_max, lam)
        nu = float(xp.linalg.vector_norm(u))
        if nu > 0:
            v = u / nu
        # Rows that alone carry 1/q of σ₁² would dominate a segment: their directions
        # join the next Ritz basis, so the iterate need not wait for the power steps.
        W = _basis(v, heavy, lam_max / len(plan), xp)
        acc = xp.zeros_like(W)
        seg += 1
        seg_rows = 0

    for B in blocks:
        if v is None:
            d = B.shape[1]
            v, xp = _start(B, d, seed)
            heavy = _HeavyRows(d, xp, v)
            W = v[:, None]
            acc = xp.zeros_like(W)
            q = segments if segments is not None else max(4, math.ceil(math.log2(d)) + 2)
            plan = _segment_plan(n, min(q, n))
            cap = max_heavy if max_heavy is not None else 2 * d
        start = 0
        while start < B.shape[0]:
            if seg >= len(plan):
                raise ShapeError(f"the stream holds more than n_rows={n} rows")
            stop = min(B.shape[0], start + plan[seg] - rows)
            P = B[start:stop]
            w = _norms2(P, xp)
            fro += float(w.sum())
            seen = rows + P.shape[0]
            # Threshold: an estimate of σ₁² (the largest Rayleigh estimate so far, or the
            # lower bound ‖A‖_F²/d extrapolated from the prefix) over q·log₂(2d).
            floor = max(lam_max, fro * n / (seen * d))
            tau = max(tau, floor / (len(plan) * math.log2(2 * d)))
            is_heavy = w >= tau
            nh = int(is_heavy.sum())
            if nh and len(heavy) + nh > cap:
                nh = 0
                is_heavy = xp.zeros_like(is_heavy)
                if not warned:
                    warnings.warn(f"more than max_heavy={cap} heavy rows; further heavy rows are "
                                  "treated as light and the estimate may be noisier",
                                  AccuracyWarning, stacklevel=3)
                    warned = True
            if nh:
                idx = xp.nonzero(is_heavy)[0]
                heavy.add(_dense_rows(P, idx), w[idx], seg)
            acc = acc + _gram_block(P, W, xp, ~is_heavy if nh else None)
            seg_rows += P.shape[0]
            rows = seen
            peak = max(peak, (len(heavy) + 2 * W.shape[1]) * d)
            start = stop
            if rows == plan[seg]:
                close_segment()
        nb += 1
    if v is None:
        raise ShapeError("the stream held no rows")
    if rows != n:
        raise ShapeError(f"the stream held {rows} rows but n_rows={n}; give the exact count")
    return StreamingEigenResult(v, lam, "kacham-woodruff", rows, nb, len(heavy), peak, seg)


def streaming_top_eigenvector(rows: Any, *, method: str = "kacham-woodruff",
                              n_rows: int | None = None, block_rows: int = 4096,
                              segments: int | None = None, max_heavy: int | None = None,
                              learning_rate: float | None = None,
                              seed: Any = None) -> StreamingEigenResult:
    """Top eigenvector of AᵀA from one pass over the rows of A.

    Parameters
    ----------
    rows : array, sparse matrix, dask array or iterable of row blocks
        See :func:`row_blocks`.
    method : {"kacham-woodruff", "oja"}
        Random-order power iteration with heavy rows stored (Kacham and
        Woodruff 2024), or Oja's rule, valid in any order (Price and Xun 2024).
    n_rows : int, optional
        Number of rows; needed by ``kacham-woodruff`` when the stream is an
        iterator (it plans the segments), known otherwise.
    block_rows : int
        Block size when a whole matrix is given.
    segments : int, optional
        Power-iteration steps q (default max(4, ⌈log₂ d⌉ + 2)).
    max_heavy : int, optional
        Most rows stored (default 2d); past it, heavy rows count as light and
        an :class:`~sketch.errors.AccuracyWarning` is issued.
    learning_rate : float, optional
        Fixed Oja rate η (default: adaptive log₂(2d)/λ̂, see the module notes).
    seed : None, int or Generator
        Start vector.

    Returns
    -------
    StreamingEigenResult

    Examples
    --------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).standard_normal((3000, 10)) * np.r_[3.0, np.ones(9)]
    >>> blocks = (A[i:i + 100] for i in range(0, 3000, 100))
    >>> res = streaming_top_eigenvector(blocks, method="oja", seed=0)
    >>> bool(abs(res.vector[0]) > 0.95), res.memory_words
    (True, 20)
    """
    if method not in EIGEN_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(EIGEN_METHODS)}")
    blocks, known = row_blocks(rows, block_rows)
    if segments is not None:
        segments = check_positive_int(segments, "segments")
    if max_heavy is not None:
        max_heavy = check_positive_int(max_heavy, "max_heavy", minimum=0)
    if learning_rate is not None:
        learning_rate = check_tolerance(learning_rate, "learning_rate")
    if method == "oja":
        return _oja(blocks, seed, learning_rate)
    n = n_rows if n_rows is not None else known
    if n is None:
        raise ValueError("method='kacham-woodruff' plans its segments from the number of rows: "
                         "give n_rows= for an iterator stream (or use method='oja')")
    n = check_positive_int(n, "n_rows")
    return _kacham_woodruff(blocks, n, seed, segments, max_heavy)


# --------------------------------------------------------------------------
# sketches of a stream
# --------------------------------------------------------------------------
def _keyed_blocks(rows: Any, keys: Any, block_rows: int) -> Iterator[tuple[Any, Any]]:
    blocks, _ = row_blocks(rows, block_rows)
    if keys is not None and (not isinstance(keys, Iterable) or isinstance(keys, (str, bytes))):
        raise TypeError(f"keys must be an iterable of key arrays, one per block, got "
                        f"{type(keys).__name__}")
    key_iter = None if keys is None else iter(keys)
    offset = 0
    for k, B in enumerate(blocks):
        if B.shape[0] == 0:  # nothing to sketch (its key array, if any, is consumed)
            if key_iter is not None:
                next(key_iter, None)
            continue
        data = B.data if is_sparse(B) else B
        if key_iter is None:
            xp = compat(array_module(data))
            kb = xp.arange(offset, offset + B.shape[0], dtype=xp.int64, device=device(data))
        else:
            try:
                kb = next(key_iter)
            except StopIteration:
                raise ShapeError(f"keys ran out at block {k}; give one key array per block") \
                    from None
        offset += B.shape[0]
        yield B, kb


def stream_coordinated_sketch(rows: Any, method: str, size: int, seed: Any = None, *,
                              keys: Iterable[Any] | None = None,
                              block_rows: int = 4096) -> SampledSketch | LinearSketch:
    """A coordinated sketch (:func:`sketch.coordinated.coordinated_sketch`) of a row stream.

    Each block is sketched with its rows' keys (default: global row positions)
    and merged into the running sketch, which never holds more than the sketch
    itself and one block's sketch; the result equals the in-memory sketch of
    the whole matrix with the same seed (exactly for priority, threshold and
    CountSketch; to rounding for JL).

    Parameters
    ----------
    rows : stream of row blocks (see :func:`row_blocks`)
    method : {"priority", "threshold", "jl", "countsketch"}
    size : int
        k rows kept, or r rows of a linear sketch.
    seed
        Shared seed.
    keys : iterable of 1-D integer arrays, optional
        One key array per block (row ids or a join key).

    Examples
    --------
    >>> import numpy as np
    >>> from sketch.coordinated import priority_sample
    >>> A = np.random.default_rng(0).standard_normal((1000, 3))
    >>> sk = stream_coordinated_sketch(A, "priority", 50, seed=2, block_rows=128)
    >>> ref = priority_sample(A, 50, seed=2)
    >>> bool((sk.keys == ref.keys).all()), sk.tau == ref.tau
    (True, True)
    """
    size = check_positive_int(size, "size")
    out = None
    for B, kb in _keyed_blocks(rows, keys, block_rows):
        part = coordinated_sketch(B, method, size, seed, keys=kb)
        out = part if out is None else out.merge(part)
    if out is None:
        raise ShapeError("the stream held no rows")
    out.keyed = keys is not None
    return out


def stream_sketch(rows: Any, size: int, sketch: str = "gaussian", seed: Any = None, *,
                  block_rows: int = 4096) -> Any:
    """S @ A for a row stream, S the ``gaussian`` or ``countsketch`` operator of the seed.

    Equal to ``make_operator(sketch, size, n, seed) @ A`` (to rounding): the
    columns of S for a block are generated from the keyed stream knowing only
    the block's row offset (through the keyed linear sketches of
    :mod:`sketch.coordinated`). Memory: the size × d result and one block.

    Examples
    --------
    >>> import numpy as np
    >>> from sketch.operators import CountSketch
    >>> A = np.random.default_rng(0).standard_normal((500, 4))
    >>> blocks = (A[i:i + 64] for i in range(0, 500, 64))
    >>> bool(np.allclose(stream_sketch(blocks, 16, "countsketch", seed=3),
    ...                  CountSketch(16, 500, seed=3) @ A))
    True
    """
    names = {"gaussian": "jl", "countsketch": "countsketch"}
    if sketch not in names:
        raise ValueError(
            f"stream_sketch supports sketch='gaussian' or 'countsketch' (their columns can be "
            f"generated block by block from the seed); got {sketch!r}")
    return stream_coordinated_sketch(rows, names[sketch], size, seed,
                                     block_rows=block_rows).data
