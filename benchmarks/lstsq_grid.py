"""Accuracy grid: ``qla.lstsq`` at its defaults against LAPACK, small to large problems.

``python -m benchmarks lstsq-grid [--quick] [--seeds 3] [--threads 1] [--method fossils]``

Where is the default less accurate than LAPACK, or slower? Problems with a
known solution: A = U Σ Vᴴ (U, and a unit q ⟂ range(A), from the QR of a
Gaussian m × (n + 1) matrix; V Haar; σ log-spaced from 1 to 1/κ), x* a unit
vector, b = A x* + ρ q with ‖r‖ = ρ, built in float64/complex128 and rounded
to the dtype. Grid: m from 4 to 50000 (``--quick``: to 5000), n from 1 to 500
with n < m, κ ∈ {1, 1e4, 1e8, 1e12} (float32/complex64: {1, 1e2, 1e4}),
‖r‖ ∈ {0, 1e-6, 1}, real and complex, single and double precision, several
seeds (one for the large shapes, where the default sketches). Contenders:
``sketch.lstsq(A, b, seed=0)`` (the default method; ``--method`` names one, e.g.
``fossils``, to measure what a caller who names it gets), ``numpy.linalg.lstsq``
(gelsd, the reference a user swaps out; it computes single precision in
double), ``scipy.linalg.lstsq`` (gelsd in the working precision) and a
Householder QR solve (R of [A b], ``mode="r"``, then ``solve_triangular``).

Per problem: forward error ‖x − x*‖/‖x*‖, backward error (Karlson–Waldén
estimate from the SVD of the stored A, relative to ‖A‖_F) and the median time
of a few runs. Reported per (m, n) block: the median and worst forward-error
ratio default / numpy (each error floored at u, so that two exact answers
compare as 1), the worst ratio default / scipy gelsd (same precision), the
same ratio for the QR solve (LAPACK's own spread), in single precision the worst
ratio default / scipy gelsd measured from the exact solution of the stored (rounded)
A and b instead of x* (rounding A and b to single moves the solution by up to
κu(1 + κ‖r‖/‖A‖‖x‖), more than a solver's own error: a solve nearer the stored problem's
solution can be farther from x*), the worst backward error
in units of u, and the median time ratio default / numpy.
BLAS threads are limited (``--threads``, default 1): the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from typing import Any

import numpy as np
import scipy.linalg as sl

from benchmarks.harness import write_results

SHAPES_QUICK = [(4, 1), (4, 3), (8, 2), (8, 5), (12, 4), (12, 10), (20, 5), (50, 10),
                (100, 3), (100, 30), (300, 10), (1000, 50), (5000, 100)]
# Where the default sketches (FOSSILS): one seed each, the cells are costly.
SHAPES_BIG = [(20000, 100), (50000, 100), (10000, 150), (20000, 200), (10000, 500)]


def problem(m: int, n: int, kappa: float, rnorm: float, dtype: Any, seed: int):
    """(A, b, x*) as in the module docstring."""
    rng = np.random.default_rng(seed)
    cplx = np.dtype(dtype).kind == "c"

    def gauss(*shape):
        g = rng.standard_normal(shape)
        return g + 1j * rng.standard_normal(shape) if cplx else g

    Q = np.linalg.qr(gauss(m, n + 1))[0]
    V = np.linalg.qr(gauss(n, n))[0]
    sigma = np.logspace(0, -math.log10(kappa), n)
    A = (Q[:, :n] * sigma) @ V.conj().T
    x = gauss(n)
    x /= np.linalg.norm(x)
    b = A @ x + rnorm * Q[:, n]
    return A.astype(dtype), b.astype(dtype), x


def backward_error(A: Any, b: Any, x: Any, sv: Any, V: Any) -> float:
    """‖(AᴴA + θ²I)^(−1/2) Aᴴr‖ / (‖x‖ ‖A‖_F), θ = ‖r‖/‖x‖, in double precision."""
    r = b - A @ x
    xn, rn = np.linalg.norm(x), np.linalg.norm(r)
    fro = math.sqrt(float(np.sum(sv**2)))
    g = A.conj().T @ r
    if xn == 0:
        return float(np.linalg.norm(g) / rn / fro) if rn else 0.0
    z = (V.conj().T @ g) / np.sqrt(sv**2 + (rn / xn) ** 2)
    return float(np.linalg.norm(z) / xn / fro)


def _qr_solve(A: Any, b: Any) -> Any:
    n = A.shape[1]
    R = sl.qr(np.column_stack([A, b]), mode="r", check_finite=False)[0]
    return sl.solve_triangular(R[:n, :n], R[:n, n], check_finite=False)


def _timed(fn: Any, budget: float = 0.05) -> tuple[Any, float]:
    """fn's result and its median time over up to 5 runs (fewer for slow calls)."""
    out = fn()  # warm-up
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if sum(times) > budget:
            break
    return out, float(np.median(times))


