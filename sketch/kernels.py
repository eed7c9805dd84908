"""Host kernels that apply the sketching operators near the speed of memory.

:mod:`sketch.operators` defines the operators (their laws, their interface);
this module holds how ``S @ A`` is computed for NumPy and SciPy inputs. Every
kernel reads A once (or a small constant number of times), splits the work
over threads, and gives the same bits for the same seed whatever the number of
threads:

* **CountSketch, sparse sign** (``S`` with k nonzeros per column): a
  scatter-add of A's rows, ``(S A)_i = Σ_{j: h(j)=i} v_j A_j``, compiled
  (:mod:`sketch.scatter_kernel`): sparse sign in column strips whose s × w
  tile of the result stays in cache, threads taking disjoint strips; CountSketch
  over full rows, threads taking disjoint groups of output rows. Every output
  entry is summed over ascending j in every split, so the result is bitwise
  independent of the thread count and strip width, and equal to SciPy's CSC
  product (which still serves A whose rows are not contiguous, e.g.
  ``A @ S.T`` on a C-ordered A, column block by column block). Sparse A is
  scattered entry by entry (``coo → dense``, ascending j again).
* **Gaussian, Rademacher** (dense S): a GEMM whose left factor is generated
  block by block just ahead of use: for each block of A's rows the threads
  first draw that block of S from the keyed stream, written in place in
  chunks that stay in cache (:mod:`sketch.rng_host`), then multiply it in
  fixed chunks of S's rows (both phases use every thread, so overlapping them
  would not add parallelism). Blocks are fixed by the sketch size only, so the
  sum over blocks has one order. A normal entry costs 3.7-3.9 ns of CPU time
  on the development machine (one thread; ``python -m benchmarks stream``):
  1.9 its word of the compiled Philox (:mod:`sketch.philox_kernel`, at the
  vector units' throughput), 1.2 NumPy's ``log1p`` and ``tan`` (half an
  entry each), 0.5 the rest of the Box–Muller; against ``2n`` flops of GEMM
  per entry of S. With NumPy's Philox and ufuncs it cost 8.3-9.4 ns. For A
  25000 × 1000 and s = 4000, in CPU time against the same blocked GEMM with
  S made beforehand (``python -m benchmarks sketch --size 25000 1000 4000
  --kinds gaussian --no-sparse --no-end-to-end --threads 1 2 --repeat 4
  --before 626b322 --cpu-time``, machine shared with two other jobs, load
  3-4): 1.29× / 1.15× in float64 on 1 / 2 threads (1.44× / 1.33× before),
  1.31× / 1.33× in float32 (1.65× / 1.55×); with the three runs
  interleaved, best of 4: 1.16× / 1.13× (1.28× / 1.26×) and 1.32× / 1.26×
  (1.54× / 1.56×). At the issue's A 100000 × 1000 on the quiet machine, wall
  time (``--kinds gaussian --no-sparse --no-end-to-end --threads 1 2 --repeat 2
  --before 626b322 --tag quiet-stop29-wall-2``): 1.14× / 1.16× in float64,
  1.40× / 1.56× in float32 (1.33× / 1.36× and 1.73× / 1.94× before). What
  remains: the
  entries (float32's GEMM is twice as fast, so they weigh twice as much) and
  the GEMM in chunks of :data:`GEMM_ROWS` rows, each repacking the block of
  A (1.01-1.02× the one GEMM in float64, 1.07× in float32; 1024 rows took
  1.0×, but change the float64 result's rounding).
* **SRHT** (Walsh–Hadamard or DCT): :mod:`sketch.srht_kernel`.

Compiled code: BLAS (the dense sketches), SciPy (sparse A, and A with strided
rows) and numba for the scatter of the sparse sketches (its reason and
measurements in :mod:`sketch.scatter_kernel`), all releasing the GIL, so that
plain Python threads use every core. What was tried before the compiled
scatter, for issue 20 (2-core machine shared with other jobs, A 100000 × 1000,
s = 4000, k = 8, CPU time of one thread, in passes over A = time of
``A.T @ v``): SciPy's loop (SSE2 axpy into result rows wherever they fall)
took 2.0-2.2 passes for CountSketch and 7.5-8.8 for sparse sign, against 1.4
and 3.6-3.8 with a result that stays in L2 (s = 64); blocking it into cache
needed a contiguous copy of A's strided strips, which cost about 4 passes
(9.1-11.7 in all); both threads on one row tile of A, segment sums
(``np.add.reduceat`` after a gather: 8.4 passes for the gather alone), CSR
against CSC, and more or fewer groups of output rows gained nothing.

The compiled scatter's own measurements, and why the sparse sign's goal of 4
passes stays out of reach on this machine (its floor), are in
:mod:`sketch.scatter_kernel`.

The number of threads is :func:`threads` (all CPUs this process may use,
unless set with :func:`set_threads`); BLAS keeps its own thread setting
(:func:`blas_threads` reads it).

A multithreaded OpenBLAS call leaves its worker threads spinning for about
2**28 cycles (0.1 s) after it returns, and a threaded kernel started in that
window shares a core with them: on the 2-core machine a CountSketch called
right after a BLAS dot took 0.114 s against 0.063 s after an idle 0.3 s
(issue 20). Nothing here can stop the spin (``threadpoolctl``'s limit does
not), so the kernels make no BLAS call of their own after the scatter
(:func:`sketch.checks.all_finite`); a caller alternating large BLAS calls
with sketches can shorten the spin with ``OPENBLAS_THREAD_TIMEOUT`` (read
when NumPy loads OpenBLAS).

Examples
--------
>>> import numpy as np
>>> from sketch import CountSketch
>>> A = np.arange(12.0).reshape(6, 2)
>>> S = CountSketch(3, 6, seed=0)
>>> previous = set_threads(1)
>>> one = S @ A
>>> _ = set_threads(2)
>>> bool(np.array_equal(one, S @ A))
True
>>> _ = set_threads(previous)
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import scipy.sparse

_threads: int | None = None
_controller: Any = None  # threadpoolctl's, made on first use

#: Entries of a dense sketch generated per task (the stream works in cache-sized chunks
#: of :data:`sketch.rng_host.PAIRS` pairs; a task holds several, so that the threads
#: seldom wait for each other's Python overhead).
GENERATE_CHUNK = 1 << 18
#: Rows of a dense sketch per GEMM task (fixed, so that results do not depend on threads).
GEMM_ROWS = 256
#: Bytes of a contiguous copy of A made per task when A's rows are not contiguous.
COPY_BYTES = 1 << 23


def threads() -> int:
    """Threads the apply kernels use: :func:`set_threads`'s value, else every usable CPU.

    Examples
    --------
    >>> threads() >= 1
    True
    """
    if _threads is not None:
        return _threads
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS/Windows
        return os.cpu_count() or 1


def set_threads(n: int | None) -> int | None:
    """Set the kernels' thread count (``None``: every usable CPU); returns the old setting.

    Results do not depend on it: every kernel gives the same bits for any count.
    """
    global _threads
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"the number of threads must be a positive integer or None, got {n!r}")
    previous, _threads = _threads, n
    return previous


def release_buffers() -> int:
    """Free the work buffers kept between calls (see :class:`_Scratch`); returns the bytes freed.

    The SRHT kernel keeps up to :func:`threads` buffers (hundreds of MB for a large A) so
    that later calls skip their first touch; call this when that memory is needed back.

    Examples
    --------
    >>> release_buffers() >= 0
    True
    """
    with _spare_lock:
        freed = sum(buf.nbytes for buf in _spare)
        _spare.clear()
    return freed


def _blas_controller() -> Any:
    """threadpoolctl's controller of the loaded BLAS libraries (made once)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def blas_threads() -> int:
    """Threads BLAS may use now: the fewest over the loaded BLAS libraries (read in under
    a microsecond; 1 where threadpoolctl finds no BLAS it knows). A caller who limits BLAS,
    e.g. with ``threadpoolctl.threadpool_limits(1)``, limits what this returns.

    Examples
    --------
    >>> blas_threads() >= 1
    True
    """
    libs = _blas_controller().lib_controllers
    if not libs:  # pragma: no cover - a BLAS threadpoolctl does not know
        return 1
    return max(1, min(lib.get_num_threads() for lib in libs))


