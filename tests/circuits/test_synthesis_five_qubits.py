"""The reduced (4 angles per CNOT) templates and the sequential search used from 5 qubits."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Operator
from scipy.stats import unitary_group

from circuits import cnot_lower_bound, instantiate, synthesize
from circuits.instantiate import _Template, template_unitary
from circuits.structure_search import sequential_steps
from circuits.targets import operator_distance
from sketch.errors import ConvergenceWarning

STRUCTURE = [(0, 1), (1, 2), (0, 2), (0, 1), (2, 1)]


def test_reduced_angle_count_is_the_dimension_count():
    # 3n + 4L angles; at the lower bound, plus the global phase, that is 4^n = dim U(2^n)
    for n in (2, 3, 4, 5):
        L = cnot_lower_bound(n)
        tm = _Template(n, [(0, 1)] * L, np, reduced=True)
        assert tm.n_params + 1 >= 4**n
        assert tm.n_params + 1 < 4**n + 4


def test_reduced_jacobian_matches_finite_differences():
    tm = _Template(3, STRUCTURE, np, reduced=True)
    x = np.random.default_rng(0).uniform(0, 2 * np.pi, (2, tm.n_params))
    V, J = tm.jacobian(x)
    assert np.abs(V - tm.unitary(x)).max() < 1e-14
    h = 1e-6
    for k in range(tm.n_params):  # every column: initial U3s, control and target gates
        e = np.zeros(tm.n_params)
        e[k] = h
        fd = (tm.unitary(x + e) - tm.unitary(x - e)) / (2 * h)
        assert np.abs(fd - J[:, k]).max() < 1e-8, k


@pytest.mark.parametrize("theta", [None, 0.0, np.pi, 2 * np.pi])
def test_reduced_angles_convert_to_u3(theta):
    # both branches of the conversion (cos θ/2 >= sin θ/2 and below) and the degenerate ends
    tm = _Template(3, STRUCTURE, np, reduced=True)
    x = np.random.default_rng(1).uniform(0, 2 * np.pi, tm.n_params)
    if theta is not None:
        x[9::2] = theta
        x[10::2] = np.pi
    params, gamma = tm.u3_params(x)
    assert params.shape == (3 * (3 + 2 * len(STRUCTURE)),)
    V = np.exp(1j * gamma) * template_unitary(3, STRUCTURE, params)
    assert np.abs(V - tm.unitary(x[None])[0]).max() < 1e-14


def test_reduced_instantiation_reaches_a_reachable_target():
    U = unitary_group.rvs(8, random_state=3)
    layered = [(0, 1), (0, 2), (1, 2)] * 5
    r = instantiate(U, layered[:14], seed=0, reduced=True)  # the 3-qubit lower bound
    assert r.converged and r.distance <= 1e-10
    # the result is in the U3 layout: its circuit is the fitted unitary
    assert operator_distance(U, r.circuit()) == pytest.approx(r.distance, rel=1e-6, abs=1e-15)


def test_five_qubits_time_limit_returns_a_valid_circuit(capsys):
    U = unitary_group.rvs(32, random_state=0)
    with pytest.warns(ConvergenceWarning, match="time limit"):
        res = synthesize(U, method="numerical", time_limit=0.5, seed=0, progress=True)
    # the bar counts Levenberg-Marquardt steps against the worst case: it has a total (an ETA)
    bar = capsys.readouterr().err
    assert "synthesize 5q" in bar and f"/{sequential_steps(8, 2)}" in bar
    assert res.circuit.num_qubits == 5
    assert set(res.circuit.count_ops()) <= {"cx", "u"}
    assert res.cnot_count == res.circuit.count_ops()["cx"] == len(res.structure)
    assert cnot_lower_bound(5) <= res.cnot_count <= 260  # starts at the bound + 8
    assert not res.converged and 0 < res.distance
    # the reported distance is the true one, with the phase in the circuit
    assert operator_distance(U, res.circuit) == pytest.approx(res.distance, rel=1e-9)
    V = Operator(res.circuit).data
    phase_free = np.linalg.norm(np.exp(1j * np.angle(np.vdot(V, U))) * V - U) / np.sqrt(32)
    assert phase_free == pytest.approx(res.distance, rel=1e-9)
