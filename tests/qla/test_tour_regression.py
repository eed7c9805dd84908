"""The regression tour stop: lstsq's default (FOSSILS) matches LAPACK on a known solution."""

from __future__ import annotations

import re

import numpy as np
import pytest

from qla.tour import STOPS, Stop
from qla.tour.regression import conditioned_problem, excess_residual, run


def test_regression_stop_opens_the_tour():
    assert STOPS[0] == "qla.tour.regression"


def test_tour_stop_meets_the_optimum():
    stop = run(0, np)
    assert isinstance(stop, Stop) and stop.baseline.startswith("scipy lstsq")
    assert stop.baseline_seconds is not None and stop.seconds > 0
    err, err_lapack, ours, lapack = map(
        float, re.findall(r"-?\d\.\de[+-]\d+", stop.accuracy)[:4])
    # Both are backward stable: residual excess at rounding, and a forward error of
    # order κ·u·(1 + κ‖r‖/‖A‖‖x‖) — the same for both, within the factor 10.
    assert abs(ours) < 1e-12 and abs(lapack) < 1e-12
    assert err < 10 * err_lapack + 1e-12 and err < 1e-3


@pytest.mark.parametrize("kappa", [1.0, 1e3, 1e10])
def test_conditioned_problem_has_known_optimum(kappa):
    p = conditioned_problem(400, 30, kappa, seed=3)
    assert np.linalg.cond(p.A) == pytest.approx(kappa, rel=1e-6)
    r = p.b - p.A @ p.x
    assert np.linalg.norm(p.A.T @ r) < 1e-13 * np.linalg.norm(r)  # r ⊥ range(A)
    x_ls = np.linalg.lstsq(p.A, p.b, rcond=None)[0]
    assert abs(excess_residual(p, x_ls)) < 1e-13
    assert excess_residual(p, p.x + 1e-3) > 1e-9  # any other x is worse


def test_conditioned_problem_float32_and_bad_arguments():
    p = conditioned_problem(100, 5, 10.0, seed=0, dtype=np.float32)
    assert p.A.dtype == p.b.dtype == p.x.dtype == np.float32
    with pytest.raises(ValueError, match="m > n"):
        conditioned_problem(5, 5, 10.0)
    with pytest.raises(ValueError, match="kappa"):
        conditioned_problem(10, 5, 0.5)


@pytest.mark.gpu
def test_tour_stop_on_gpu(cupy):
    stop = run(0, cupy)
    assert stop.baseline == "cupy lstsq"
    ours, lapack, _ = map(float, re.findall(r"-?\d\.\de[+-]\d+", stop.accuracy)[:3])
    assert abs(ours) < 1e-12 and abs(lapack) < 1e-12


@pytest.mark.gpu
def test_conditioned_problem_on_gpu(cupy):
    p = conditioned_problem(400, 30, 1e4, seed=3, xp=cupy)
    assert isinstance(p.A, cupy.ndarray) and isinstance(p.b, cupy.ndarray)
    assert abs(excess_residual(p, p.x)) < 1e-13