def _blas_threads(n: int) -> Any:
    """Limit BLAS to ``n`` threads while our own threads call it: a multithreaded BLAS
    inside each of several threads oversubscribes the cores, and small GEMMs then slow
    down by orders of magnitude. Nothing to do (and no limit to restore) where BLAS
    already uses at most ``n``."""
    if blas_threads() <= n:
        return contextlib.nullcontext()
    return _blas_controller().limit(limits=n)


#: The BLAS thread count of the caller of :func:`serial_blas` (per thread), while it holds.
_serial = threading.local()


def caller_blas_threads() -> int:
    """Threads BLAS may use for the caller: :func:`blas_threads`, or, inside
    :func:`serial_blas`, what it was when that began (the passes over A,
    :func:`sketch.lstsq_products.pass_threads`, keep using every such core)."""
    held = getattr(_serial, "threads", None)
    return blas_threads() if held is None else held


@contextlib.contextmanager
def serial_blas() -> Iterator[None]:
    """BLAS on one thread for the small dense work of a sketched solve (the QR of S·A, the
    triangular solves with its R), remembering the caller's count for the big passes over A
    (:func:`caller_blas_threads`); nested uses add nothing.

    On two OpenBLAS threads the QR of a 2400 × 201 sketch took 19–20 ms against 12–13 ms
    on one, and the shifted R of the backward-error estimate about 19 ms against 1 ms
    (issue fp25's profile of a 20000 × 200 ``lstsq``): such work is too small to split.
    """
    if getattr(_serial, "threads", None) is not None:
        yield
        return
    _serial.threads = blas_threads()
    try:
        with _blas_threads(1):
            yield
    finally:
        _serial.threads = None


