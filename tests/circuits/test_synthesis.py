"""Tests of circuits.synthesize and circuits.instantiate: every result checked by Operator."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from qiskit.quantum_info import Operator
from qiskit.synthesis import qs_decomposition
from scipy.stats import unitary_group

from circuits import (
    cnot_lower_bound,
    instantiate,
    synthesize,
    synthesize_diagonal,
    synthesize_state,
)
from circuits.instantiate import _Template, template_circuit
from circuits.targets import operator_distance
from sketch.errors import (
    ConvergenceWarning,
    NotPowerOfTwoError,
    NotUnitaryError,
    ShapeError,
    ToleranceError,
)


def haar(n: int, seed: int) -> np.ndarray:
    return unitary_group.rvs(2**n, random_state=seed)


def random_template_unitary(n, structure, seed):
    x = np.random.default_rng(seed).uniform(0, 2 * np.pi, 3 * (n + 2 * len(structure)))
    return Operator(template_circuit(n, structure, x)).data


def check(res, U, tol):
    """The reported distance is the Operator's, and it meets tol."""
    assert set(res.circuit.count_ops()) <= {"cx", "u"}
    assert res.cnot_count == res.circuit.count_ops().get("cx", 0)
    d = operator_distance(U, res.circuit)
    assert d == pytest.approx(res.distance, rel=1e-6, abs=1e-15)
    assert d <= tol
    # the global phase is in the circuit too: Operator itself is close, not just up to phase
    assert np.linalg.norm(Operator(res.circuit).data - U) / np.sqrt(len(U)) <= 2 * tol


def test_lower_bound_values():
    assert [cnot_lower_bound(n) for n in range(1, 6)] == [0, 3, 14, 61, 252]


# --------------------------------------------------------------------- exact


def test_exact_one_qubit():
    U = haar(1, 0)
    res = synthesize(U, method="exact")
    check(res, U, 1e-12)
    assert res.cnot_count == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_two_qubit_generic_is_three_cnots(seed):
    U = haar(2, seed)
    res = synthesize(U, method="exact")
    check(res, U, 1e-12)
    assert res.cnot_count == 3


@pytest.mark.parametrize("k", [0, 1, 2])
def test_exact_two_qubit_uses_fewer_when_possible(k):
    U = random_template_unitary(2, [(0, 1)] * k, seed=k)
    res = synthesize(U, method="exact")
    check(res, U, 1e-10)
    assert res.cnot_count == k


@pytest.mark.parametrize("n", [3, 4])
def test_exact_qsd_matches_qiskit_count(n):
    U = haar(n, 5)
    res = synthesize(U, method="exact")
    check(res, U, 1e-12)
    expected = qs_decomposition(U).count_ops()["cx"]
    assert res.cnot_count == expected == {3: 19, 4: 95}[n]


def test_exact_diagonal():
    phases = np.random.default_rng(3).uniform(0, 2 * np.pi, 8)
    D = np.diag(np.exp(1j * phases))
    res = synthesize(D, method="exact")
    check(res, D, 1e-12)
    assert res.cnot_count <= 2**3 - 2
    qc = synthesize_diagonal(np.exp(1j * phases))
    assert operator_distance(D, qc) < 1e-12


def test_state_preparation():
    from qiskit.quantum_info import Statevector

    psi = haar(3, 9)[:, 0]
    qc = synthesize_state(psi)
    assert set(qc.count_ops()) <= {"cx", "u"}
    assert abs(np.vdot(Statevector(qc).data, psi)) == pytest.approx(1, abs=1e-12)
    with pytest.raises(ValueError, match="norm 1"):
        synthesize_state(2 * psi)


def test_requested_basis():
    U = haar(2, 4)
    res = synthesize(U, method="exact", basis=("rz", "sx", "x", "cx"))
    assert set(res.circuit.count_ops()) <= {"rz", "sx", "x", "cx"}
    assert operator_distance(U, res.circuit) < 1e-10


# ----------------------------------------------------------------- numerical


def test_jacobian_matches_finite_differences():
    tm = _Template(3, [(0, 1), (1, 2), (0, 2)], np)
    x = np.random.default_rng(0).uniform(0, 2 * np.pi, (2, tm.n_params))
    V, J = tm.jacobian(x)
    h = 1e-6
    for k in (0, 7, tm.n_params - 1):
        e = np.zeros(tm.n_params)
        e[k] = h
        fd = (tm.unitary(x + e) - tm.unitary(x - e)) / (2 * h)
        assert np.abs(fd - J[:, k]).max() < 1e-8


def test_instantiate_known_structure():
    st = [(0, 1), (1, 2), (0, 1)]
    U = random_template_unitary(3, st, seed=11)
    r = instantiate(U, st, seed=0, tol=1e-10)
    assert r.converged and r.distance <= 1e-10
    assert operator_distance(U, r.circuit()) <= 1e-10


def test_numerical_two_qubit_haar_three_cnots():
    U = haar(2, 7)
    res = synthesize(U, method="numerical", seed=0, progress=False)
    check(res, U, 1e-8)
    assert res.cnot_count == 3


