"""`qla tour` options through qla.cli.main, and the execution tour stop."""

from __future__ import annotations

import importlib
import re
import sys

import pytest

from qla.cli import main

tour_module = importlib.import_module("qla.tour")  # `qla.tour` the attribute is the function


@pytest.fixture
def only_execution_stop(monkeypatch):
    """Run just this area's stop: the other stops have their own tests."""
    monkeypatch.setattr(tour_module, "STOPS", ["qla.tour.execution"])


def test_execution_stop_is_registered():
    assert "qla.tour.execution" in tour_module.STOPS


def test_tour_writes_report_with_execution_stop(only_execution_stop, tmp_path, capsys):
    out = tmp_path / "report.md"
    assert main(["tour", "--no-progress", "--seed", "1", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# qla tour")
    assert text.strip().splitlines()[-1].startswith("Total ")
    row = next(line for line in text.splitlines() if line.startswith("| execution"))
    tv_noisy, tv_clean = map(float, re.findall(r"TV ([0-9.]+).*Aer ([0-9.]+)", row)[0])
    # 16 outcomes, 4000 shots: noiseless within the shot-noise bound; device noise on top
    assert tv_clean < 0.5 * ((16 / 4000) ** 0.5 + (2 * 13.8 / 4000) ** 0.5)
    assert tv_clean < tv_noisy < 0.5
    assert "execution" in capsys.readouterr().out


def test_tour_out_errors(tmp_path, capsys):
    assert main(["tour", "--no-progress", "--out", str(tmp_path / "no" / "r.md")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["tour", "--no-progress", "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_tour_gpu_without_cupy_names_the_extra(capsys):
    try:
        import cupy  # noqa: F401

        pytest.skip("CuPy is installed here")
    except ImportError:
        pass
    assert main(["tour", "--gpu", "--no-progress"]) == 2
    assert 'pip install "qla[gpu]"' in capsys.readouterr().err


def test_cli_lists_subcommands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for name in ("tour", "circuit", "export"):
        assert name in text


def test_execution_stop_without_ibm_runtime_uses_generic_device(monkeypatch):
    import numpy as np

    from qla.tour import execution

    monkeypatch.setitem(sys.modules, "qiskit_ibm_runtime.fake_provider", None)  # import fails
    stop = execution.run(0, np)
    assert "generic_backend_5q" in stop.case and stop.baseline == "BackendSamplerV2 by hand"
    tv_noisy, tv_clean = map(float, re.findall(r"TV ([0-9.]+).*Aer ([0-9.]+)", stop.accuracy)[0])
    assert tv_clean < 0.5 * ((16 / 4000) ** 0.5 + (2 * 13.8 / 4000) ** 0.5) and tv_noisy < 0.5


def test_speedup_only_for_stable_same_job_comparisons():
    from qla.tour import REPEATS, Stop, median_time, report

    once = Stop("a", "case", "acc", 1.0, "peer", 2.0)  # one timing: no claim
    stable = Stop("b", "case", "acc", 1.0, "peer", 2.0, repeats=REPEATS)
    other_job = Stop("c", "case", "acc", 1.0, "exact product")
    assert once.speedup is None and other_job.speedup is None and stable.speedup == 2.0
    text = report([once, stable, other_job])
    assert "(median of 3)" in text and "no speed-up claimed" in text
    calls = []
    seconds, out = median_time(lambda: calls.append(1) or len(calls), repeats=3)
    assert out == 4 and len(calls) == 4 and seconds >= 0  # one warm-up, three timed
