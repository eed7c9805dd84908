"""The compiled scatter-add of CountSketch and sparse sign: ``(S A)_i = Σ_{j: h(j)=i} v_j A_j``.

For a dense A whose rows have unit inner stride (C order, or a view of one), each
column j of S holds k nonzeros ``(rows[j, t], vals[j, t])``, and the kernel adds
``vals[j, t] · A[j, c0:c1]`` to row ``rows[j, t]`` of the result, for ascending j.
Every output entry is therefore the sum over ascending j, started from +0, one
rounding for the product and one for the sum (``y += v * x``, no fused multiply-add:
the kernels are compiled without ``fastmath``), exactly the loop SciPy's sparse ×
dense product runs (sparsetools' ``csc_matvecs``): the bits do not depend on the
strip width, the thread count or the split.

Blocking (sparse sign, k > 1): the s × n result does not fit in L2 (32 MB for
s = 4000, n = 1000), and each row of A is added into k rows of it, so a kernel
sweeping A's full rows moves 2k bytes of result between cache levels per byte of
A. Here A is taken in column strips of width w, so that the s × w tile of the
result (:data:`TILE_BYTES`) stays in cache; the tile is contiguous (its rows on a
few pages) and copied into the result once the strip is done. A strip reads the
segments ``A[j, c0:c0 + w]`` in place (no copy of A, which is what made this
blocking lose in NumPy), with a software prefetch :data:`PREFETCH_ROWS` rows ahead,
because the hardware prefetchers do not follow a stride of a whole row. The tile
is sized for L3, not L2: what a narrow strip saves on the result it loses on
reading A by short segments (below). For CountSketch (k = 1) the strips cost more
than they save (the strided reads of A against one update per row) and the kernel
sweeps full rows in place.

Threads (:func:`sketch.kernels._run`) take disjoint column strips (A is read once
in all), or, where A has fewer strips than threads, disjoint groups of output
rows. The kernels are serial and release the GIL (``nogil``): numba's own
threading layer is not used, its default ``workqueue`` layer aborts when two
Python threads enter a parallel function at once.

Why a compiled kernel (numba, with llvmlite, installs from wheels wherever pip
installs NumPy): SciPy's loop (SSE2 axpy, result rows wherever they fall) cannot
be blocked without copying A's strided segments, and that copy cost more than the
blocking saved (:mod:`sketch.kernels`). Measured for issue 20 (2-core machine
shared with two other engineers, load 7-11; A 100000 × 1000, s = 4000, k = 8; in
passes over A = time of ``A.T @ v``; SciPy's loop in the same run; ``python -m
benchmarks sketch --kinds countsketch sparse-sign --no-sparse --no-end-to-end``
with ``--threads 1 --cpu-time`` or ``--threads 1 2``, ``--repeat 4 --before``
the commit before this kernel):

* sparse sign, one thread, CPU time: 7.7 against 9.0 (float64), 7.2 against
  8.5 (float32); wall time, 1 / 2 threads: 7.0 / 7.2 against 8.3 / 9.2
  (float64), 5.7 / 5.6 against 7.3 / 7.3 (float32); in prototype runs
  earlier, at lower load: 4.5-5.6 against 5.5-7.3 (float64, one thread, CPU);
* CountSketch: 1.9 against 2.0-2.2 (one thread, CPU time), 1.5-2.0 on 1 / 2
  threads in wall time (full rows: the same loop as SciPy's, vectorised).

Those strips were 256 bytes wide (a 1 MB tile, in L2). Reading A alone by
segments of w columns, one per 8 KB row and prefetched, takes 2.6 passes at 256
bytes, 1.5-2.3 at 512 bytes to 2 KB and 0.75 over full rows (a plain sum, one
thread, CPU time, load 4-5), and that is most of what the narrow strips cost:
strips of 1 KB (w = 128 float64, 256 float32: the 4 MB tile in L3) took 7.1-9.0
passes against 10.5-12 for 256 bytes (float64) and 7.0-7.6 against 9.1-10.1 for
256 bytes (float32), in four runs interleaving the two in one process (one
thread, CPU time, load 1.5-5); 2 KB was no better, 4 KB and full rows lost
(13.9-16, float64). The benchmark, ``--before`` the 256-byte strips (ss29, load
1-4): one thread, CPU time, two runs, 8.7-9.0 against 11.7-12.2 (float64), 8.7
against 9.9-13.4 (float32); wall time, 1 / 2 threads: 8.4 / 6.3 against 10.6 /
8.1 (float64), 8.4 / 5.5 against 10.5 / 6.2 (float32), where CountSketch's
unchanged kernel read 0.66-1.15 times itself (wall time at this load is that
noisy). Narrower A (float64, wall time, medians of five interleaved runs, load
4.3, 1 / 2 threads): 2.9 / 2.8 against 4.6 / 4.8 passes (m = 400000, n = 128,
s = 4000: one strip, i.e. full rows, against four), 3.1 / 2.2 against 7.0 / 5.2
(m = 200000, n = 200, s = 2000), 6.1 / 3.3 against 5.9 / 4.6 (s = 800).

The sparse sign goal of 4 passes is out of reach here: with a 64-row result that
stays in L2 (the benchmark's ``result in cache`` rows, full rows of A, no strided
read) this kernel itself takes 3.7-4.3 passes (4.6-5.9 at load 1-4): each byte
of A moves 2k = 16 bytes of result between L2 and L1 (12.8 GB for this A), which
L2's bandwidth bounds; the strips add the strided reads of A on top. Under the
floor would need the result in L1, which at s = 4000 is one column.

Tried and dropped (ss29): summing by output row instead of scattering by row of
A, with the same bits (each output entry still summed over ascending j from +0).
A in blocks of B rows, S's nonzeros sorted by (block, output row, j) with a
counting sort, each output row's tile row held in registers (an LLVM vector
intrinsic, no FMA) while its pairs in the block are added, then stored once. Its
arithmetic alone (A in L1) took 2.1-4.1 passes for B = 4000-1000 (an output row
gets about B k / s pairs per block, and the loop over them mispredicts its exit
once per row and block), and the block of A is then read in random row order:
medians of five interleaved runs 9.5-10.8 passes (float64; 13.4-14.9 float32)
against 11.4-12.0 (9.5) for the 256-byte strips and 7.7-9.0 (7.3) for the 1 KB
strips; copying the block's strip contiguously first cost 3.6 passes for the
copy alone. Scattering in that sorted order (a block's result rows mostly in L1)
took 9.3-12.1 (10.8-13.1).

The first call of a process imports numba and loads the compiled code from its
cache (``cache=True``), about 1 s; with a cold cache, each of the four
compilations (two kernels, float32 and float64) takes about 1 s more.

Examples
--------
>>> import numpy as np
>>> rows = np.array([[0], [1], [0]], dtype=np.int32)
>>> vals = np.array([[1.0], [-1.0], [2.0]])
>>> A = np.arange(6.0).reshape(3, 2)
>>> scatter(rows, vals, A, 2, groups=[(0, 2)])
array([[ 8., 11.],
       [-2., -3.]])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from . import kernels

#: Bytes of the result's tile per strip (s × w entries), one per thread: in L3 (32 MB
#: here; L2 is 1 MB a core), so that A's strips are 1 KB wide at s = 4000.
TILE_BYTES = 4 << 20
#: Rows of A prefetched ahead of the one being scattered.
PREFETCH_ROWS = 8
#: Narrowest strip, in bytes of a row segment (one cache line).
MIN_STRIP_BYTES = 64


@intrinsic
def _prefetch(typingctx, arr, index):  # pragma: no cover - compiled
    """Prefetch ``arr[index]`` into every cache level (LLVM's ``llvm.prefetch``; the
    ``.p0`` name is the opaque-pointer form of llvmlite 0.50 / numba 0.68, the bound in
    pyproject.toml)."""

    def codegen(context, builder, sig, args):
        aryty = sig.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]],
                                       wraparound=False)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(arr, index), codegen


@njit(nogil=True, cache=True)
def _strips(rows, vals, a, lda, out, tile, c0, c1, width):  # pragma: no cover
    """``out[:, c0:c1] = (S A)[:, c0:c1]``, A's row j being ``a[j*lda:j*lda+n]``.

    Strips of ``width`` columns, each summed into ``tile`` (s × w, contiguous; the
    rows summed into are slices of a 1-D array, so that the inner loop is
    vectorised), then copied to ``out``.
    """
    m, k = rows.shape
    s = out.shape[0]
    line = max(1, 64 // a.itemsize)
    for s0 in range(c0, c1, width):
        w = min(c1, s0 + width) - s0
        dest = tile[: s * w]
        for q in range(s * w):
            dest[q] = 0
        last = (m - 1) * lda + s0
        for j in range(m):
            base = j * lda + s0
            ahead = min(base + PREFETCH_ROWS * lda, last)
            for q in range(0, w, line):
                _prefetch(a, ahead + q)
            x = a[base:base + w]
            for t in range(k):
                r = rows[j, t] * w
                y = dest[r:r + w]
                v = vals[j, t]
                for c in range(w):
                    y[c] += v * x[c]
        for i in range(s):
            for c in range(w):
                out[i, s0 + c] = dest[i * w + c]


@njit(nogil=True, cache=True)
def _rows(rows, vals, a, lda, out, i0, i1):  # pragma: no cover
    """``out[i0:i1] = (S A)[i0:i1]``, summed in place over full rows of A (the loop of
    SciPy's CSC product, restricted to the output rows ``i0 <= i < i1``)."""
    m, k = rows.shape
    n = out.shape[1]
    dest = out.reshape(-1)
    for q in range(i0 * n, i1 * n):
        dest[q] = 0
    for j in range(m):
        base = j * lda
        x = a[base:base + n]
        for t in range(k):
            i = rows[j, t]
            if i0 <= i < i1:
                y = dest[i * n:(i + 1) * n]
                v = vals[j, t]
                for c in range(n):
                    y[c] += v * x[c]


def strip_width(s: int, n: int, k: int, itemsize: int) -> int:
    """Columns per strip: all ``n`` for CountSketch (k = 1); otherwise as many as keep the
    s × w tile within :data:`TILE_BYTES`, whole cache lines, at least one."""
    if k == 1:
        return n
    line = max(1, MIN_STRIP_BYTES // itemsize)
    w = max(line, (TILE_BYTES // max(1, s * itemsize)) // line * line)
    return min(n, w)


def supported(A: np.ndarray) -> bool:
    """Whether the kernel takes ``A`` as it is: float32/float64, unit stride along its rows,
    a non-negative row stride."""
    return (A.dtype in (np.float32, np.float64) and A.ndim == 2
            and (A.shape[1] == 1 or A.strides[1] == A.itemsize)
            and A.strides[0] >= 0 and A.strides[0] % A.itemsize == 0)


def scatter(rows: np.ndarray, vals: np.ndarray, A: np.ndarray, s: int,
            groups: Sequence[tuple[int, int]], width: int | None = None) -> np.ndarray:
    """``S @ A`` (s × n, C order) for S with nonzeros ``rows``/``vals`` (m × k each) and a
    dense ``A`` (m × n) that :func:`supported` accepts.

    ``groups`` are disjoint row ranges covering ``range(s)``, the threads' tasks when
    the kernel sweeps full rows (CountSketch, or fewer strips than
    :func:`sketch.kernels.threads`); ``width`` overrides
    :func:`strip_width` (the bits are the same for any width).
    """
    m, n = A.shape
    k = rows.shape[1]
    rows = np.ascontiguousarray(rows, dtype=np.int32)
    vals = np.ascontiguousarray(vals, dtype=A.dtype)
    lda = A.strides[0] // A.itemsize if m > 1 else n
    flat = np.lib.stride_tricks.as_strided(A, shape=((m - 1) * lda + n,),
                                           strides=(A.itemsize,), writeable=False)
    w = strip_width(s, n, k, A.itemsize) if width is None else max(1, min(n, width))
    out = np.empty((s, n), dtype=A.dtype)
    strips = -(-n // w)
    if w < n and strips >= kernels.threads():
        # each thread takes consecutive strips, one tile for all of them
        spans = [(a * w, min(n, b * w)) for a, b in kernels._ranges(strips, kernels.threads())]
        kernels._run(lambda c: _strips(rows, vals, flat, lda, out,
                                       np.empty(s * min(w, c[1] - c[0]), A.dtype), c[0], c[1], w),
                     spans)
    else:  # full rows, each thread its own output rows
        kernels._run(lambda g: _rows(rows, vals, flat, lda, out, g[0], g[1]),
                     groups if kernels.threads() > 1 else [(0, s)])
    return out
