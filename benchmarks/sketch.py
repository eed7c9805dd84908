"""Sketch-apply benchmark: ``S @ A`` for every operator, in passes over A, before and after.

``python -m benchmarks sketch [--quick]``. A is dense 100000×1000 (800 MB in
float64; ``--quick``: 20000×500) or sparse with density 10⁻³; the sketch has
4000 rows (``--quick``: 1000). For every operator (sparse sign with its
default k = 8), float64 and float32, 1 and 2 threads (our kernels' threads and
BLAS threads alike), it times ``S @ A`` now and with the implementation before
the apply kernels (``sketch/operators.py`` at commit ``--before``, loaded from
git, with ``sketch/kernels.py`` and the host stream ``sketch/rng_host.py`` of that
commit where it has them, so that ``--before REV`` also compares two versions of
the kernels or of the stream; issue 20), and reports:

* ``passes``: the time over one pass over A, ``A.T @ v`` timed in the same
  setting (for sparse A that pass is tiny, so sparse rows are dominated by
  writing the dense s × n result);
* ``after_first_passes``: the first of those calls in the process (an SRHT's first call
  of a process makes the work buffers that later calls reuse);
* ``GB/s``: bytes of A (dense: m·n·itemsize; sparse: data + indices) per second;
* ``speedup``: before/after; ``goal``: the issue's targets on this machine
  (CountSketch ≤ 2 passes, sparse sign ≤ 4, SRHT ≤ 10, Gaussian ≤ 1.2× a
  plain GEMM of the same shape, timed as the same blocked GEMM with S made
  beforehand: the ``gemm`` row).

``before`` and ``after`` results are compared to each other (relative error,
``rel_diff``), so that no row is faster by being different. Then the end to
end effect: ``sketch.lstsq`` (its default sketch-and-precondition with sparse
sign) and ``sketch.randomized_svd`` (its default Gaussian test matrix) at their
defaults on one problem each, with the old and the new operators.
The machine is shared with other work: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from benchmarks.harness import write_results

COLUMNS = ["A", "dtype", "threads", "operator", "before_s", "after_s", "speedup",
           "before_passes", "after_passes", "after_first_passes", "after_GB/s", "goal", "met",
           "rel_diff"]
E2E_COLUMNS = ["call", "threads", "before_s", "after_s", "speedup", "before_metric",
               "after_metric", "metric"]
#: The last commit before the apply kernels (issue 20): the reference implementation.
BEFORE = "be05d37"
KINDS = ["countsketch", "sparse-sign", "srht", "srht-dct", "rademacher", "gaussian"]
GOALS = {"countsketch": ("passes", 2.0), "sparse-sign": ("passes", 4.0),
         "srht": ("passes", 10.0), "gaussian": ("gemm", 1.2)}
#: The scatter sketches, for their extra rows (cache-resident bound, ``A @ S.T``).
SCATTER_KINDS = ("countsketch", "sparse-sign")
#: Sketch rows of the bound rows: the s × n result (≤ 512 KB here) stays in L2.
CACHED_ROWS = 64


def _module_at(rev: str, path: str, name: str,
               siblings: dict[str, str] | None = None) -> types.ModuleType | None:
    """The file ``path`` at git revision ``rev`` as module ``name`` of the ``sketch`` package.

    ``siblings`` maps a module the file imports (``from . import kernels``) to the module
    of ``rev`` to take instead (``_kernels_before``). The source is run from a file in a
    temporary folder, so that numba can cache the compiled kernels it defines
    (``cache=True`` needs a file).
    """
    root = Path(__file__).resolve().parent.parent
    try:
        src = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root,
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for sibling, other in (siblings or {}).items():
        src = src.replace(f"from . import {sibling}\n", f"from . import {other} as {sibling}\n")
    file = Path(_source_dir.name) / f"{name.rpartition('.')[2]}.py"
    file.write_text(src)
    module = types.ModuleType(name)
    module.__package__ = "sketch"
    module.__file__ = str(file)
    sys.modules[name] = module  # for the siblings' imports
    exec(compile(src, str(file), "exec"), module.__dict__)  # noqa: S102
    return module


#: Where the ``before`` revision's modules are run from (removed when the process ends).
_source_dir = tempfile.TemporaryDirectory(prefix="qla-before-")


def load_before(rev: str) -> types.ModuleType | None:
    """``sketch/operators.py`` at ``rev`` as a module of the current ``sketch`` package."""
    module = _module_at(rev, "sketch/operators.py", "sketch._operators_before")
    if module is None:
        return None
    # the apply kernels of then too, where ``rev`` has them (a before/after of a kernel),
    # and their compiled scatter, so that a change to it is compared with its old self
    kernels = _module_at(rev, "sketch/kernels.py", "sketch._kernels_before",
                         {"scatter_kernel": "_scatter_kernel_before"})
    if kernels is not None:
        module.kernels = kernels
        _BEFORE_KERNELS.append(kernels)
        _module_at(rev, "sketch/scatter_kernel.py", "sketch._scatter_kernel_before",
                   {"kernels": "_kernels_before"})
    # and the host stream of then (the dense sketches' entries), used by as_before
    module.rng_host = _module_at(rev, "sketch/rng_host.py", "sketch._rng_host_before")
    return module


def as_before(before: Any, fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` made to run with the ``before`` revision's host stream (``sketch/rng_host.py``
    at ``--before``, where it has one): the same entries, drawn the old way."""
    stream = getattr(before, "rng_host", None)
    if stream is None:
        return fn

    def run() -> Any:
        import sketch.rng as rng

        current, rng.rng_host = rng.rng_host, stream
        try:
            return fn()
        finally:
            rng.rng_host = current

    return run