def _run(fn: Callable[[Any], None], items: Iterable[Any]) -> None:
    """``fn(item)`` for every item, on up to :func:`threads` threads."""
    items = list(items)
    n = min(threads(), len(items))
    if n <= 1:
        for item in items:
            fn(item)
        return
    with ThreadPoolExecutor(n) as pool:
        for _ in pool.map(fn, items):
            pass


#: The pool :func:`_run_kept` keeps between calls, with its size and the process that made it.
_kept: tuple[ThreadPoolExecutor, int, int] | None = None
_kept_lock = threading.Lock()


def _run_kept(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """``[fn(item) for item in items]``, the first item on the calling thread and the others
    on a pool kept between calls: for work called many times a second (the least-squares
    refinement's passes over A, :mod:`sketch.lstsq_products`), where making a pool per call
    costs more than it saves. The pool is remade when :func:`threads` asks for more workers
    or after a fork (a child has none of its parent's threads). ``fn`` must not call this
    itself: a task waiting on the pool it runs in can wait forever.
    """
    global _kept
    if len(items) <= 1:
        return [fn(item) for item in items]
    workers = max(1, threads() - 1)
    with _kept_lock:
        if _kept is None or _kept[1] < workers or _kept[2] != os.getpid():
            if _kept is not None and _kept[2] == os.getpid():
                _kept[0].shutdown(wait=False)
            _kept = (ThreadPoolExecutor(workers, thread_name_prefix="sketch-kept"), workers,
                     os.getpid())
        pool = _kept[0]
    futures = [pool.submit(fn, item) for item in items[1:]]
    first = fn(items[0])
    return [first] + [f.result() for f in futures]


def _ranges(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` near-equal consecutive ranges covering ``range(n)`` (empty ones dropped)."""
    cuts = [(i * n) // parts for i in range(parts + 1)]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


# -- sparse sketches: scatter-add of A's rows ------------------------------------------------


def scatter_dense(S: Any, A: np.ndarray, groups: Sequence[tuple[int, int]]) -> Any:
    """``S @ A`` for a SciPy CSC ``S`` (s × m, the same k nonzeros in every column) and a
    dense ``A`` (m × n).

    Rows of A with unit stride in S's dtype: the compiled scatter
    (:func:`sketch.scatter_kernel.scatter`; ``groups``, disjoint row ranges of S
    covering all s rows, are its tasks when A is too narrow to split by columns).
    Otherwise (e.g. ``A @ S.T`` on a C-ordered A): column blocks of A made
    contiguous, each times S by SciPy. Each output entry is the sum over ascending
    j either way: bitwise-stable.
    """
    s, n = S.shape[0], A.shape[1]
    dtype = np.result_type(S.dtype, A.dtype)
    from . import scatter_kernel

    if A.dtype == dtype == S.dtype and scatter_kernel.supported(A):
        k = S.nnz // max(1, S.shape[1])
        return scatter_kernel.scatter(S.indices.reshape(-1, k), S.data.reshape(-1, k), A, s,
                                      groups)
    out = np.empty((s, n), dtype=dtype)
    width = max(1, COPY_BYTES // max(1, A.shape[0] * A.itemsize))

    def columns(c: tuple[int, int]) -> None:
        out[:, c[0]:c[1]] = S @ np.ascontiguousarray(A[:, c[0]:c[1]])

    _run(columns, [(c0, min(n, c0 + width)) for c0 in range(0, n, width)])
    return out


def scatter_sparse(rows: np.ndarray, vals: np.ndarray, A: Any, s: int) -> np.ndarray:
    """``S @ A`` for S given by ``rows``/``vals`` (m × k: the k nonzeros of each column)
    and a SciPy sparse ``A``: each stored entry ``A[j, c]`` adds ``vals[j, t]·A[j, c]`` to
    row ``rows[j, t]``, in CSR order of A (ascending j), into a dense s × n result."""
    A = A.tocsr()
    m, k = rows.shape
    j = np.repeat(np.arange(m), np.diff(A.indptr))
    out_rows = rows[j].ravel()
    values = (vals[j] * A.data[:, None]).ravel()
    cols = np.repeat(A.indices, k)
    coo = scipy.sparse.coo_matrix((values, (out_rows, cols)), shape=(s, A.shape[1]))
    return coo.toarray()


# -- dense sketches: GEMM with the left factor generated just ahead of use ------------------


def generated_gemm(entries: Callable[[int, np.ndarray], None], s: int, A: Any,
                   block_rows: int, dtype: Any) -> np.ndarray:
    """``S @ A`` for a dense s × m ``S`` whose entry ``S[i, j]`` is number ``j·s + i`` of a
    stream: ``entries(start, out)`` writes the numbers ``start, start + 1, ...`` into the
    contiguous 1-D ``out``.

    A is walked in blocks of ``block_rows`` rows. For each, the threads first make
    ``G = S[:, j0:j1]ᵀ``, whose numbers are one contiguous run of the stream, in
    cache-sized runs; then they take chunks of :data:`GEMM_ROWS` rows of S for
    the GEMMs ``out[i0:i1] += G[:, i0:i1]ᵀ A[j0:j1]`` (BLAS on one thread each),
    so the block of A is read from memory once. Blocks and chunks, hence every
    sum's order, do not depend on the thread count.
    """
    m, n = A.shape
    out = np.empty((s, n), dtype=np.result_type(dtype, A.dtype))
    chunks = [(i0, min(s, i0 + GEMM_ROWS)) for i0 in range(0, s, GEMM_ROWS)]
    G_all = np.empty((block_rows, s), dtype=dtype)
    step = max(1, GENERATE_CHUNK // s)  # rows of G per run of the stream

    def generate(r: tuple[int, int, int]) -> None:
        j0, a, b = r
        flat = G_all[a - j0:b - j0].reshape(-1)
        entries(a * s, flat)

    def gemm(task: tuple[int, int, int, int]) -> None:
        j0, j1, i0, i1 = task
        part = G_all[: j1 - j0, i0:i1].T @ A[j0:j1]
        if j0 == 0:
            out[i0:i1] = part
        else:
            out[i0:i1] += part

    with _blas_threads(1):
        for j0 in range(0, m, block_rows):
            j1 = min(m, j0 + block_rows)
            _run(generate, [(j0, a, min(j1, a + step)) for a in range(j0, j1, step)])
            _run(gemm, [(j0, j1, i0, i1) for i0, i1 in chunks])
    return out


#: Work buffers that finished calls gave back, largest first (see :class:`_Scratch`).
_spare: list[np.ndarray] = []
_spare_lock = threading.Lock()


class _Scratch:
    """Work buffers of one kernel call, taken from those earlier calls gave back.

    A large fresh buffer costs its first touch on every call: a page fault per page and,
    with transparent huge pages, possibly the system compacting memory to find them. On
    the development machine a fresh 134 MB buffer took 33-50 ms to fill and the first
    of a run 300 ms (0.6-6 passes over A), which made the SRHT's time swing from call
    to call (issue 20). Buffers go back to a spare list when the call ends; up to
    :func:`threads` of them (the largest) are kept for the next call, on any thread, so
    that memory stays bounded by one call's needs; :func:`release_buffers` frees them.
    Concurrent calls never share one.
    """

    def __init__(self) -> None:
        self.taken: list[np.ndarray] = []

    def take(self, dtype: Any, sizes: Sequence[int]) -> list[np.ndarray]:
        """Arrays of ``dtype`` with the given numbers of entries, cut from one buffer,
        each starting on a cache line."""
        dtype = np.dtype(dtype)
        spans = [-(-k * dtype.itemsize // 64) * 64 for k in sizes]
        need = sum(spans) + 64
        with _spare_lock:
            fits = [i for i, buf in enumerate(_spare) if buf.nbytes >= need]
            buf = _spare.pop(fits[-1]) if fits else None  # the smallest that fits
        if buf is None:
            buf = np.empty(need, dtype=np.uint8)
        self.taken.append(buf)
        start = -buf.ctypes.data % 64
        out = []
        for k, span in zip(sizes, spans):
            out.append(buf[start:start + k * dtype.itemsize].view(dtype))
            start += span
        return out

    def __enter__(self) -> _Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        with _spare_lock:
            _spare.extend(self.taken)
            _spare.sort(key=lambda buf: buf.nbytes, reverse=True)
            del _spare[threads():]


def _view(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``x`` reshaped without a copy (an error if the strides do not allow it: the kernels
    write into these views)."""
    v = x.view()
    v.shape = shape
    return v
