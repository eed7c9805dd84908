"""`python -m benchmarks lowrank` runs side by side and writes its ratios (tiny sizes)."""

from __future__ import annotations

import json

import pytest

import benchmarks.harness as harness
from benchmarks.__main__ import main


@pytest.fixture
def results_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "RESULTS", tmp_path)
    return tmp_path


def test_lowrank_benchmark_small_run(results_dir):
    assert main(["lowrank", "--dense", "400", "200", "--sparse", "3000", "600", "20000",
                 "--repeat", "1"]) == 0
    (path,) = results_dir.glob("lowrank-*.json")
    rows = json.loads(path.read_text())["rows"]
    methods = {r["method"] for r in rows}
    assert {"sklearn randomized_svd", "qla randomized_svd q=2", "scipy svds (ARPACK)"} <= methods
    for r in rows:
        assert r["time_s"] > 0 and r["spectral_err"] > 0 and r["time/sklearn"] > 0
        if r["method"] == "sklearn randomized_svd":
            assert r["err/sklearn"] == 1.0
    # On the rank-50-plus-noise matrix every method reaches the noise floor (σ₅₁ ≈ 3e-3).
    dense = [r for r in rows if r["case"].startswith("dense")]
    assert all(r["err/sklearn"] < 1.05 for r in dense)
