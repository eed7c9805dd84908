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

and the ratios ``ours / peer`` (> 1: ours faster).
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.harness import timeit, write_results

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


def _row(d: int, batch: int, repeat: int, gpu: bool) -> dict:
    from scipy.stats import unitary_group

    from sketch.haar import haar_unitary

    ours = timeit(lambda: haar_unitary(d, batch=batch, seed=1), repeat=repeat)
    U = ours["result"]
    err = float(np.abs(U[0] @ U[0].conj().T - np.eye(d)).max())
    rng = np.random.default_rng(1)
    scipy_t = timeit(lambda: unitary_group.rvs(d, size=batch, random_state=rng), repeat=repeat)
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
        qk = timeit(lambda: [random_unitary(d, seed=i) for i in range(count)],
                    repeat=max(1, repeat // 2))
        row["qiskit_per_s"] = count / qk["median"]
        row["ratio_qiskit"] = row["qla_per_s"] / row["qiskit_per_s"]
    if gpu:
        import cupy

        sync = cupy.cuda.Stream.null.synchronize
        g = timeit(lambda: haar_unitary(d, batch=batch, seed=1, device="gpu"),
                   repeat=repeat, warmup=2, sync=sync)
        row["gpu_per_s"] = batch / g["median"]
        row["gpu_ratio_scipy"] = row["gpu_per_s"] / row["scipy_per_s"]
        row["gpu_vs_cpu_max_diff"] = float(np.abs(cupy.asnumpy(g["result"]) - U).max())
    return row


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
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - part of the bench extra
        threadpool_limits = None

    def rows() -> list[dict]:
        return [_row(d, _batch(d, entries), repeat, gpu) for d in args.dims]

    if threadpool_limits is not None:
        with threadpool_limits(args.threads):
            out = rows()
    else:
        out = rows()
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
        "Qiskit's random_unitary draws one matrix per call (timed on at most "
        f"{QISKIT_CAP} matrices). The machine was shared with other jobs: absolute numbers "
        "are noisy, compare ratios."
    )
    write_results("haar" + ("-quick" if args.quick else "") + ("-gpu" if gpu else ""),
                  out, cols, notes)
    return 0
