"""`python -m benchmarks lstsq` on a tiny problem: every solver meets the 1e-10 target."""

from __future__ import annotations

import json

import pytest

import benchmarks.harness as harness
from benchmarks.__main__ import main


def test_lstsq_benchmark_tiny_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(harness, "RESULTS", tmp_path)
    argv = ["lstsq", "--n", "30", "--ratio", "40", "--repeat", "1", "--threads", "1",
            "--kappa", "1e2", "1e8"]
    assert main(argv) == 0
    (path,) = tmp_path.glob("lstsq-*.json")
    rows = json.loads(path.read_text())["rows"]
    solvers = {r["solver"] for r in rows}
    assert {"scipy.linalg.lstsq (gelsd)", "scipy.linalg.lstsq (gelsy)",
            "scipy.linalg.lstsq (gelss)"} <= solvers
    assert sum(s.startswith("QR solve") for s in solvers) == 2
    assert sum(s.startswith("qla sketch-and-precondition") for s in solvers) == 4
    assert len(rows) == 2 * len(solvers) and {r["kappa"] for r in rows} == {1e2, 1e8}
    for r in rows:
        # LSQR's tol 1e-6 bound gives ≤ 2e-10 (module docstring); LAPACK is backward stable
        assert r["meets_1e-10"] and r["excess_residual"] > -1e-13, r
        assert r["speedup_vs_best_lapack"] > 0 and r["threads"] == "1"
    best = [r for r in rows if r["solver"] == r["best_lapack"]]
    assert len(best) == 2 and all(r["speedup_vs_best_lapack"] == 1.0 for r in best)
    sketched = [r for r in rows if r["solver"].startswith("qla")]
    assert all(r["iterations"] >= 1 and 1 <= r["cond_AN"] < 10 for r in sketched)
    assert "speedup_vs_best_lapack" in capsys.readouterr().out


@pytest.mark.gpu
def test_lstsq_benchmark_tiny_run_on_gpu(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "RESULTS", tmp_path)
    assert main(["lstsq", "--gpu", "--n", "30", "--ratio", "40", "--repeat", "1"]) == 0
    (path,) = tmp_path.glob("lstsq-gpu-*.json")
    rows = json.loads(path.read_text())["rows"]
    assert {r["solver"] for r in rows} >= {"cupy.linalg.lstsq (SVD)",
                                          "cuSOLVER QR reduced + solve_triangular"}
    assert all(r["meets_1e-10"] for r in rows)
