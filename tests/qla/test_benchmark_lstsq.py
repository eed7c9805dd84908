"""`python -m benchmarks lstsq` on tiny problems: the default meets LAPACK's accuracy, and
its reported backward error agrees with the benchmark's independent computation."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import benchmarks.harness as harness
from benchmarks.__main__ import main
from benchmarks.lstsq import backward_error, dense_problem, sparse_problem
from sketch import lstsq
from sketch.errors import ConvergenceWarning


def test_lstsq_benchmark_tiny_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(harness, "RESULTS", tmp_path)
    argv = ["lstsq", "--n", "30", "--ratio", "40", "--repeat", "1", "--threads", "1",
            "--kappa", "1e2", "1e12", "--residual", "1e-3", "--cases", "dense,rank,sparse",
            "--sparse-shape", "6000", "40"]
    assert main(argv) == 0
    (path,) = tmp_path.glob("lstsq-*.json")
    rows = json.loads(path.read_text())["rows"]
    problems = {(r["problem"], r["kappa"]) for r in rows}
    assert len(problems) == 4
    solvers = {r["solver"] for r in rows}
    assert {"scipy.linalg.lstsq (gelsd)", "scipy.linalg.lstsq (gelsy)",
            "scipy.linalg.lstsq (gelss)", "QR solve: R of [A b] + solve_triangular",
            "qla fossils (default)", "qla sketch-and-precondition", "qla sketch-and-solve",
            "scipy lsqr", "scipy lsmr, column-scaled"} <= solvers
    for r in rows:
        assert r["seconds"] > 0 and r["speedup"] > 0 and r["counts"] in (
            "yes", "MISSING equal accuracy")
        if r["solver"] == "scipy.linalg.lstsq (gelsd)":
            assert r["counts"] == "yes"  # the reference
        if r["solver"] == "qla fossils (default)":
            # backward stable: LAPACK's accuracy on every problem, rank-deficient included
            assert r["counts"] == "yes" and r["converged"] and r["warnings"] == 0, r
            assert r["backward_error"] < 1e-15 and r["reported_backward_error"] < 1e-15
        if r["solver"] == "qla sketch-and-solve":
            assert r["counts"] != "yes"  # an ε-accurate residual is not LAPACK's accuracy
    assert "speedup" in capsys.readouterr().out


@pytest.mark.parametrize("maxiter", [1, 4])
def test_reported_backward_error_agrees_with_benchmark(maxiter):
    # Before convergence the estimate is far above the rounding floor, so the comparison
    # tests the estimator: the sketched value is within (1 ± η)^±2 of the exact one.
    for p in (dense_problem(3000, 30, 1e8, 1e-3, seed=1), sparse_problem(6000, 40, 1e-3)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = lstsq(p.A, p.b, maxiter=maxiter, seed=2, sketch="sparse-sign")
        exact = backward_error(p, res.x)
        assert exact > 1e-13
        assert 0.4 <= res.backward_error / exact <= 2.5, (maxiter, res.backward_error, exact)
        assert np.linalg.norm(res.x - p.x) <= res.forward_error_bound