@pytest.mark.parametrize("k", [0, 1, 2])
def test_numerical_two_qubit_finds_small_counts(k):
    U = random_template_unitary(2, [(0, 1)] * k, seed=20 + k)
    res = synthesize(U, method="numerical", seed=1, progress=False)
    check(res, U, 1e-8)
    assert res.cnot_count <= k


@pytest.mark.parametrize("st", [[(0, 1), (1, 2)], [(0, 2), (1, 2), (0, 1), (0, 2)]])
def test_numerical_three_qubit_finds_known_small_count(st):
    U = random_template_unitary(3, st, seed=len(st))
    res = synthesize(U, method="numerical", seed=2, progress=False)
    check(res, U, 1e-8)
    assert res.cnot_count <= len(st)


def test_numerical_three_qubit_haar_reaches_lower_bound():
    U = haar(3, 0)
    res = synthesize(U, method="numerical", seed=0, progress=False)
    check(res, U, 1e-8)
    assert res.cnot_count == 14 == res.lower_bound
    assert res.converged


def test_deterministic_under_seed():
    U = haar(2, 8)
    a = synthesize(U, method="numerical", seed=5, progress=False)
    b = synthesize(U, method="numerical", seed=5, progress=False)
    assert a.structure == b.structure
    assert a.circuit == b.circuit


def test_coupling_map_respected():
    U = haar(3, 3)
    res = synthesize(U, method="numerical", coupling_map=[(0, 1), (2, 1)], seed=0,
                     progress=False)
    check(res, U, 1e-8)
    for inst in res.circuit.data:
        if inst.operation.name == "cx":
            qs = {res.circuit.find_bit(q).index for q in inst.qubits}
            assert qs in ({0, 1}, {1, 2})
    with pytest.raises(ValueError, match="connect"):
        synthesize(U, method="numerical", coupling_map=[(0, 1)], progress=False)


def test_approximate_under_budget_reports_true_distance():
    U = haar(3, 1)
    res = synthesize(U, method="approximate", max_cnots=8, seed=0, progress=False)
    assert res.cnot_count <= 8
    assert not res.converged
    # below the lower bound a generic target cannot be reached: distance is strictly positive
    d = operator_distance(U, res.circuit)
    assert d == pytest.approx(res.distance, rel=1e-9)
    assert 1e-4 < d < 1.0
    loose = synthesize(U, method="approximate", max_cnots=14, tol=0.2, seed=0, progress=False,
                       time_limit=3)
    assert loose.converged and loose.distance <= 0.2 and loose.cnot_count <= 14


def test_time_limit_returns_best_so_far_with_warning():
    U = haar(3, 2)
    with pytest.warns(ConvergenceWarning, match="time limit"):
        res = synthesize(U, method="numerical", time_limit=1e-3, seed=0, progress=False)
    assert not res.converged
    assert operator_distance(U, res.circuit) == pytest.approx(res.distance, rel=1e-9)


def test_qasm_round_trip():
    from qiskit import qasm2, qasm3

    U = haar(2, 6)
    res = synthesize(U, method="numerical", seed=0, progress=False)
    text = qasm2.dumps(res.circuit)
    back = qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    # OpenQASM 2 has no global phase: compare up to phase
    assert operator_distance(U, back) < 1e-8
    assert "OPENQASM 3" in qasm3.dumps(res.circuit)


# --------------------------------------------------------------- bad input


def test_not_unitary():
    with pytest.raises(NotUnitaryError, match="not unitary"):
        synthesize(np.ones((4, 4)) / 2)


def test_not_power_of_two():
    with pytest.raises(NotPowerOfTwoError):
        synthesize(np.eye(3))
    with pytest.raises(ShapeError):
        synthesize(np.eye(4)[:, :2])
    with pytest.raises(ShapeError):
        synthesize(np.eye(1))


def test_tolerance_below_float64_floor():
    with pytest.raises(ToleranceError, match="floor"):
        synthesize(haar(2, 0), method="numerical", tol=1e-16)
    with pytest.raises(ToleranceError):
        synthesize(haar(3, 0).astype(np.complex64), method="numerical", tol=1e-9)


def test_bad_method():
    with pytest.raises(ValueError, match="method"):
        synthesize(np.eye(2), method="magic")


def test_no_warning_when_converged():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        synthesize(haar(2, 1), method="numerical", seed=0, progress=False)


@pytest.mark.gpu
def test_numerical_on_cupy(cupy):
    U = haar(3, 0)
    res = synthesize(cupy.asarray(U), method="numerical", seed=0, progress=False)
    check(res, U, 1e-8)
    assert res.cnot_count == 14


def test_accepts_circuit_and_operator_and_shows_progress(capsys):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(0, 1)  # two CNOTs that cancel: the search must find 0
    res = synthesize(qc, method="numerical", seed=0, progress=True)
    assert res.cnot_count == 0
    assert operator_distance(Operator(qc).data, res.circuit) <= 1e-8
    assert "synthesize 2q" in capsys.readouterr().err
    assert synthesize(Operator(qc), method="exact").cnot_count == 0
