"""The Haar tour stop runs: PFC's frame potential is Haar's, and the sampler is timed."""

from __future__ import annotations

import re

import numpy as np

from qla.tour import STOPS, Stop
from qla.tour.haar import run


def test_tour_stop():
    assert "qla.tour.haar" in STOPS
    stop = run(0, np)
    assert isinstance(stop, Stop) and stop.area == "haar"
    assert stop.seconds > 0 and stop.baseline_seconds > 0
    assert stop.repeats >= 3 and stop.speedup is not None  # medians: a stable comparison
    m = re.fullmatch(
        r"PFC \d+ keys: F_2 (?P<f2>[\d.]+)±(?P<f2se>[\d.]+) \(Haar 2, z (?P<z>[-+\d.]+)\), "
        r"<r> (?P<r>[\d.]+)±(?P<rse>[\d.]+) \(CUE 0.600, z [-+\d.]+\); "
        r"sampler F_2 (?P<h>[\d.]+)±(?P<hse>[\d.]+)", stop.accuracy)
    assert m, stop.accuracy
    f2, f2_se, z_f2, r, r_se, f2_haar, f2_haar_se = (
        float(m[k]) for k in ("f2", "f2se", "z", "r", "rse", "h", "hse"))
    # PFC is an approximate 2-design: F_2 = 2 within 4 standard errors; so is the sampler.
    assert abs(f2 - 2) < 4 * f2_se and abs(z_f2) < 4
    assert abs(f2_haar - 2) < 4 * f2_haar_se
    # Spacing ratio: near CUE (0.60), far from Poisson (0.386).
    assert 0.55 < r < 0.65 and r_se < 0.02
