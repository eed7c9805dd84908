"""Coordinated sampling vs linear sketching for AᵀB at equal storage; sampled matmul vs BLAS.

``python -m benchmarks coordinated [--quick] [--seeds N] [--gpu]``

Part 1 (the ICLR 2025 experiment of Daliri, Freire, Li and Musco): relative
error ‖est − AᵀB‖_F/(‖A‖_F‖B‖_F) against sketch storage (8-byte words per
sketch, counted as in :mod:`sketch.coordinated`) for priority and threshold
sampling and for JL and CountSketch sized to the priority sketch's storage, on
sparse matrices (s nonzeros per row) and dense ones. Medians over seeds.

Part 2: approximate products (DKM sampling, Sarlós sketch) against the exact
BLAS product (cuBLAS with ``--gpu``) at a shape where sampling pays off
(a long inner dimension), reporting time ratio and error.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import numpy as np
import scipy.sparse as sp

from benchmarks.harness import timeit, write_results
from sketch.backend import synchronize, to_numpy
from sketch.coordinated import coordinated_sketch, estimate_product
from sketch.matmul import dkm_matmul, sketched_matmul


def sparse_rows(n: int, d: int, s: int, seed: int) -> sp.csr_matrix:
    """n × d, exactly s nonzeros per row at random columns, normal values."""
    rng = np.random.default_rng(seed)
    cols = np.argsort(rng.random((n, d)), axis=1)[:, :s] if d <= 256 else rng.integers(
        0, d, (n, s))
    rows = np.repeat(np.arange(n), s)
    M = sp.csr_matrix((rng.standard_normal(n * s), (rows, cols.ravel())), shape=(n, d))
    M.sum_duplicates()
    return M


def _err(value: Any, exact: np.ndarray, scale: float) -> float:
    return float(np.linalg.norm(to_numpy(value) - exact) / scale)


def product_curve(case: str, A: Any, B: Any, budgets: list[int], seeds: int) -> list[dict]:
    exact = A.T @ B
    exact = exact.toarray() if sp.issparse(exact) else np.asarray(exact)
    fro = (lambda M: sp.linalg.norm(M)) if sp.issparse(A) else np.linalg.norm
    scale = float(fro(A) * fro(B))
    d = A.shape[1]
    rows = []
    for k in budgets:
        errs: dict[str, list[float]] = {m: [] for m in ("priority", "threshold", "jl",
                                                        "countsketch")}
        words, r_used = [], 0
        for seed in range(seeds):
            SA = coordinated_sketch(A, "priority", k, seed)
            SB = coordinated_sketch(B, "priority", k, seed)
            words.append((SA.storage_words + SB.storage_words) / 2)
            errs["priority"].append(_err(estimate_product(SA, SB).value, exact, scale))
            TA = coordinated_sketch(A, "threshold", k, seed)
            TB = coordinated_sketch(B, "threshold", k, seed)
            errs["threshold"].append(_err(estimate_product(TA, TB).value, exact, scale))
            r_used = max(1, round(words[-1] / d))  # equal storage: r·d words per linear sketch
            for m in ("jl", "countsketch"):
                LA = coordinated_sketch(A, m, r_used, seed)
                LB = coordinated_sketch(B, m, r_used, seed)
                errs[m].append(_err(estimate_product(LA, LB).value, exact, scale))
        med = {m: statistics.median(v) for m, v in errs.items()}
        rows.append({
            "part": "AᵀB", "case": case, "k": k, "storage_words": statistics.median(words),
            "linear_r": r_used, "err_priority": med["priority"], "err_threshold": med["threshold"],
            "err_jl": med["jl"], "err_countsketch": med["countsketch"],
            "jl/priority": med["jl"] / med["priority"],
            "countsketch/priority": med["countsketch"] / med["priority"],
        })
    return rows


def matmul_rows(xp: Any, quick: bool) -> list[dict]:
    """Sampled/sketched products against the exact product on a long inner dimension."""
    m, n, p = (100, 40_000, 100) if quick else (256, 400_000, 256)
    rng = np.random.default_rng(0)
    A = xp.asarray(rng.standard_normal((m, n)) * rng.exponential(size=n))
    B = xp.asarray(rng.standard_normal((n, p)))
    def sync() -> None:
        synchronize(xp)

    exact = timeit(lambda: A @ B, repeat=3, sync=sync)
    M = to_numpy(exact["result"])
    scale = float(xp.linalg.norm(A) * xp.linalg.norm(B))
    out = []
    for c in ((1000,) if quick else (1000, 4000, 16000)):
        for name, fn in (("dkm", lambda c=c: dkm_matmul(A, B, c, seed=1)),
                         ("sarlos-countsketch",
                          lambda c=c: sketched_matmul(A, B, c, sketch="countsketch", seed=1))):
            t = timeit(fn, repeat=3, sync=sync)
            res = t["result"]
            out.append({
                "part": "matmul", "case": f"{m}x{n}x{p} {xp.__name__}", "method": name,
                "samples": c, "seconds": t["median"], "exact_seconds": exact["median"],
                "speedup": exact["median"] / t["median"],
                "rel_err": _err(res.value, M, scale),
                "rel_err_estimate": res.relative_error_estimate,
            })
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks coordinated")
    parser.add_argument("--quick", action="store_true", help="small sizes, < 1 minute")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per point (median)")
    parser.add_argument("--gpu", action="store_true", help="run part 2 on CuPy (cuBLAS)")
    args = parser.parse_args(argv)
    seeds = args.seeds or (2 if args.quick else 5)
    n, d, s = 50_000, 200, 4  # the REFERENCES.md configuration
    budgets = [250, 2000] if args.quick else [250, 500, 1000, 2000, 4000, 8000]
    rows = []
    A, B = sparse_rows(n, d, s, 1), sparse_rows(n, d, s, 2)
    rows += product_curve(f"sparse n={n} d=m={d} s={s}", A, B, budgets, seeds)
    # Same sparsity pattern in both (e.g. XᵀX-type products in regression): pᴬ ≈ pᴮ.
    Bc = A.copy()
    Bc.data = Bc.data + 0.5 * np.random.default_rng(5).standard_normal(Bc.nnz)
    rows += product_curve(f"sparse, B same pattern as A, s={s}", A, Bc,
                          budgets[-1:] if args.quick else [500, 2000, 8000], seeds)
    nd, dd = (3000, 40) if args.quick else (20_000, 100)
    rng = np.random.default_rng(3)
    Ad = rng.standard_normal((nd, dd))
    Bd = Ad @ rng.standard_normal((dd, dd)) / np.sqrt(dd) + rng.standard_normal((nd, dd))
    rows += product_curve(f"dense n={nd} d=m={dd}", Ad, Bd,
                          [100, 800] if args.quick else [100, 200, 400, 800, 1600, 3200],
                          seeds)
    part1 = [r for r in rows if r["part"] == "AᵀB"]
    xp = np
    if args.gpu:
        from sketch.backend import cupy_module

        xp = cupy_module("run the GPU matmul benchmark")
    part2 = matmul_rows(xp, args.quick)
    notes = (
        "Part 1: relative Frobenius error of AᵀB, median over "
        f"{seeds} seeds; storage = 8-byte words per sketch (sampled sparse row: 1.5 per "
        "nonzero + 1.5; dense row: d + 1; linear: r·d), linear sketches sized to the priority "
        "sketch's storage. Theory for s-sparse rows: ratio ≈ √(d/(1.5 s + 1.5)) at equal "
        "storage. Part 2: seconds are medians of 3 on a machine shared with other jobs; "
        "compare ratios, not absolute times."
    )
    cols1 = ["case", "k", "storage_words", "linear_r", "err_priority", "err_threshold", "err_jl",
             "err_countsketch", "jl/priority", "countsketch/priority"]
    write_results("coordinated" + ("-quick" if args.quick else ""), part1, cols1, notes)
    cols2 = ["case", "method", "samples", "seconds", "exact_seconds", "speedup", "rel_err",
             "rel_err_estimate"]
    write_results("coordinated-matmul" + ("-quick" if args.quick else ""), part2, cols2, notes)
    return 0
