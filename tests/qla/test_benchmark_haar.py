"""`python -m benchmarks haar` runs small and writes throughput ratios."""

from __future__ import annotations

import json

import benchmarks.harness as harness
from benchmarks.__main__ import main


def test_haar_benchmark_small_run(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "RESULTS", tmp_path)
    assert main(["haar", "--quick", "--dims", "4", "16", "--entries", "4096"]) == 0
    (path,) = tmp_path.glob("haar-quick*.json")
    rows = json.loads(path.read_text())["rows"]
    assert [r["d"] for r in rows] == [4, 16] and [r["batch"] for r in rows] == [256, 16]
    for r in rows:
        assert r["qla_per_s"] > 0 and r["scipy_per_s"] > 0 and r["qiskit_per_s"] > 0
        assert abs(r["ratio_scipy"] - r["qla_per_s"] / r["scipy_per_s"]) < 1e-9
        assert r["unitarity_err"] < 1e-12
    (gen,) = tmp_path.glob("haar-generator-quick*.json")
    for r in json.loads(gen.read_text())["rows"]:
        want = 1 / 12 if "uniform" in r["draw"] else 1  # uniforms on (0, 1); normals
        assert r["qla_ns"] > 0 and r["peer_ns"] > 0 and abs(r["var"] / want - 1) < 0.02
