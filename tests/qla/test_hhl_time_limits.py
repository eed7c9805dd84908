"""The caller's ``time_limit`` reaches the HHL sizing through the public entry points.

``qla.solve`` refused ``time_limit`` for the HHL methods and ``circuits.hhl`` took none, so
the Lanczos eigenvalue bounds of a large A (up to 2000 steps on H and H²) ran unbounded
there; now one deadline (:func:`sketch.budgets.time_left`) covers the padding's and the
sizing's bounds, which stop after their first step, warn and say so in the sizing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import circuits
import qla
from sketch.budgets import LAST_STEP_S, time_left
from sketch.errors import ConvergenceWarning
from tests.sketch.test_fixed_work_time_limits import TINY, _large_indefinite


def test_solve_hhl_emulate_passes_time_limit_to_the_sizing():
    H = _large_indefinite()
    b = np.ones(H.shape[0])
    with pytest.warns(ConvergenceWarning, match="time_limit"):
        res = qla.solve(H, b, method="hhl-emulate", time_limit=TINY, progress=False)
    assert res.sizing.bounds == "lanczos (time_limit)"
    assert any("time_limit stopped Lanczos" in w for w in res.warnings)


def test_circuit_hhl_passes_time_limit_to_the_sizing():
    """The bounds come before the width check: a tiny limit stops them, then the refusal."""
    H = _large_indefinite()
    with pytest.warns(ConvergenceWarning, match="time_limit"), \
            pytest.raises(ValueError, match="max_qubits=5"):
        circuits.hhl(H, np.ones(H.shape[0]), max_qubits=5, time_limit=TINY, progress=False)


def test_hhl_time_limits_are_validated_and_direct_refuses_one():
    A, b = np.diag([1.0, 2.0]), np.ones(2)
    with pytest.raises(ValueError, match="time_limit"):
        circuits.hhl(A, b, time_limit=0)
    with pytest.raises(ValueError, match="time_limit"):
        qla.solve(A, b, method="direct", time_limit=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a dense A is sized exactly: nothing to cut short
        res = qla.solve(A, b, method="hhl-emulate", time_limit=60.0, reference=False)
    assert res.sizing.bounds == "exact"


def test_time_left_is_one_deadline_with_a_last_step():
    assert time_left(0.0, None) is None
    assert time_left(-1e9, 1.0) == LAST_STEP_S  # started long ago: one step still runs
