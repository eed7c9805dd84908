"""Silent wrong answers from circuit builders and the QASM round trip: on generated valid
input, what a builder returns is what it claims (exact circuits against their matrices,
OpenQASM exported and re-imported against the original operator).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from qiskit.quantum_info import Operator, Statevector

import circuits
import qla

pytestmark = pytest.mark.hostile


def _phase_distance(V: np.ndarray, U: np.ndarray) -> float:
    """``min_a ||e^{ia} V - U||_F / sqrt(d)``."""
    inner = np.vdot(V, U)
    phase = inner / abs(inner) if abs(inner) > 0 else 1.0
    return float(np.linalg.norm(phase * V - U) / np.sqrt(U.shape[0]))


@st.composite
def small_circuits(draw):
    kind = draw(st.sampled_from(["haar", "brickwork", "clifford", "pfc", "pauli"]))
    n = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    if kind == "haar":
        return circuits.haar_circuit(n, seed=seed)
    if kind == "brickwork":
        return circuits.random_brickwork(max(n, 2), draw(st.integers(0, 3)), seed=seed)
    if kind == "clifford":
        return circuits.random_clifford_circuit(n, seed=seed)
    if kind == "pfc":
        return circuits.pfc(n, seed)
    layers = draw(st.integers(1, 2))
    theta = np.random.default_rng(seed).uniform(-np.pi, np.pi,
                                                circuits.pauli_num_params(n, layers))
    return circuits.pauli_circuit(n, layers, theta)


@given(small_circuits(), st.sampled_from([2, 3]),
       st.sampled_from([None, ["cx", "u"], ["rz", "sx", "x", "cx"]]))
def test_exported_qasm_reimports_to_the_same_operator(qc, version, basis):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = qla.export(qc, version=version, basis=basis)
    back = qla.load_qasm(text)
    assert back.num_qubits == qc.num_qubits
    assert _phase_distance(Operator(back).data, Operator(qc).data) < 1e-6


@given(st.integers(1, 4), st.integers(0, 2**16), st.sampled_from([np.complex128, np.complex64]))
def test_diagonal_and_state_circuits_are_exact(n, seed, dtype):
    rng = np.random.default_rng(seed)
    D = np.exp(1j * rng.uniform(-np.pi, np.pi, 2**n)).astype(dtype)
    V = Operator(circuits.synthesize_diagonal(D)).data
    tol = 1e-6 if dtype == np.complex64 else 1e-9
    assert _phase_distance(V, np.diag(D.astype(complex))) < tol
    psi = (rng.standard_normal(2**n) + 1j * rng.standard_normal(2**n)).astype(dtype)
    psi = psi / np.linalg.norm(psi)
    out = Statevector(circuits.synthesize_state(psi)).data
    assert abs(abs(np.vdot(out, psi.astype(complex))) - 1) < tol


@given(st.integers(1, 3), st.integers(0, 2**16), st.sampled_from(["prp", "ideal"]))
def test_pfc_circuit_is_its_matrix(n, key, mode):
    V = Operator(circuits.pfc(n, key, mode)).data
    assert _phase_distance(V, circuits.pfc_matrix(n, key, mode)) < 1e-9


@given(st.integers(1, 3), st.integers(0, 3), st.integers(1, 4), st.integers(0, 2**16))
def test_sampled_unitaries_are_unitary(n, depth, batch, seed):
    for U in (circuits.clifford_unitaries(n, batch, seed=seed),
              circuits.brickwork_unitaries(max(n, 2), depth, batch, seed=seed)):
        eye = np.eye(U.shape[-1])
        assert np.abs(U.conj().transpose(0, 2, 1) @ U - eye).max() < 1e-10
