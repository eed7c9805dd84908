"""Host stream benchmark: the cost of a dense sketch's entry, now and at ``--before REV``.

``python -m benchmarks stream [--before REV] [--threads 1 2] [--repeat 7]``
(``--before`` defaults to :data:`BEFORE`, the stream before its compiled kernels). A
Gaussian or Rademacher sketch is a GEMM whose left factor is drawn from the keyed
stream (:mod:`sketch.rng_host`) in tasks of ``sketch.kernels.GENERATE_CHUNK``
entries, spread over threads (:func:`sketch.kernels.generated_gemm`). This times
exactly that, per entry, for normals (float64 and float32, times a factor),
signs and raw words, with this tree's ``sketch/rng_host.py`` and with the one at
git revision ``--before`` (loaded from git, like ``benchmarks sketch --before``),
interleaved run by run (issue 20). Each row reports nanoseconds per entry in CPU
time of the process (summed over threads) and in wall time (per entry of all
threads: on two idle cores, half the CPU figure), best and median of the runs,
and ``speedup`` = before / after of the best CPU time (``--pairs P ...``: the
normals with each chunk size, :data:`sketch.rng_host.PAIRS`). The ``parts`` rows split
one thread's Gaussian chunk into its four calls (compiled Philox to two rows of
uniforms, NumPy's ``log1p`` and ``tan``, the compiled rest of the Box–Muller), per
entry (each of the middle two runs on half the entries).

The machine is shared with other work: compare within one run, CPU time first.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.harness import write_results
from benchmarks.sketch import _module_at

COLUMNS = ["what", "dtype", "threads", "pairs", "before_cpu_ns", "after_cpu_ns", "speedup",
           "before_cpu_median", "after_cpu_median", "before_wall_ns", "after_wall_ns"]
#: The last commit whose host stream was NumPy's Philox and ufuncs (before the compiled
#: kernels of :mod:`sketch.philox_kernel` and :mod:`sketch.box_muller_kernel`).
BEFORE = "626b322"
#: Tasks per thread in one timed run.
TASKS = 16


def _per_entry(fill: Callable[[int, np.ndarray], None], dtype: Any, threads: int
               ) -> tuple[float, float]:
    """CPU and wall ns per entry of ``TASKS`` tasks per thread of ``GENERATE_CHUNK`` entries,
    on ``threads`` threads (the threads of :func:`sketch.kernels._run`, as the GEMM uses)."""
    from sketch import kernels

    n = kernels.GENERATE_CHUNK
    outs = [np.empty(n, dtype=dtype) for _ in range(threads)]
    tasks = [(t, i) for i in range(TASKS) for t in range(threads)]
    previous = kernels.set_threads(threads)
    try:
        c0, w0 = time.process_time(), time.perf_counter()
        kernels._run(lambda task: fill((task[1] * threads + task[0]) * n, outs[task[0]]), tasks)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    finally:
        kernels.set_threads(previous)
    return cpu / len(tasks) / n * 1e9, wall / len(tasks) / n * 1e9


def _fills(module: Any, key: np.ndarray) -> dict[str, Callable[[int, np.ndarray], None]]:
    return {"normal": lambda start, out: module.fill_normal(key, start, out, 0.01),
            "signs": lambda start, out: module.fill_signs(key, start, out, 0.01),
            "words": lambda start, out: module.words(key, start, out.shape[0])}


def compare(before: Any, repeat: int, thread_counts: list[int], pairs: list[int]
            ) -> list[dict[str, Any]]:
    """Rows of before/after per-entry costs, the two versions interleaved run by run; the
    normals with each chunk size ``pairs`` (:data:`sketch.rng_host.PAIRS`) in turn."""
    import sketch.rng_host as after
    from sketch.rng import STREAM_KEY_HI

    key = np.array([0x5EED, STREAM_KEY_HI], dtype=np.uint64)
    cases = [("normal", np.float64), ("normal", np.float32), ("signs", np.float64),
             ("words", np.uint64)]
    versions = {"after": _fills(after, key)}
    if before is not None:
        versions["before"] = _fills(before, key)
    default, rows = after.PAIRS, []
    for threads in thread_counts:
        for what, dtype in cases:
            for p in pairs if what == "normal" else [default]:
                times: dict[str, list[tuple[float, float]]] = {v: [] for v in versions}
                after.PAIRS = p
                try:
                    for _ in range(repeat + 1):  # the first run of each warms up
                        for name, fills in versions.items():
                            times[name].append(_per_entry(fills[what], dtype, threads))
                finally:
                    after.PAIRS = default
                row: dict[str, Any] = {"what": what, "dtype": np.dtype(dtype).name,
                                       "threads": threads, "pairs": p}
                for name, runs in times.items():
                    cpu, wall = zip(*runs[1:], strict=True)
                    row.update({f"{name}_cpu_ns": min(cpu), f"{name}_cpu_median":
                                statistics.median(cpu), f"{name}_wall_ns": min(wall)})
                if before is not None:
                    row["speedup"] = row["before_cpu_ns"] / row["after_cpu_ns"]
                rows.append(row)
                print(row, flush=True)
    return rows


def parts(repeat: int) -> list[dict[str, Any]]:
    """One thread's Gaussian chunk call by call, CPU ns per entry (best of the runs)."""
    from sketch import box_muller_kernel, philox_kernel, rng_host

    key = np.array([0x5EED, 0], dtype=np.uint64)
    k = rng_host.PAIRS
    v, r, t, z = np.empty((2, k)), np.empty(k), np.empty(k), np.empty((k, 2))
    philox_kernel.pair_units(key, 0, v, -1.0, math.pi)
    calls = {"Philox to uniform rows": lambda i: philox_kernel.pair_units(key, i * k, v, -1.0,
                                                                          math.pi),
             "log1p (NumPy)": lambda i: np.log1p(v[0], out=r),
             "tan (NumPy)": lambda i: np.tan(v[1], out=t),
             "sqrt, products, division": lambda i: box_muller_kernel.finish(r, t, 2.0, z, 1.0)}
    chunks = max(1, (1 << 22) // k)
    best = dict.fromkeys(calls, math.inf)
    for _ in range(repeat + 1):
        for name, call in calls.items():
            c0 = time.process_time()
            for i in range(chunks):
                call(i)
            best[name] = min(best[name], (time.process_time() - c0) / chunks / (2 * k) * 1e9)
    return [{"what": f"parts: {name}", "dtype": "float64", "threads": 1, "pairs": k,
             "after_cpu_ns": ns} for name, ns in best.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks stream", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE,
                        help="git revision whose sketch/rng_host.py is the reference")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per version")
    parser.add_argument("--pairs", type=int, nargs="+", default=None,
                        help="chunk sizes (sketch.rng_host.PAIRS) to time the normals with")
    parser.add_argument("--tag", default="", help="added to the result files' names")
    args = parser.parse_args(argv)
    before = _module_at(args.before, "sketch/rng_host.py", "sketch._rng_host_before")
    if before is None:
        print(f"cannot load sketch/rng_host.py at {args.before} from git: no 'before' columns")
    from sketch import rng_host

    rows = compare(before, args.repeat, args.threads, args.pairs or [rng_host.PAIRS])
    rows += parts(args.repeat)
    notes = (f"ns per entry: tasks of sketch.kernels.GENERATE_CHUNK entries, {TASKS} per "
             f"thread; before = sketch/rng_host.py at {args.before}; CPU time of the process "
             "(summed over threads) and wall time per entry of all threads; best of "
             f"{args.repeat} runs (and CPU median), the versions interleaved. "
             "Shared machine: compare within this run.")
    write_results("stream" + (f"-{args.tag}" if args.tag else ""), rows, COLUMNS, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