#: The ``before`` revision's kernel module, where it has one (its threads are set alike).
_BEFORE_KERNELS: list[types.ModuleType] = []


@contextlib.contextmanager
def threads(n: int):
    """Our kernels and BLAS both on ``n`` threads."""
    from threadpoolctl import threadpool_limits

    import sketch.kernels as kernels

    previous = [k.set_threads(n) for k in (kernels, *_BEFORE_KERNELS)]
    try:
        with threadpool_limits(limits=n, user_api="blas"):
            yield
    finally:
        for k, p in zip((kernels, *_BEFORE_KERNELS), previous, strict=True):
            k.set_threads(p)


#: The clock: wall time, or this process's CPU time with ``--cpu-time``.
_clock: Callable[[], float] = time.perf_counter


def timed_runs(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """The first and the best time of ``fn()``, and its result: one run, and ``repeat`` more
    when it is under 5 s (a first call may pay for fresh buffers that later calls reuse:
    the SRHT's, issue 20; on a loaded machine a 2-thread SRHT took 1-3.5 s, and one cold
    sample was all it got under 1 s)."""
    t0 = _clock()
    out = fn()
    first = best = _clock() - t0
    if best < 5.0:
        for _ in range(repeat):
            t0 = _clock()
            fn()
            best = min(best, _clock() - t0)
    return first, best, out


def best_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best time of ``fn()`` and its result (:func:`timed_runs`)."""
    _, best, out = timed_runs(fn, repeat)
    return best, out


def one_pass(A: Any, repeat: int) -> float:
    v = np.ones(A.shape[0], dtype=A.dtype)
    return best_time(lambda: A.T @ v, max(repeat, 3))[0]


def gemm_time(A: np.ndarray, s: int, repeat: int) -> float:
    """``S @ A`` as the Gaussian kernel's blocked GEMM, with S's blocks made beforehand."""
    from sketch.operator_base import _BLOCK_ENTRIES

    rows = max(1, _BLOCK_ENTRIES // s)
    G = np.random.default_rng(0).standard_normal((rows, s)).astype(A.dtype)

    def run():
        out = np.zeros((s, A.shape[1]), dtype=A.dtype)
        for j0 in range(0, A.shape[0], rows):
            j1 = min(A.shape[0], j0 + rows)
            out += G[: j1 - j0].T @ A[j0:j1]
        return out

    return best_time(run, repeat)[0]


def operator_rows(A: Any, label: str, s: int, before: Any, repeat: int, thread_counts,
                  skip_before: set[str], kinds: list[str]) -> list[dict[str, Any]]:
    import sketch.operators as ops

    rows = []
    m = A.shape[0]
    nbytes = A.data.nbytes + A.indices.nbytes if sp.issparse(A) else A.nbytes
    for n_threads in thread_counts:
        with threads(n_threads):
            p = one_pass(A, repeat)
            gemm = (gemm_time(A, s, repeat)  # the Gaussian's reference only
                    if not sp.issparse(A) and "gaussian" in kinds else None)
            if gemm is not None:
                rows.append({"A": label, "dtype": A.dtype.name, "threads": n_threads,
                             "operator": "gemm", "after_s": gemm, "after_passes": gemm / p,
                             "after_GB/s": nbytes / gemm / 1e9})
            for kind in kinds:
                first, after_t, after = timed_runs(
                    lambda k=kind: ops.make_operator(k, s, m, seed=0) @ A, repeat)
                row = {"A": label, "dtype": A.dtype.name, "threads": n_threads,
                       "operator": kind, "after_s": after_t, "after_passes": after_t / p,
                       "after_first_passes": first / p, "after_GB/s": nbytes / after_t / 1e9}
                if before is not None and kind not in skip_before:
                    before_t, ref = best_time(as_before(
                        before, lambda k=kind: before.make_operator(k, s, m, seed=0) @ A), repeat)
                    row.update(before_s=before_t, before_passes=before_t / p,
                               speedup=before_t / after_t,
                               rel_diff=float(np.abs(ref - after).max() / np.abs(ref).max()))
                goal = GOALS.get(kind)
                if goal is not None and not sp.issparse(A):
                    what, limit = goal
                    value = after_t / p if what == "passes" else after_t / gemm
                    row["goal"] = f"{'passes' if what == 'passes' else 'x gemm'} <= {limit:g}"
                    row["met"] = f"{'yes' if value <= limit else 'no'} ({value:.2g})"
                rows.append(row)
                print(row, flush=True)
    return rows


def scatter_rows(A: np.ndarray, s: int, before: Any, repeat: int, thread_counts,
                 kinds: list[str]) -> list[dict[str, Any]]:
    """The scatter sketches' extra rows on dense A, in passes over A:

    * ``KIND, result in cache``: the same kernel with :data:`CACHED_ROWS` sketch rows, so
      that the result stays in L2 while A streams from memory: the floor of that kernel
      on this machine, which no blocking of the s-row result can beat;
    * ``KIND, A @ S.T``: the product from the right on the C-ordered transpose of A
      (before/after like the main rows).
    """
    import sketch.operators as ops

    rows = []
    m = A.shape[0]
    At = np.ascontiguousarray(A.T)
    for n_threads in thread_counts:
        with threads(n_threads):
            p = one_pass(A, repeat)
            for kind in (k for k in kinds if k in SCATTER_KINDS):
                cases = {f"{kind}, result in cache (s={CACHED_ROWS})":
                         (lambda mk, k=kind: mk(k, CACHED_ROWS, m, seed=0) @ A, False),
                         f"{kind}, A @ S.T": (lambda mk, k=kind: At @ mk(k, s, m, seed=0).T,
                                              True)}
                for name, (call, compare) in cases.items():
                    after_t, after = best_time(lambda c=call: c(ops.make_operator), repeat)
                    row = {"A": "dense", "dtype": A.dtype.name, "threads": n_threads,
                           "operator": name, "after_s": after_t, "after_passes": after_t / p,
                           "after_GB/s": A.nbytes / after_t / 1e9}
                    if compare and before is not None:
                        before_t, ref = best_time(
                            as_before(before, lambda c=call: c(before.make_operator)), repeat)
                        row.update(before_s=before_t, before_passes=before_t / p,
                                   speedup=before_t / after_t,
                                   rel_diff=float(np.abs(ref - after).max()
                                                  / np.abs(ref).max()))
                    rows.append(row)
                    print(row, flush=True)
    return rows


def end_to_end(before: Any, quick: bool, repeat: int, thread_counts) -> list[dict[str, Any]]:
    """``sketch.lstsq`` and ``sketch.randomized_svd`` at their defaults, old vs new operators."""
    import sketch.operators as ops
    from sketch import lstsq, randomized_svd

    rng = np.random.default_rng(1)
    m, n = (20000, 100) if quick else (200000, 200)
    A = rng.standard_normal((m, n)) * np.logspace(0, 4, n)  # condition number 10⁴
    b = A @ rng.standard_normal(n) + 1e-3 * rng.standard_normal(m)
    mm, nn, k = (4000, 1000, 50) if quick else (20000, 4000, 50)
    U, _ = np.linalg.qr(rng.standard_normal((mm, k)))
    V, _ = np.linalg.qr(rng.standard_normal((nn, k)))
    sv = np.exp(-np.arange(k) / 10.0)
    B = (U * sv) @ V.T + 1e-4 / np.sqrt(nn) * rng.standard_normal((mm, nn))
    calls = {
        f"lstsq {m}x{n}": (lambda: lstsq(A, b, seed=0),
                           lambda r: float(np.linalg.norm(A.T @ (A @ r.x - b))
                                           / np.linalg.norm(A.T @ b)), "‖Aᵀr‖/‖Aᵀb‖"),
        f"randomized_svd {mm}x{nn} k={k}": (lambda: randomized_svd(B, k, seed=0),
                                             lambda r: float(np.abs(r.s - sv).max()),
                                             "max abs(σ - σ_true)"),
    }
    rows = []
    for n_threads in thread_counts:
        with threads(n_threads):
            for name, (call, metric, metric_name) in calls.items():
                after_t, res = best_time(call, repeat)
                row = {"call": name, "threads": n_threads, "after_s": after_t,
                       "after_metric": metric(res), "metric": metric_name}
                if before is not None:
                    # every sketch module that builds operators gets the old ones
                    users = [mod for name, mod in list(sys.modules.items())
                             if name.startswith("sketch.") and mod is not ops
                             and getattr(mod, "make_operator", None) is ops.make_operator]
                    for mod in users:
                        mod.make_operator = before.make_operator
                    try:
                        before_t, res_b = best_time(as_before(before, call), repeat)
                    finally:
                        for mod in users:
                            mod.make_operator = ops.make_operator
                    row.update(before_s=before_t, speedup=before_t / after_t,
                               before_metric=metric(res_b))
                rows.append(row)
                print(row, flush=True)
    return rows


def write_end_to_end(before: Any, args: argparse.Namespace) -> None:
    e2e = end_to_end(before, args.quick, args.repeat, args.threads)
    write_results("sketch-end-to-end" + ("-quick" if args.quick else "")
                  + (f"-{args.tag}" if args.tag else ""), e2e,
                  E2E_COLUMNS, "Default calls; before = the same call with the old operators.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks sketch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="A 20000×500, s = 1000")
    parser.add_argument("--size", type=int, nargs=3, metavar=("M", "N", "S"),
                        help="A's rows and columns and the sketch size")
    parser.add_argument("--repeat", type=int, default=2, help="extra runs when under 5 s")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--before", default=BEFORE, help="git revision of the reference")
    parser.add_argument("--skip-before", nargs="*", default=[],
                        help="operators whose (slow) reference run is skipped")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=KINDS,
                        help="operators to time (a subset writes sketch-KIND-... files)")
    parser.add_argument("--sparse", action=argparse.BooleanOptionalAction, default=True,
                        help="also time sparse A")
    parser.add_argument("--no-end-to-end", action="store_true")
    parser.add_argument("--end-to-end-only", action="store_true",
                        help="only the lstsq / randomized_svd comparison")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by this process's CPU time (summed over its threads), not "
                             "wall time: on a shared machine, time spent waiting for a core "
                             "does not count")
    parser.add_argument("--tag", default="",
                        help="added to the result files' names (e.g. a branch or a setting)")
    args = parser.parse_args(argv)
    global _clock
    _clock = time.process_time if args.cpu_time else time.perf_counter
    m, n, s = args.size or ((20000, 500, 1000) if args.quick else (100000, 1000, 4000))
    before = load_before(args.before)
    if before is None:
        print(f"cannot load sketch/operators.py at {args.before} from git: no 'before' columns")
    if args.end_to_end_only:
        write_end_to_end(before, args)
        return 0
    rng = np.random.default_rng(0)
    rows: list[dict[str, Any]] = []
    A64 = rng.standard_normal((m, n))
    for A, label in ((A64, "dense"), (A64.astype(np.float32), "dense")):
        rows += operator_rows(A, label, s, before, args.repeat, args.threads,
                              set(args.skip_before), args.kinds)
        rows += scatter_rows(A, s, before, args.repeat, args.threads, args.kinds)
    del A64, A
    As = sp.random(m, n, density=1e-3, random_state=1, format="csr")
    for A in (As, As.astype(np.float32)) if args.sparse else ():
        rows += operator_rows(A, "sparse 1e-3", s, before, args.repeat, args.threads,
                              set(args.skip_before), args.kinds)
    notes = (f"A {m}×{n}, sketch size {s}; passes = time / time of A.T @ v in the same "
             "setting; before = sketch/operators.py (and kernels.py, rng_host.py, where it "
             f"has them) at {args.before}; "
             + ("CPU time of the process (summed over threads). " if args.cpu_time
                else "wall time. ")
             + "Shared machine: compare ratios within this run.")
    subset = "" if args.kinds == KINDS else "-" + "-".join(args.kinds)
    tag = f"-{args.tag}" if args.tag else ""
    write_results("sketch" + subset + ("-quick" if args.quick else "") + tag, rows, COLUMNS, notes)
    if not args.no_end_to_end:
        write_end_to_end(before, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
