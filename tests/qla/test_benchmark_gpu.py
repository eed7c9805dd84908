"""`python -m benchmarks gpu`: without a CUDA device it says so and exits non-zero."""

from __future__ import annotations

import pytest

from benchmarks import gpu
from benchmarks.__main__ import main


def test_without_cuda_it_refuses_clearly(monkeypatch, capsys):
    monkeypatch.setattr(gpu, "cuda_status", lambda: (False, "no CUDA device: test"))
    assert main(["gpu"]) == 2
    err = capsys.readouterr().err
    assert "no CUDA device" in err


def test_status_names_what_it_saw():
    ok, why = gpu.cuda_status()
    assert isinstance(ok, bool) and why
    if not ok:
        assert "--plumbing" in why  # tells the reader how to check the script without a GPU


def test_a_failing_part_is_a_row_not_a_crash():
    def broken():
        raise RuntimeError("boom")

    (row,) = gpu._guarded("lstsq", "case", broken)
    assert row["note"].startswith("failed: RuntimeError: boom")
    assert set(row) == set(gpu.COLUMNS)


def test_registered_and_wired():
    from benchmarks import BENCHMARKS

    assert "gpu" in BENCHMARKS
    with pytest.raises(SystemExit):  # argparse --help exits: the module is wired
        gpu.main(["--help"])
