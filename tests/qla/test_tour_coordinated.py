"""The coordinated-sampling tour stop runs and beats JL at equal storage."""

from __future__ import annotations

import re

import numpy as np

from qla.tour import STOPS, Stop
from qla.tour.coordinated import run


def test_tour_stop():
    assert "qla.tour.coordinated" in STOPS
    stop = run(0, np)
    # the exact product is another job: accuracy and time, no speed-up claimed
    assert isinstance(stop, Stop) and stop.baseline_seconds is None and stop.speedup is None
    err, est, err_jl = map(float, re.findall(r"\d+\.\d+", stop.accuracy)[:3])
    # k = 1000 rows: E rel. err² ≤ 2/(k−1); Chebyshev with δ = 0.01 gives < 0.45.
    assert err < 0.45 and err < err_jl and 0.5 * err < est < 2 * err
