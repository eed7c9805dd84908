"""Least-squares benchmark: qla's methods against LAPACK (dense) and LSQR/LSMR (sparse).

``python -m benchmarks lstsq [--quick] [--cases dense,float32,rank,sparse]
[--kappa ...] [--residual ...] [--threads 1] [--repeat 3]``

Problems with a known solution, as in the stability literature: A = U Σ Vᵀ
with σ log-spaced from 1 to 1/κ, ‖x*‖ = 1 and b = A x* + r with r ⟂ range(A),
‖r‖ given (U = G R⁻¹ from a Gaussian G = QR, exact to rounding, so r is
projected with G; :func:`qla.tour.regression.conditioned_problem`). Cases:

* ``dense`` — float64, κ × ‖r‖ over the grid (default κ ∈ {1e2, 1e8, 1e12},
  ‖r‖ ∈ {1e-12, 1e-3, 1}); m × n = 100000 × 1000 (``--quick``: 20000 × 200).
* ``float32`` — the same construction rounded to float32, κ ∈ {1e2, 1e5}.
* ``rank`` — rank n − n/10 (the last singular values exactly 0), x* in the
  row space: the minimum-norm solution is x*.
* ``sparse`` — m = 200000 (``--quick``: 40000), n = 500 (100), density ≈ 1e-3:
  A = B T with B sparse Gaussian-like (integer entries, near-orthogonal
  columns) and T pairing columns j, j+1 as (b_j, b_j + δ_j b_{j+1}),
  δ_j = 2^-k log-spaced down to 2^-21: A is exactly B T (δ_j is a power of
  two), columns have equal norms (column scaling cannot help) and κ(A) ≈ 4e6.

Contenders, each timed as the median of ``--repeat`` runs after one warm-up
(the warm-up also measures peak memory with ``tracemalloc``; the timed runs go
round-robin over the contenders, so that the load of a shared machine hits them
alike, in alternating order: OpenBLAS's idle threads spin for a while after a threaded
call and tax whichever contender comes next, 1.4x its CPU time measured on 2 cores),
all under the same BLAS thread limit: ``scipy.linalg.lstsq`` with gelsd/gelsy/gelss, a QR
solve (R of [A b] in ``mode="r"`` + ``solve_triangular``), each qla method at
its defaults (``fossils``, ``sketch-and-precondition``, ``sketch-and-solve``),
and for sparse A ``scipy.sparse.linalg.lsqr``/``lsmr`` (atol = btol = 1e-14,
iter_lim = 20n), unpreconditioned and with column scaling; LAPACK gelsd on the
densified matrix is the accuracy reference there.

Accuracy, computed here and not by the solvers: forward error
‖x − x*‖/‖x*‖, fitted-value error ‖A(x − x*)‖/‖A x*‖, and the backward error
by the Karlson–Waldén estimate ‖(AᵀA + θ²I)^(−1/2) Aᵀr‖/(‖x‖‖A‖_F),
θ = ‖r‖/‖x‖, with the SVD of A known from the construction (from a
Householder QR of A and an SVD of R for float32 and rank-deficient A).
A row has ``equal_accuracy`` when its forward and backward errors are each
within 10× of LAPACK gelsd's on the same problem; ``speedup`` = fastest LAPACK
path (or fastest of LSQR/LSMR for sparse) / this row's time, and counts only
with equal accuracy.
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp

from benchmarks.harness import write_results
from qla.tour.regression import conditioned_problem

EQUAL = 10.0  # equal accuracy: forward and backward error within this factor of LAPACK's


@dataclass
class Known:
    """A least-squares problem with known solution ``x`` and the SVD data of A."""

    name: str
    A: Any
    b: Any
    x: Any
    kappa: float
    rnorm: float
    V: Any = None  # right singular vectors of A (float64), None: compute
    sv: Any = None
    rcond: float | None = None  # LAPACK's cut-off (rank-deficient A needs one)


def dense_problem(m: int, n: int, kappa: float, rnorm: float, *, seed: int = 0,
                  dtype: Any = np.float64, rank: int | None = None) -> Known:
    """The known-solution problem of :func:`qla.tour.regression.conditioned_problem`."""
    p = conditioned_problem(m, n, kappa, seed, dtype=dtype, residual=rnorm, rank=rank)
    exact = dtype == np.float64 and rank is None
    name = "dense" if rank is None else f"rank {rank}/{n}"
    return Known(name if dtype == np.float64 else "float32", p.A, p.b,
                 p.x.astype(np.float64), kappa, rnorm, p.V if exact else None,
                 p.sigma if exact else None,
                 None if rank is None else n * float(np.finfo(dtype).eps))


def sparse_problem(m: int, n: int, rnorm: float, *, density: float = 1e-3, seed: int = 0,
                   deepest: int = 21) -> Known:
    """A = B T exactly (see the module docstring); x* unit, r ⟂ range(B) = range(A).

    The density is raised to 30 nonzeros per column of B where m is small.
    """
    rng = np.random.default_rng(seed)
    density = max(density, 30 / m)
    B = sp.random(m, n, density=density, format="csc", random_state=rng,
                  data_rvs=lambda k: rng.choice([-2.0, -1.0, 1.0, 2.0], k))
    shifts = np.rint(np.linspace(1, deepest, n // 2)).astype(int)
    T = sp.identity(n, format="lil")
    for j, k in enumerate(shifts):  # columns 2j, 2j+1 ← b_2j, b_2j + 2^-k b_2j+1
        T[2 * j, 2 * j + 1] = 1.0
        T[2 * j + 1, 2 * j + 1] = 2.0**-k
    A = (B @ T.tocsc()).tocsr()
    BtB = (B.T @ B).toarray()
    R = np.linalg.cholesky(BtB).T
    r = rng.standard_normal(m)
    for _ in range(2):
        r -= B @ sl.solve_triangular(R, sl.solve_triangular(R, B.T @ r, trans="T"))
    r *= rnorm / np.linalg.norm(r)
    x = rng.standard_normal(n)
    x /= np.linalg.norm(x)
    b = A @ x + r
    # AᵀA = Tᵀ RᵀR T: its eigenvectors from the SVD of the n × n matrix R T
    _, sv, Vt = np.linalg.svd(R @ T.toarray())
    return Known("sparse", A, b, x, float(sv[0] / sv[-1]), rnorm, Vt.T, sv)


def _svd_of(A: Any) -> tuple[Any, Any]:
    """(V, σ) of A from a Householder QR (float64) and the SVD of R."""
    dense = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=np.float64)
    R = sl.qr(dense, mode="r", check_finite=False)[0][: A.shape[1]]
    _, sv, Vt = np.linalg.svd(R)
    return Vt.T, sv


def backward_error(p: Known, x: Any) -> float:
    """Karlson–Waldén ‖(AᵀA + θ²I)^(−1/2) Aᵀr‖ / (‖x‖ ‖A‖_F), computed independently."""
    x = np.asarray(x, dtype=np.float64)
    A = p.A
    r = np.asarray(p.b, dtype=np.float64) - A @ x
    g = A.T @ r
    xn, rn = np.linalg.norm(x), np.linalg.norm(r)
    fro = math.sqrt(float(np.sum(p.sv**2)))
    if xn == 0:
        return float(np.linalg.norm(g) / rn / fro) if rn else 0.0
    z = (p.V.T @ g) / np.sqrt(p.sv**2 + (rn / xn) ** 2)
    return float(np.linalg.norm(z) / xn / fro)


# -- the contenders --------------------------------------------------------------------


def _lapack(p: Known, drivers: list[str]) -> list[tuple[str, Any, str]]:
    A = p.A.toarray() if sp.issparse(p.A) else p.A
    kind = "reference" if sp.issparse(p.A) else "lapack"  # sparse: densified, accuracy only
    drivers = ["gelsd"] if sp.issparse(p.A) else drivers
    out = [(f"scipy.linalg.lstsq ({d})",
            lambda d=d: sl.lstsq(A, p.b, cond=p.rcond, lapack_driver=d, check_finite=False)[0],
            kind)
           for d in ("gelsd", "gelsy", "gelss") if d in drivers]
    if sp.issparse(p.A) or "qr" not in drivers:
        return out

    def qr_r():
        n = A.shape[1]
        Ab = np.empty((A.shape[0], n + 1), dtype=A.dtype, order="F")  # LAPACK's layout
        Ab[:, :n], Ab[:, n] = A, p.b
        R = sl.qr(Ab, mode="r", overwrite_a=True, check_finite=False)[0]
        return sl.solve_triangular(R[:n, :n], R[:n, n], check_finite=False)

    return out + [("QR solve: R of [A b] + solve_triangular", qr_r, "lapack")]


QLA_METHODS = ("fossils", "sketch-and-precondition", "sketch-and-solve")


def _qla(p: Known, methods: tuple[str, ...] = QLA_METHODS) -> list[tuple[str, Any, str]]:
    """qla's contenders; ``"default"`` is ``lstsq`` with no method named (its size rule, by
    the BLAS threads, may hand A to LAPACK), ``"fossils"`` that method named."""
    from sketch.lstsq import lstsq

    def label(m: str) -> str:
        if m == "default":
            return "qla default (no method named)"
        return f"qla {m}" + (" (default)" if m == "fossils" else "")

    return [(label(m), lambda m=m: lstsq(p.A, p.b, None if m == "default" else m, seed=0),
             "qla") for m in methods]


def _krylov(p: Known) -> list[tuple[str, Any, str]]:
    from scipy.sparse.linalg import lsmr, lsqr

    A, n = p.A, p.A.shape[1]
    scale = 1.0 / np.sqrt(np.asarray(A.multiply(A).sum(axis=0)).ravel())
    AD = A @ sp.diags(scale)
    kw = dict(atol=1e-14, btol=1e-14)
    return [("scipy lsqr", lambda: lsqr(A, p.b, iter_lim=20 * n, **kw)[0], "krylov"),
            ("scipy lsmr", lambda: lsmr(A, p.b, maxiter=20 * n, **kw)[0], "krylov"),
            ("scipy lsqr, column-scaled",
             lambda: scale * lsqr(AD, p.b, iter_lim=20 * n, **kw)[0], "krylov"),
            ("scipy lsmr, column-scaled",
             lambda: scale * lsmr(AD, p.b, maxiter=20 * n, **kw)[0], "krylov")]


def _warm_up(fn: Any) -> dict[str, Any]:
    """One run of ``fn``: its result, time and peak of traced host allocations."""
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"median": seconds, "result": out, "peak_mb": peak / 2**20}


def run_problem(p: Known, repeat: int, threads: str,
                drivers: tuple[str, ...] = ("gelsd", "gelsy", "gelss", "qr"),
                methods: tuple[str, ...] = QLA_METHODS) -> list[dict]:
    """Every contender on one problem: time, accuracy, equal-accuracy flag, speed-up."""
    if p.V is None:
        p.V, p.sv = _svd_of(p.A)
    contenders = _lapack(p, ["gelsd", *drivers]) + _qla(p, methods) + (
        _krylov(p) if sp.issparse(p.A) else [])
    rows = []
    A64 = p.A.astype(np.float64) if p.A.dtype != np.float64 else p.A
    xnorm, axnorm = np.linalg.norm(p.x), np.linalg.norm(A64 @ p.x)
    # Warm-up (and peak memory) for every contender, then the timed runs round-robin, so
    # that a change in the machine's load hits every contender alike.
    runs: dict[str, dict[str, Any]] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name, fn, _ in contenders:
            before = len(caught)
            runs[name] = _warm_up(fn)  # a "reference" solve runs only this once
            runs[name]["times"], runs[name]["warnings"] = [], len(caught) - before
        for i in range(repeat):  # alternate the order: see the module doc
            for name, fn, kind in contenders if i % 2 == 0 else contenders[::-1]:
                if kind != "reference":
                    t0 = time.perf_counter()
                    runs[name]["result"] = fn()
                    runs[name]["times"].append(time.perf_counter() - t0)
    for name, _, kind in contenders:
        t = runs[name]
        if t["times"]:
            t["median"] = float(np.median(t["times"]))
        out = t["result"]
        x = out.x if hasattr(out, "x") else out
        x64 = np.asarray(x, dtype=np.float64)
        row = {"problem": p.name, "m": p.A.shape[0], "n": p.A.shape[1], "kappa": p.kappa,
               "residual": p.rnorm, "dtype": str(p.A.dtype), "threads": threads,
               "solver": name, "kind": kind, "seconds": t["median"], "peak_mb": t["peak_mb"],
               "forward_error": float(np.linalg.norm(x64 - p.x) / xnorm),
               "fitted_error": float(np.linalg.norm(A64 @ (x64 - p.x)) / axnorm),
               "backward_error": backward_error(p, x64),
               "warnings": t["warnings"]}
        if hasattr(out, "x"):
            row.update(iterations=out.iterations, converged=out.converged,
                       reported_backward_error=None if out.backward_error is None
                       else float(out.backward_error))
        rows.append(row)
        print(f"  {name:<44} {row['seconds']:8.3f}s  fwd {row['forward_error']:.1e}  "
              f"bwd {row['backward_error']:.1e}  fit {row['fitted_error']:.1e}", flush=True)
    ref = next(r for r in rows if r["solver"] == "scipy.linalg.lstsq (gelsd)")
    peers = [r for r in rows if r["kind"] == ("krylov" if sp.issparse(p.A) else "lapack")]
    fastest = min(peers, key=lambda r: r["seconds"])
    for r in rows:
        r["equal_accuracy"] = bool(
            r["forward_error"] <= EQUAL * max(ref["forward_error"], 1e-300)
            and r["backward_error"] <= EQUAL * max(ref["backward_error"], 1e-300))
        r["fastest_peer"] = fastest["solver"]
        r["speedup"] = fastest["seconds"] / r["seconds"]
        r["counts"] = "yes" if r["equal_accuracy"] else "MISSING equal accuracy"
    return rows


def _problems(args: argparse.Namespace) -> list[tuple[str, Any]]:
    n = args.n or (200 if args.quick else 1000)
    m = args.ratio * n
    cases = args.cases.split(",")
    out = []
    if "dense" in cases:
        out += [(f"dense κ={k:g} ‖r‖={r:g}", lambda k=k, r=r: dense_problem(m, n, k, r))
                for k in args.kappa for r in args.residual]
    if "float32" in cases:
        out += [(f"float32 κ={k:g}", lambda k=k: dense_problem(m, n, k, 1e-3, dtype=np.float32))
                for k in (1e2, 1e5)]
    if "rank" in cases:
        out.append(("rank-deficient", lambda: dense_problem(m, n, 1e6, 1e-3, rank=n - n // 10)))
    if "sparse" in cases:
        ms, ns = args.sparse_shape or ((40_000, 100) if args.quick else (200_000, 500))
        out.append(("sparse", lambda: sparse_problem(ms, ns, 1e-3)))
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks lstsq")
    ap.add_argument("--quick", action="store_true", help="n=200, m=20000 (sparse 40000×100)")
    ap.add_argument("--n", type=int, default=None, help="columns (default 1000; quick 200)")
    ap.add_argument("--ratio", type=int, default=100, help="m/n (default 100)")
    ap.add_argument("--cases", default="dense,float32,rank,sparse")
    ap.add_argument("--kappa", type=float, nargs="+", default=[1e2, 1e8, 1e12])
    ap.add_argument("--residual", type=float, nargs="+", default=[1e-12, 1e-3, 1.0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per solver (median)")
    ap.add_argument("--threads", default=None, help="BLAS threads (default: BLAS default)")
    ap.add_argument("--sparse-shape", type=int, nargs=2, default=None, metavar=("M", "N"),
                    help="sparse case shape (default 200000 500; quick 40000 100)")
    ap.add_argument("--lapack", default="gelsd,gelsy,gelss,qr",
                    help="LAPACK paths to time (gelsd, the accuracy reference, always runs)")
    ap.add_argument("--qla", default=",".join(QLA_METHODS),
                    help="qla methods to time (default: all three; 'default' adds lstsq with "
                    "no method named)")
    ap.add_argument("--tag", default="", help="suffix of the result file name")
    args = ap.parse_args(argv)
    # Load every BLAS now (NumPy's and SciPy's OpenBLAS are separate libraries): a library
    # loaded inside threadpool_limits would escape the limit.
    import scipy.sparse.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    import sketch.lstsq  # noqa: F401

    rows = []
    label = args.threads or "default"
    with threadpool_limits(int(args.threads) if args.threads else None):
        for title, build in _problems(args):
            t0 = time.perf_counter()
            p = build()
            print(f"{title} {p.A.shape}: built in {time.perf_counter() - t0:.1f}s", flush=True)
            rows += run_problem(p, args.repeat, label, tuple(args.lapack.split(",")),
                                tuple(args.qla.split(",")))
            del p
    cols = ["problem", "m", "n", "kappa", "residual", "solver", "seconds", "speedup", "counts",
            "forward_error", "fitted_error", "backward_error", "reported_backward_error",
            "iterations", "peak_mb"]
    notes = (
        f"CPU, BLAS threads: {label}; the machine was shared with other jobs, so compare the "
        f"ratios within a problem, not the seconds. seconds: median of {args.repeat} runs after a "
        "warm-up (which measured peak_mb, the peak of traced host allocations), timed "
        "round-robin over the contenders. Errors are "
        "computed by the benchmark: forward ‖x−x*‖/‖x*‖, fitted ‖A(x−x*)‖/‖Ax*‖, backward = "
        "Karlson–Waldén estimate / ‖A‖_F (exact SVD of A). counts = 'yes' when forward and "
        f"backward error are within {EQUAL:g}× of LAPACK gelsd's (equal accuracy); speedup = "
        "fastest LAPACK path (sparse: fastest LSQR/LSMR) / this row's time, a win only where "
        "counts = 'yes'. reported_backward_error: qla's own sketched estimate (relative to ‖SA‖_F)."
    )
    name = "lstsq" + ("-quick" if args.quick else "") + (f"-{args.tag}" if args.tag else "")
    write_results(name, rows, cols, notes)
    return 0
