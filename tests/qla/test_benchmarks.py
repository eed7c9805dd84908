"""`python -m benchmarks all` writes its summary; the simulation benchmark runs small."""

from __future__ import annotations

import datetime
import json
import sys
import types

import pytest

import benchmarks
import benchmarks.harness as harness
import benchmarks.summary as summary
from benchmarks.__main__ import main


@pytest.fixture
def results_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "RESULTS", tmp_path)
    monkeypatch.setattr(summary, "RESULTS", tmp_path)
    return tmp_path


def test_all_collects_every_benchmark_into_one_summary(results_dir, monkeypatch):
    tiny = types.ModuleType("qla_test_tiny_bench")

    def tiny_main(argv):
        harness.write_results("tiny", [{"n": 1, "ratio": 2.5}], ["n", "ratio"], "note")
        return 0

    tiny.main = tiny_main
    broken = types.ModuleType("qla_test_broken_bench")

    def broken_main(argv):
        raise RuntimeError("boom")

    broken.main = broken_main
    monkeypatch.setitem(sys.modules, tiny.__name__, tiny)
    monkeypatch.setitem(sys.modules, broken.__name__, broken)
    monkeypatch.setattr(benchmarks, "BENCHMARKS", {"tiny": tiny.__name__,
                                                   "broken": broken.__name__})
    import benchmarks.__main__ as entry

    monkeypatch.setattr(entry, "BENCHMARKS", benchmarks.BENCHMARKS)
    assert main(["all", "--quick"]) == 1  # the broken one fails, the rest still run
    host = harness.machine()["host"]
    stamp = datetime.date.today().isoformat()
    data = json.loads((results_dir / f"{host}-{stamp}.json").read_text())
    assert data["benchmarks"]["tiny"]["rows"] == [{"n": 1, "ratio": 2.5}]
    assert data["benchmarks"]["tiny"]["file"] == f"tiny-{host}-{stamp}.json"
    assert data["benchmarks"]["broken"]["error"] == "RuntimeError: boom"
    md = (results_dir / f"{host}-{stamp}.md").read_text()
    assert "| tiny | ok |" in md and "failed (RuntimeError: boom)" in md
    assert "| 1 | 2.5 |" in md  # the tiny table is included


def test_simulation_benchmark_small_run(results_dir, capsys):
    from benchmarks.simulation import layered_random_circuit

    qc = layered_random_circuit(5, 4, seed=1)
    assert qc.count_ops()["u"] == 20 and qc.count_ops()["cx"] == 2 + 2 + 2 + 2
    assert main(["simulation", "--max-qubits", "8", "--layers", "2", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "Aer GPU" in out  # says whether the GPU column exists
    (path,) = results_dir.glob("simulation-*.json")
    row = json.loads(path.read_text())["rows"][0]
    assert row["qubits"] == 8 and row["aer_cpu_s"] > 0 and row["qla/aer"] > 0


def test_unknown_benchmark():
    assert main(["no-such-benchmark"]) == 2
