"""HHL benchmark: the exact emulator against Aer simulating the circuit, and the
classical references (CG, randomized Kaczmarz) against SciPy/NumPy.

``python -m benchmarks hhl [--quick]``. Rows:

* ``emulator``: ``sketch.emulate_hhl`` (solution and full statevector) vs building
  the circuit and running Aer's statevector simulator — the job the emulator
  replaces — with their largest state difference;
* ``cg``: ``sketch.conjugate_gradient`` vs ``scipy.sparse.linalg.cg`` on a sparse SPD
  system; ``kaczmarz``: ``sketch.randomized_kaczmarz`` vs ``numpy.linalg.lstsq`` on a
  consistent overdetermined system.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from benchmarks.harness import timeit, write_results


def _emulator_rows(sizes, repeat):
    from circuits.hhl import hhl
    from sketch.errors import AccuracyWarning
    from sketch.hhl import emulate_hhl, random_spd_system

    rows = []
    for n, kappa in sizes:
        for dtype in (np.float64, np.float32):
            A, b = random_spd_system(n, kappa, seed=0, dtype=dtype)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AccuracyWarning)
                h = hhl(A.astype(np.float64), b.astype(np.float64))
            emu = timeit(lambda A=A, b=b, h=h: emulate_hhl(A, b, sizing=h.sizing), repeat=repeat)
            full = timeit(lambda e=emu["result"]: e.statevector(), repeat=repeat)
            row = {
                "case": f"emulator n={n} κ={kappa:g}", "dtype": np.dtype(dtype).name,
                "qubits": h.circuit.num_qubits,
                "qla_s": emu["median"], "qla_full_state_s": full["median"],
            }
            if dtype is np.float64:
                aer = timeit(lambda A=A, b=b: hhl(A, b).statevector(), repeat=repeat)
                row["peer"] = "hhl()+Aer statevector"
                row["peer_s"] = aer["median"]
                row["ratio"] = aer["median"] / (emu["median"] + full["median"])
                row["max_state_diff"] = float(
                    np.abs(aer["result"] - full["result"]).max())
            else:
                row["fidelity"] = emu["result"].fidelity
            rows.append(row)
    return rows


def _classical_rows(n_cg, m_kz, n_kz, repeat):
    import scipy.sparse
    import scipy.sparse.linalg as sla

    from sketch.iterative import conjugate_gradient, randomized_kaczmarz

    rows = []
    # 2-D Poisson matrix (κ ≈ (2(k+1)/π)²): the classic CG test.
    k = int(np.sqrt(n_cg))
    T = scipy.sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(k, k))
    A = (scipy.sparse.kron(T, scipy.sparse.identity(k)) +
         scipy.sparse.kron(scipy.sparse.identity(k), T)).tocsr()
    b = np.ones(A.shape[0])
    ours = timeit(lambda: conjugate_gradient(A, b, tol=1e-8, warn=False), repeat=repeat)
    peer = timeit(lambda: sla.cg(A, b, rtol=1e-8, maxiter=10 * A.shape[0]), repeat=repeat)
    xr = ours["result"]
    rows.append({
        "case": f"cg Poisson {k}x{k}", "dtype": "float64", "qla_s": ours["median"],
        "peer": "scipy cg", "peer_s": peer["median"], "ratio": peer["median"] / ours["median"],
        "iterations": xr.iterations, "residual": xr.residual,
        "peer_residual": float(np.linalg.norm(b - A @ peer["result"][0]) / np.linalg.norm(b)),
    })
    rng = np.random.default_rng(0)
    M = rng.normal(size=(m_kz, n_kz))
    x = rng.normal(size=n_kz)
    y = M @ x
    ours = timeit(lambda: randomized_kaczmarz(M, y, tol=1e-6, seed=0, warn=False),
                  repeat=max(1, repeat // 2))
    peer = timeit(lambda: np.linalg.lstsq(M, y, rcond=None), repeat=repeat)
    kr = ours["result"]
    rows.append({
        "case": f"kaczmarz {m_kz}x{n_kz}", "dtype": "float64", "qla_s": ours["median"],
        "peer": "numpy lstsq", "peer_s": peer["median"], "ratio": peer["median"] / ours["median"],
        "iterations": kr.iterations, "residual": kr.residual,
        "peer_residual": float(np.linalg.norm(y - M @ peer["result"][0]) / np.linalg.norm(y)),
    })
    return rows


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks hhl")
    p.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    args = p.parse_args(argv)
    if args.quick:
        sizes, repeat = [(2, 10.0), (4, 10.0), (8, 10.0)], 3
        cg_n, kz = 2500, (400, 40)
    else:
        sizes, repeat = [(2, 10.0), (4, 10.0), (8, 10.0), (16, 10.0), (16, 100.0)], 5
        cg_n, kz = 40000, (2000, 100)
    from threadpoolctl import threadpool_limits

    # One BLAS thread: on a shared 2-core machine, spinning BLAS threads distort the
    # dense peers (lstsq) far more than the vector-level loops they are compared with.
    with threadpool_limits(1):
        rows = _emulator_rows(sizes, repeat) + _classical_rows(cg_n, *kz, repeat)
    cols = ["case", "dtype", "qubits", "qla_s", "qla_full_state_s", "peer", "peer_s", "ratio",
            "max_state_diff", "fidelity", "iterations", "residual", "peer_residual"]
    notes = (
        "ratio = peer time / qla time (> 1: qla faster); for the emulator rows qla time is "
        "solution + full statevector. Medians; the machine was shared with other jobs, so "
        "absolute times are noisy — compare ratios. BLAS limited to 1 thread. The Kaczmarz row "
        "compares an iterative method stopped at rtol 1e-6 with a direct solve."
    )
    write_results("hhl" + ("-quick" if args.quick else ""), rows, cols, notes)
    return 0
