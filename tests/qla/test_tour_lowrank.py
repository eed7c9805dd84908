"""The low-rank tour stop: accuracy-first randomized SVD next to scikit-learn's, equal accuracy."""

from __future__ import annotations

import re

import numpy as np
import pytest

from qla.tour import REPEATS, STOPS, Stop
from qla.tour.lowrank import low_rank_plus_noise, run


def test_tour_stop():
    assert "qla.tour.lowrank" in STOPS
    stop = run(0, np)
    assert isinstance(stop, Stop) and stop.area == "low-rank"
    ours, theirs = map(float, re.search(r"σ₂₁ = ([0-9.]+) \(sklearn ([0-9.]+)",
                                        stop.accuracy).groups())
    sv_err = float(re.search(r"σ error ([0-9.e+-]+),", stop.accuracy).group(1))
    fro = float(re.search(r"estimate ([0-9.]+)x", stop.accuracy).group(1))
    # accuracy=1e-2 asks for ‖A − Â‖₂ ≤ 1.01·σ₂₁; Eckart–Young: never below 1.
    assert 1.0 - 1e-9 <= ours <= 1.01 and 1.0 - 1e-9 <= theirs
    assert sv_err < 1e-4
    assert 0.5 < fro < 1.5  # E‖Rω‖² = ‖R‖_F² with 5 probes
    # a speed-up only at equal accuracy, from medians of REPEATS runs
    assert stop.repeats == REPEATS
    assert (stop.speedup is not None) == (max(ours, theirs) <= 1.01)


def test_generator():
    A, sig = low_rank_plus_noise(120, 80, rank=6, noise=0.0, seed=1)
    np.testing.assert_allclose(np.linalg.svd(A, compute_uv=False)[:6], sig, rtol=1e-12)
    assert np.linalg.matrix_rank(A) == 6


@pytest.mark.gpu
def test_tour_stop_gpu(cupy):
    stop = run(0, cupy)
    assert "1.00" in stop.accuracy