def run_one(m: int, n: int, kappa: float, rnorm: float, dtype: Any, seed: int,
            method: str | None = None) -> dict:
    from sketch.lstsq import lstsq

    A, b, x = problem(m, n, kappa, rnorm, dtype, seed)
    wide = np.complex128 if np.dtype(dtype).kind == "c" else np.float64
    A64, b64 = A.astype(wide), b.astype(wide)
    R = sl.qr(A64, mode="r", check_finite=False)[0][:n]
    _, sv, Vh = np.linalg.svd(R)
    u = float(np.finfo(dtype).eps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res, t_ours = _timed(lambda: lstsq(A, b, method, seed=0))
        x_ref, t_ref = _timed(lambda: np.linalg.lstsq(A, b, rcond=None)[0])
        x_qr, t_qr = _timed(lambda: _qr_solve(A, b))
        x_sc, t_sc = _timed(lambda: sl.lstsq(A, b, check_finite=False)[0])
    row = {"m": m, "n": n, "kappa": kappa, "residual": rnorm, "dtype": np.dtype(dtype).name,
           "seed": seed, "method": res.method}
    for tag, sol, t in (("default", res.x, t_ours), ("gelsd", x_ref, t_ref), ("qr", x_qr, t_qr),
                        ("scipy", x_sc, t_sc)):
        s = np.asarray(sol).astype(wide)
        row[f"fwd_{tag}"] = float(np.linalg.norm(s - x))
        row[f"bwd_{tag}"] = backward_error(A64, b64, s, sv, Vh.conj().T) / u
        row[f"t_{tag}"] = t
    for tag in ("default", "qr"):
        row[f"ratio_{tag}"] = max(row[f"fwd_{tag}"], u) / max(row["fwd_gelsd"], u)
    row["ratio_same_precision"] = max(row["fwd_default"], u) / max(row["fwd_scipy"], u)
    if u > 1e-10:  # single precision: errors from the stored problem's own solution too
        given = np.linalg.lstsq(A64, b64, rcond=None)[0]
        scale = float(np.linalg.norm(given)) or 1.0
        for tag, sol in (("default", res.x), ("scipy", x_sc)):
            row[f"given_{tag}"] = float(np.linalg.norm(np.asarray(sol).astype(wide) - given)
                                        ) / scale
        row["ratio_given"] = max(row["given_default"], u) / max(row["given_scipy"], u)
    row["time_ratio"] = t_ours / t_ref
    return row


def summarise(rows: list[dict]) -> list[dict]:
    """One row per (m, n, dtype): median/worst forward-error ratio, worst backward error."""
    out = []
    keys = sorted({(r["m"], r["n"], r["dtype"]) for r in rows})
    for m, n, dt in keys:
        block = [r for r in rows if (r["m"], r["n"], r["dtype"]) == (m, n, dt)]
        rd = np.array([r["ratio_default"] for r in block])
        rq = np.array([r["ratio_qr"] for r in block])
        worst = block[int(np.argmax(rd))]
        out.append({
            "m": m, "n": n, "dtype": dt, "problems": len(block),
            "methods": ",".join(sorted({r["method"] for r in block})),
            "fwd_ratio_median": float(np.median(rd)), "fwd_ratio_worst": float(rd.max()),
            "worst_at": f"κ={worst['kappa']:g} ‖r‖={worst['residual']:g} seed={worst['seed']}",
            "vs_scipy_worst": float(max(r["ratio_same_precision"] for r in block)),
            "qr_ratio_worst": float(rq.max()),
            "given_vs_scipy_worst": (float(max(r["ratio_given"] for r in block))
                                     if "ratio_given" in block[0] else None),
            "bwd_worst_u": float(max(r["bwd_default"] for r in block)),
            "gelsd_bwd_worst_u": float(max(r["bwd_gelsd"] for r in block)),
            "time_ratio_median": float(np.median([r["time_ratio"] for r in block])),
        })
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks lstsq-grid")
    ap.add_argument("--quick", action="store_true", help="m up to 5000, 2 seeds")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per cell (default 3; quick 2)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    ap.add_argument("--dtypes", default="float64,complex128,float32,complex64")
    ap.add_argument("--big-only", action="store_true",
                    help="only the large shapes, where the default sketches")
    ap.add_argument("--method", default=None,
                    help="the method passed to sketch.lstsq (default: none, its default)")
    ap.add_argument("--tag", default="", help="suffix of the result file name")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    import sketch.lstsq  # noqa: F401 - load every BLAS before limiting its threads

    seeds = args.seeds or (2 if args.quick else 3)
    shapes = [] if args.big_only else [(m, n, seeds) for m, n in SHAPES_QUICK]
    if not args.quick:
        shapes += [(m, n, 1) for m, n in SHAPES_BIG]
    rows = []
    with threadpool_limits(args.threads):
        for dt in args.dtypes.split(","):
            dtype = np.dtype(dt)
            single = np.finfo(dtype).eps > 1e-10
            kappas = (1.0, 1e2, 1e4) if single else (1.0, 1e4, 1e8, 1e12)
            for m, n, cell_seeds in shapes:
                for kappa in kappas:
                    for rnorm in (0.0, 1e-6, 1.0):
                        for seed in range(cell_seeds):
                            rows.append(run_one(m, n, kappa, rnorm, dtype, seed,
                                                args.method))
                print(f"{dt} {m}x{n} done", flush=True)
    table = summarise(rows)
    cols = ["m", "n", "dtype", "problems", "methods", "fwd_ratio_median", "fwd_ratio_worst",
            "worst_at", "vs_scipy_worst", "qr_ratio_worst", "given_vs_scipy_worst",
            "bwd_worst_u", "gelsd_bwd_worst_u", "time_ratio_median"]
    notes = (
        f"BLAS threads: {args.threads}; the machine was shared, compare time ratios, not "
        "seconds. fwd_ratio: forward error ‖x−x*‖/‖x*‖ of sketch.lstsq "
        f"({'method=' + repr(args.method) if args.method else 'at its defaults'}) over "
        "numpy.linalg.lstsq's (gelsd; single precision computed in double), each floored at u; "
        "vs_scipy: over scipy.linalg.lstsq's (gelsd in the working precision); qr_ratio: a "
        "Householder QR solve over numpy's (LAPACK's own spread); given_vs_scipy (single "
        "precision): the same ratio as vs_scipy, the errors measured from the exact solution "
        "of the stored (rounded) A and b (computed in double) instead of x*; bwd: "
        "Karlson–Waldén backward "
        "error / (u‖A‖_F); "
        "time_ratio: default / gelsd (median of a few runs). Every cell: κ × ‖r‖ × seeds.")
    name = "lstsq-grid" + ("-quick" if args.quick else "") + (f"-{args.tag}" if args.tag else "")
    json_path, _ = write_results(name, table, cols, notes)
    cells = json_path.with_name(json_path.stem + "-cells.json")
    cells.write_text(json.dumps(rows, indent=1))  # every problem, for other cuts of the grid
    worst = max(table, key=lambda r: r["fwd_ratio_worst"])
    print(f"worst forward-error ratio {worst['fwd_ratio_worst']:.3g} at {worst['m']}x"
          f"{worst['n']} {worst['dtype']} {worst['worst_at']}")
    return 0
