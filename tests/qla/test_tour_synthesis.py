"""The synthesis tour stop reaches the lower bound and reports a real distance."""

from __future__ import annotations

import numpy as np

from qla.tour import synthesis


def test_tour_stop_synthesis():
    stop = synthesis.run(0, np)
    assert stop.area == "synthesis"
    assert stop.case.startswith("3-qubit Haar U: 14 CX (bound 14) vs QSD 19 CX")
    dist = float(stop.accuracy.split()[1])
    assert dist <= 1e-8
    # QSD uses more CNOTs (a different job): no speed-up is claimed
    assert stop.baseline_seconds is None and stop.speedup is None
