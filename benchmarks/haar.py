"""Haar sampler benchmark: batched ``sketch.haar_unitary`` against SciPy and Qiskit.

``python -m benchmarks haar [--quick] [--gpu]``. For each ``d`` in 4 ... 256 it
draws a batch of Haar unitaries (batch ``2^20 / d^2``, so every row is about a
million complex entries; ``--quick``: a quarter of that) and reports unitaries
per second of

* ``sketch.haar_unitary(d, batch)`` on the CPU (and the GPU with ``--gpu`` or
  when CuPy sees a device),
* ``scipy.stats.unitary_group.rvs(d, size=batch)`` — in current SciPy also a
  batched Mezzadri QR, so the same LAPACK work with NumPy's faster generator,
* ``qiskit.quantum_info.random_unitary(d)`` — one matrix per call, as a user of
  Qiskit draws them (timed on at most ``QISKIT_CAP`` matrices, throughput
  extrapolated),

and the ratios ``ours / peer`` (> 1: ours faster). Ours and SciPy are timed
alternately, repeat by repeat, so load from other jobs falls on both alike.

A second table (``haar-generator``) times the keyed generator itself
(:meth:`sketch.rng.Key.normal` on a run of 2^20 counters, 2^18 with ``--quick``;
Philox4x64-10 with the pair Box–Muller) against NumPy's default generator
(``default_rng().standard_normal``, PCG64 + ziggurat), and the complex Ginibre
draw haar needs against SciPy's way of making it (two ``normal`` draws
combined); the goal is within 2x. Two more rows draw at counters that are no run:
uniforms at random user keys and normals in keyed columns (``j·20 + i``), as the
coordinated sketches on user keys draw them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from benchmarks.harness import write_results

DIMS = (4, 8, 16, 32, 64, 128, 256)
#: Most matrices Qiskit's one-at-a-time sampler is timed on per row.
QISKIT_CAP = 400


def _batch(d: int, entries: int) -> int:
    return max(4, entries // (d * d))


def _gpu_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no CuPy or no driver: no GPU rows
        return False


def _alternate(fns: dict[str, Callable[[], object]], repeat: int,
               sync: Callable[[], None] | None = None) -> dict[str, dict]:
    """Median seconds of each function, timed in turn within every repeat (after a warm-up)."""
    out = {name: {"times": [], "result": fn()} for name, fn in fns.items()}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            out[name]["result"] = fn()
            if sync:
                sync()
            out[name]["times"].append(time.perf_counter() - t0)
    for v in out.values():
        v["median"] = statistics.median(v["times"])
    return out


def _row(d: int, batch: int, repeat: int, gpu: bool) -> dict:
    from scipy.stats import unitary_group

    from sketch.haar import haar_unitary

    rng = np.random.default_rng(1)
    t = _alternate({"ours": lambda: haar_unitary(d, batch=batch, seed=1),
                    "scipy": lambda: unitary_group.rvs(d, size=batch, random_state=rng)},
                   repeat)
    ours, scipy_t = t["ours"], t["scipy"]
    U = ours["result"]
    err = float(np.abs(U[0] @ U[0].conj().T - np.eye(d)).max())
    row = {
        "d": d, "batch": batch,
        "qla_per_s": batch / ours["median"],
        "scipy_per_s": batch / scipy_t["median"],
        "unitarity_err": err,
    }
    row["ratio_scipy"] = row["qla_per_s"] / row["scipy_per_s"]
    try:
        from qiskit.quantum_info import random_unitary
    except ImportError:
        row["qiskit_per_s"] = None
    else:
        count = min(batch, QISKIT_CAP)
        qk = _alternate({"qiskit": lambda: [random_unitary(d, seed=i) for i in range(count)]},
                        max(1, repeat // 2))["qiskit"]
        row["qiskit_per_s"] = count / qk["median"]
        row["ratio_qiskit"] = row["qla_per_s"] / row["qiskit_per_s"]
    if gpu:
        import cupy

        sync = cupy.cuda.Stream.null.synchronize
        g = _alternate({"gpu": lambda: haar_unitary(d, batch=batch, seed=1, device="gpu")},
                       repeat, sync=sync)["gpu"]
        row["gpu_per_s"] = batch / g["median"]
        row["gpu_ratio_scipy"] = row["gpu_per_s"] / row["scipy_per_s"]
        row["gpu_vs_cpu_max_diff"] = float(np.abs(cupy.asnumpy(g["result"]) - U).max())
    return row


def generator_rows(n: int, repeat: int) -> list[dict]:
    """Keyed normals and complex Ginibre entries against NumPy's default generator."""
    from sketch.rng import as_key

    key, rng = as_key(1), np.random.default_rng(1)
    # Counters that are no run: user keys (one hash each), and keyed Gaussian columns
    # (counters j·r + i for r = 20 rows per key j), as coordinated joins draw them.
    user = np.random.default_rng(2).integers(0, 2**62, size=n)
    cols = (user[: n // 20] >> 8)[None, :] * 20 + np.arange(20)[:, None]  # j·20 + i < 2**63

    def scipy_ginibre():
        return (rng.normal(size=n // 2) + 1j * rng.normal(size=n // 2)) / np.sqrt(2)

    t = _alternate({"keyed": lambda: key.normal(range(n)),
                    "numpy": lambda: rng.standard_normal(n),
                    "keyed_c": lambda: key.complex_normal(range(n // 2)),
                    "scipy_c": scipy_ginibre,
                    "keyed_u": lambda: key.uniform(user),
                    "numpy_u": lambda: rng.random(n),
                    "keyed_cols": lambda: key.normal(cols)}, repeat)
    z = t["keyed"]["result"]
    scattered = [
        {"draw": f"{n} uniforms at user keys", "qla_ns": 1e9 * t["keyed_u"]["median"] / n,
         "peer": "default_rng().random", "peer_ns": 1e9 * t["numpy_u"]["median"] / n,
         "slowdown": t["keyed_u"]["median"] / t["numpy_u"]["median"],
         "mean": float(t["keyed_u"]["result"].mean()), "var": float(t["keyed_u"]["result"].var())},
        {"draw": f"{cols.size} normals in keyed columns (20 per key)",
         "qla_ns": 1e9 * t["keyed_cols"]["median"] / cols.size,
         "peer": "default_rng().standard_normal", "peer_ns": 1e9 * t["numpy"]["median"] / n,
         "slowdown": (t["keyed_cols"]["median"] / cols.size) / (t["numpy"]["median"] / n),
         "mean": float(t["keyed_cols"]["result"].mean()),
         "var": float(t["keyed_cols"]["result"].var())},
    ]
    return [
        {"draw": f"{n} real normals", "qla_ns": 1e9 * t["keyed"]["median"] / n,
         "peer": "default_rng().standard_normal", "peer_ns": 1e9 * t["numpy"]["median"] / n,
         "slowdown": t["keyed"]["median"] / t["numpy"]["median"],
         "mean": float(z.mean()), "var": float(z.var())},
        {"draw": f"{n // 2} complex normals", "qla_ns": 2e9 * t["keyed_c"]["median"] / n,
         "peer": "(normal + 1j normal)/sqrt 2", "peer_ns": 2e9 * t["scipy_c"]["median"] / n,
         "slowdown": t["keyed_c"]["median"] / t["scipy_c"]["median"],
         "mean": float(abs(t["keyed_c"]["result"].mean())),
         "var": float(np.mean(np.abs(t["keyed_c"]["result"]) ** 2))},
        *scattered,
    ]


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks haar")
    p.add_argument("--quick", action="store_true", help="smaller batches, under a minute")
    p.add_argument("--gpu", action="store_true", help="add GPU rows (default: if CuPy sees one)")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS threads for every contender (default 1: the machine is shared)")
    p.add_argument("--dims", type=int, nargs="+", default=list(DIMS), help="matrix sizes d")
    p.add_argument("--entries", type=int, default=None,
                   help="complex entries per row (batch = entries / d^2)")
    args = p.parse_args(argv)
    gpu = args.gpu or _gpu_available()
    entries, repeat = (2**18, 3) if args.quick else (2**20, 5)
    entries = args.entries or entries
    # threadpool_limits reaches only the BLAS libraries already loaded: load NumPy's and
    # SciPy's (haar calls scipy.linalg.lapack) before limiting, so every contender gets it.
    import scipy.linalg  # noqa: F401
    import scipy.stats  # noqa: F401
    from threadpoolctl import threadpool_limits

    def rows() -> tuple[list[dict], list[dict]]:
        gen = generator_rows(2**18 if args.quick else 2**20, 2 * repeat + 1)
        return [_row(d, _batch(d, entries), repeat, gpu) for d in args.dims], gen

    with threadpool_limits(args.threads):
        out, gen = rows()
    write_results("haar-generator" + ("-quick" if args.quick else ""), gen,
                  ["draw", "qla_ns", "peer", "peer_ns", "slowdown", "mean", "var"],
                  "Nanoseconds per number (median of alternated repeats); slowdown = qla / peer "
                  "(goal <= 2). qla: sketch.rng.Key.normal / complex_normal on a run of counters "
                  "(Philox4x64-10 through NumPy's compiled Philox, pair Box-Muller with one "
                  "tan per pair), the same numbers as on CuPy and torch (to rounding). The last "
                  "two rows draw at counters that are no run (user keys; keyed Gaussian columns "
                  "j*20 + i): elementwise Philox in cache-sized chunks, blocks shared along "
                  "columns (no goal; they were 20-40x slower than a run). Peer: "
                  "NumPy's default generator (PCG64, ziggurat), not reproducible across devices. "
                  "The machine was shared with other jobs. Reproduce: python -m benchmarks haar")
    cols = ["d", "batch", "qla_per_s", "scipy_per_s", "qiskit_per_s", "ratio_scipy",
            "ratio_qiskit", "unitarity_err"]
    if gpu:
        cols += ["gpu_per_s", "gpu_ratio_scipy", "gpu_vs_cpu_max_diff"]
    notes = (
        "Throughput in unitaries per second (median of repeats); ratio = qla / peer (> 1: qla "
        f"faster). BLAS limited to {args.threads} thread(s) for every contender. SciPy's "
        "unitary_group.rvs is itself a batched Mezzadri QR (stacked numpy.linalg.qr) with "
        "NumPy's ziggurat generator, so on the CPU the two do the same LAPACK work and differ "
        "in the random-number generator (ours is counter-based, reproducible across devices). "
        "Ours and SciPy are timed alternately within each repeat. "
        "Qiskit's random_unitary draws one matrix per call (timed on at most "
        f"{QISKIT_CAP} matrices). The machine was shared with other jobs: absolute numbers "
        "are noisy, compare ratios."
    )
    write_results("haar" + ("-quick" if args.quick else "") + ("-gpu" if gpu else ""),
                  out, cols, notes)
    return 0
