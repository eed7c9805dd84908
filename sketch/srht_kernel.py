"""The SRHT's host kernel: ``P H D A`` with the Walsh–Hadamard transform pruned to the
sampled rows, and the DCT variant (issue 20; :mod:`sketch.kernels` holds the threads, the
work buffers and the other operators' kernels).

Hadamard: three Kronecker stages with the row sampling folded in. With
``m' = a·b`` and ``b = b₁·b₂``, ``H_{m'} = H_a ⊗ H_{b₁} ⊗ H_{b₂}``; per column
block of A, chunk by chunk of outer indices (in cache), the first stage
(``H_{b₂}`` with the signs D) is a batched GEMM over groups of b₂ rows of A,
reading A once and never building the zero-padded copy; the second applies
``H_{b₁}`` and stores the block's inner transform inner index first; the outer
stage is computed only for the s sampled rows (grouped by their inner index,
each group one GEMM on a contiguous matrix), so it costs ``O(s·a)`` instead of
``O(m'·a)`` per column. b minimises the multiply-adds per column,
``m·(b₁ + b₂) + s·m'/b`` (at m = 100000, s = 4000 it picks b = 256, also the
fastest measured of 64 to 1024). The first stage's ``b₂ × b₂`` factors with D
folded in are made once per operator, with the rest of the plan (0.30 passes
over A there; 0.73 before the signs were computed by folding bits and the
sample by a partition).

Column blocks are as few as a buffer cap allows (:func:`srht_blocks`: 4 blocks
of 250 columns there): each block has a fixed cost (one outer GEMM per inner
index; first-stage GEMMs over row segments of A as long as the block is wide),
and from 84 to 334 columns the first stage fell from 4.2 to 2.7 passes. Threads
take column blocks as they come; their buffers (up to 256 MB each) are reused
from call to call (:class:`sketch.kernels._Scratch`), because a fresh one cost
its first touch on every call, up to several passes when the system had to
compact memory for huge pages: that was the swing of 9.6-19 passes seen with
167 columns. The first call of a process still makes them (18.1 passes against
8.2 for later calls on 1 thread, float64, in ``python -m benchmarks sketch``).

The DCT variant runs SciPy's DCT on blocks of a few columns, so that each
block's transforms stay in cache.

Examples
--------
>>> import numpy as np
>>> hadamard_signs(np.arange(4), np.arange(4), np.float64)
array([[ 1.,  1.,  1.,  1.],
       [ 1., -1.,  1., -1.],
       [ 1.,  1., -1., -1.],
       [ 1., -1., -1.,  1.]])
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np
import scipy.sparse

from .kernels import _blas_threads, _ranges, _run, _Scratch, _view

#: Most entries (columns × m') of the SRHT's inner-stage result per column block (one buffer
#: per thread, kept between calls: 256 MB in float64). Each block has a fixed cost (the outer
#: stage's GEMM per inner index, the first stage's GEMMs over row segments of A as long as
#: the block is wide), so blocks are as few as this allows (:func:`srht_blocks`).
#: m = 100000, s = 4000, 1 thread, CPU time, load 10 (issue 20, buffers reused): passes over
#: A 12.9 / 11.3 / 10.4 / 9.9 / 9.2 / 9.0 / 8.5 with 42 / 84 / 126 / 167 / 250 / 334 / 500
#: columns (medians of 4).
SRHT_BLOCK_ENTRIES = 1 << 25
#: The SRHT's number of column blocks is a multiple of this where A has the columns, so that
#: 1, 2 or 4 threads finish together (the width cannot follow the thread count: it may
#: change BLAS's rounding, and results do not depend on threads).
SRHT_BLOCK_MULTIPLE = 4
#: Columns of the narrowest SRHT block made to give each of the machine's CPUs a block.
SRHT_MIN_WIDTH = 32
#: Entries of a column block of the plain (unpruned) Hadamard transform, for huge m.
SRHT_PLAIN_BLOCK_ENTRIES = 1 << 23
#: Entries of a column block of the DCT sketch: a few columns, whose transforms run in cache
#: (1 thread, m = 100000: 26 passes over A with 10 columns against 37 with 41).
DCT_BLOCK_ENTRIES = 1 << 20
#: Most entries (m'·b₂) of the SRHT's first-stage factors with the signs kept in its plan.
SRHT_FACTOR_ENTRIES = 1 << 22
#: Entries of the SRHT's first-stage result per chunk (stays in L2 for the second stage).
SRHT_CHUNK_ENTRIES = 1 << 17
#: Most entries of the SRHT's sampled outer rows (``s × m'/b``) kept (b grows to fit).
SRHT_PLAN_ENTRIES = 1 << 25
#: Largest inner factor b worth its ``2(b₁ + b₂)`` flops per entry; beyond, the plain transform.
SRHT_MAX_INNER = 4096


def hadamard_signs(rows: np.ndarray, cols: np.ndarray, dtype: Any) -> np.ndarray:
    """Entries ``(-1)^popcount(r & c)`` of Sylvester's Hadamard matrix at ``rows × cols``.

    The parity of ``r & c`` by folding its bits onto the lowest (``x ^= x >> k`` for k =
    half the width, then half of that...) in the narrowest unsigned type that holds the
    indices: the plan's 4000 × 391 signs at m = 100000 took 0.62 passes over A bit by bit
    and 0.41 by a 16-bit table lookup (issue 20).
    """
    rows, cols = np.asarray(rows), np.asarray(cols)
    top = max(int(rows.max(initial=0)), int(cols.max(initial=0)))
    kind = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64)
                if top <= np.iinfo(t).max)
    x = np.bitwise_and(rows.astype(kind)[:, None], cols.astype(kind)[None, :])
    shift = 4 * np.dtype(kind).itemsize
    while shift:
        x ^= x >> kind(shift)
        shift //= 2
    x &= kind(1)
    one = np.dtype(dtype).type(1)
    return one - 2 * x.astype(dtype)


def srht_factors(b: int) -> tuple[int, int]:
    """The two inner Kronecker factors ``(b₁, b₂)`` of a power of two ``b = b₁·b₂``, b₁ ≥ b₂."""
    e = b.bit_length() - 1
    return 1 << (e - e // 2), 1 << (e // 2)


def srht_inner_size(s: int, m: int, padded: int) -> int:
    """The inner Kronecker factor b (a power of two) minimising the multiply-adds per column,
    ``m·(b₁ + b₂) + s·m'/b``, raised until the sampled outer rows (``s·m'/b`` entries) fit
    :data:`SRHT_PLAN_ENTRIES`."""

    def cost(b: int) -> int:
        return m * sum(srht_factors(b)) + s * (padded // b)

    b = min((1 << e for e in range(padded.bit_length())), key=cost)
    while s * (padded // b) > SRHT_PLAN_ENTRIES and b < padded:
        b *= 2
    return b


class SRHTPlan:
    """The Hadamard SRHT kernel for one operator and one real dtype: the factors
    ``m' = a·b₁·b₂``, the first stage's ``b₂ × b₂`` factors with the signs D folded in,
    the sampled rows grouped by their inner index, and the ±1 outer rows each group
    needs (``s × ⌈m/b⌉`` entries); made once, used by every column block."""

    def __init__(self, selected: np.ndarray, signs: np.ndarray, m: int, padded: int,
                 dtype: Any):
        s = selected.size
        self.b = b = srht_inner_size(s, m, padded)
        self.b1, self.b2 = srht_factors(b)
        self.P = -(-m // b)  # outer indices that touch A's rows (the rest is zero padding)
        self.dtype = np.dtype(dtype)
        self.H1 = hadamard_signs(np.arange(self.b1), np.arange(self.b1), self.dtype)
        self.H2 = hadamard_signs(np.arange(self.b2), np.arange(self.b2), self.dtype)
        d = np.zeros(self.P * b, dtype=self.dtype)
        d[:m] = signs
        self.d4 = d.reshape(self.P, self.b1, 1, self.b2)
        # H_b₂ diag(d) for each group of b₂ rows (P × b₁ matrices b₂ × b₂), made once where
        # it is small (made per chunk, it cost 1.4 of 13 passes at m = 100000)
        self.HD = self._first(0, self.P) if self.P * b * self.b2 <= SRHT_FACTOR_ENTRIES \
            else None
        r1, r2 = selected // b, selected % b
        self.order = np.argsort(r2, kind="stable")  # the sampled rows, group by group
        # the ±1 outer rows of every sampled row, in that order; group q holds a run of them
        H = hadamard_signs(r1[self.order], np.arange(self.P), self.dtype)
        qs, starts = np.unique(r2[self.order], return_index=True)
        ends = np.append(starts[1:], s)
        self.groups = [(int(q), H[a:e].copy()) for q, a, e in zip(qs, starts, ends)]

    def _first(self, p0: int, p1: int) -> np.ndarray:
        """The first stage's factors ``H_b₂ diag(d)`` of outer indices p0..p1-1."""
        if getattr(self, "HD", None) is not None:
            return self.HD[p0:p1]
        return self.H2[None, None] * self.d4[p0:p1]

    def apply(self, A: Any, scales: tuple[float, float]) -> np.ndarray:
        """``P H D A`` (real A, m × n, dense or SciPy CSC) times ``scales[0]``, then
        times ``scales[1]``.

        Per column block of A (w columns), chunk by chunk of outer indices p (their
        ``b = b₁·b₂`` rows each), the first stage ``H_b₂ diag(d)`` is a batched GEMM over
        groups of b₂ rows read from A in place; it writes the chunk as ``(b₁, b₂, p, w)``
        (:data:`SRHT_CHUNK_ENTRIES`, in cache), so that the second, ``H_b₁``, is b₂ GEMMs
        of ``b₁ × b₁`` by ``b₁ × (p·w)`` writing the block's inner transform inner index
        first: the outer stage's GEMM for inner index q then reads the contiguous
        ``P × w`` matrix of q (with rows b·w apart, it ran at half the speed; transposing
        instead cost a quarter of the time), writing the rows of its group next to each
        other in a block result that is scaled and scattered to the sampled rows once.
        Threads take column blocks as they come, each with buffers of its own. Every entry's
        sums have the terms of the unchunked stages (each ``±A[j, c]``, exact); BLAS
        orders them, and may order them otherwise for GEMMs of another width, so other
        chunk or block sizes agree to rounding, while thread counts, which change
        neither, give the same bits.
        """
        m, n = A.shape
        b, b1, b2, P = self.b, self.b1, self.b2, self.P
        s = self.order.size
        out = np.empty((s, n), dtype=A.dtype)
        blocks = _ranges(n, srht_blocks(n, P * b))
        width = max(c1 - c0 for c0, c1 in blocks)
        pstep = max(1, min(SRHT_CHUNK_ENTRIES // (b * width), P))
        dense = not scipy.sparse.issparse(A)
        whole = m // b  # outer indices whose b rows are all rows of A
        s0, s1 = (self.dtype.type(x) for x in scales)

        # Each thread takes its buffers once, for all the blocks it takes, from those of
        # earlier calls (:class:`_Scratch`): W alone is up to SRHT_BLOCK_ENTRIES entries,
        # whose first touch (page faults) cost as much as the stage that writes it.
        def block(c: tuple[int, int], W_all: np.ndarray, T: np.ndarray | None,
                  Y_all: np.ndarray) -> None:
            c0, c1 = c
            w = c1 - c0
            src = A if dense else A[:, c0:c1].toarray()  # sparse: the block, once
            cols = slice(c0, c1) if dense else slice(0, w)
            A4 = _view(src[: whole * b], (whole, b1, b2, src.shape[1]))[..., cols]
            W = _view(W_all[: b * P * w], (b1, b2, P, w))  # inner index (b₁, b₂) first
            for p0 in range(0, P, pstep):
                p1 = min(P, p0 + pstep)
                pc = p1 - p0
                if p1 <= whole:
                    X = A4[p0:p1]
                else:  # the last rows, zero-padded to whole outer indices
                    X = np.zeros((pc * b, w), dtype=A.dtype)
                    X[: m - p0 * b] = src[p0 * b:, cols]
                    X = _view(X, (pc, b1, b2, w))
                first = W[:, :, p0:p1] if b1 == 1 else _view(T[: b * pc * w], (b1, b2, pc, w))
                np.matmul(self._first(p0, p1), X, out=first.transpose(2, 0, 1, 3))
                if b1 > 1:  # second factor: H_b1, for each b₂ index
                    np.matmul(self.H1, _view(first, (b1, b2, pc * w)).transpose(1, 0, 2),
                              out=_view(W[:, :, p0:p1], (b1, b2, pc * w)).transpose(1, 0, 2))
            W = _view(W, (b, P, w))
            Y = _view(Y_all[: s * w], (s, w))  # the sampled rows, group by group
            g0 = 0
            for q, Ha in self.groups:
                np.matmul(Ha, W[q], out=Y[g0:g0 + Ha.shape[0]])
                g0 += Ha.shape[0]
            Y *= s0
            Y *= s1
            out[self.order, c0:c1] = Y

        local = threading.local()
        sizes = (b * P * width, b * pstep * width if b1 > 1 else 0, s * width)

        def run(c: tuple[int, int]) -> None:
            if not hasattr(local, "buffers"):
                W, T, Y = scratch.take(A.dtype, sizes)
                local.buffers = (W, T if b1 > 1 else None, Y)
            block(c, *local.buffers)

        with _blas_threads(1), _Scratch() as scratch:
            _run(run, blocks)
        return out


def srht_blocks(n: int, rows: int) -> int:
    """Column blocks of the SRHT kernel for A with n columns, whose inner transform holds
    ``rows`` rows: the fewest whose buffer fits :data:`SRHT_BLOCK_ENTRIES`, but at least one
    per CPU of the machine (``os.cpu_count()``, not :func:`threads`, which must not change
    the bits) while blocks keep :data:`SRHT_MIN_WIDTH` columns; where that is more than
    one, rounded up to a multiple of :data:`SRHT_BLOCK_MULTIPLE` (at most n). The kernel
    splits the columns into blocks of near equal width (a narrow last block would cost a
    block's fixed work for a few columns).

    Examples
    --------
    >>> import os
    >>> os.cpu_count() > 4 or srht_blocks(1000, 100096) == 4  # 3 fit 2**25 entries
    True
    >>> srht_blocks(13, 1024)
    1
    """
    blocks = -(-n // max(1, min(n, SRHT_BLOCK_ENTRIES // rows)))
    blocks = max(blocks, min(os.cpu_count() or 1, n // SRHT_MIN_WIDTH))
    if blocks > 1:
        blocks = min(n, -(-blocks // SRHT_BLOCK_MULTIPLE) * SRHT_BLOCK_MULTIPLE)
    return blocks


def _dense(block: Any) -> np.ndarray:
    return block.toarray() if scipy.sparse.issparse(block) else block


def dct_sketch(A: np.ndarray, signs: np.ndarray, selected: np.ndarray,
               scale: float) -> np.ndarray:
    """``√(m/s) · P C D A`` with C the orthonormal DCT-II along A's rows, by column blocks."""
    import scipy.fft

    m, n = A.shape
    out = np.empty((selected.size, n), dtype=A.dtype)
    width = max(1, DCT_BLOCK_ENTRIES // m)
    d = signs.astype(np.finfo(A.dtype).dtype)[:, None]

    def block(c: tuple[int, int]) -> None:
        X = _dense(A[:, c[0]:c[1]]) * d
        X = scipy.fft.dct(X, type=2, norm="ortho", axis=0, overwrite_x=True)
        out[:, c[0]:c[1]] = X[selected] * scale

    _run(block, [(c0, min(n, c0 + width)) for c0 in range(0, n, width)])
    return out
