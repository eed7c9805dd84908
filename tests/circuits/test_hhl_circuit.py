"""The HHL circuit, simulated by Aer, against the exact emulator and the classical answer."""

import warnings

import numpy as np
import pytest
from qiskit import qasm2, qasm3
from qiskit.quantum_info import Operator

from circuits.hhl import hhl, state_projector, tridiagonal_operator
from sketch.errors import NonFiniteError, NotHermitianError, ShapeError
from sketch.hhl import emulate_hhl, random_spd_system

A2 = np.array([[1.0, -1 / 3], [-1 / 3, 1.0]])
B2 = np.array([1.0, 0.0])


def test_textbook_2x2_circuit_is_exact():
    h = hhl(A2, B2, clock_qubits=2, time=3 * np.pi / 4)
    assert h.circuit.num_qubits == 4
    assert h.sizing.chosen["clock_qubits"] == "user" and h.sizing.chosen["constant"] == "auto"
    sv = h.statevector()
    x_out = h.postselect(sv)
    np.testing.assert_allclose(x_out * h.scale, [1.125, 0.375], atol=1e-12)
    p = np.vdot(x_out, x_out).real
    assert p == pytest.approx(0.625, abs=1e-12)
    assert np.sqrt(p) * h.scale == pytest.approx(1.1858541225631423, abs=1e-12)
    x = np.array([1.125, 0.375])
    fid = abs(np.vdot(x, x_out)) ** 2 / (x @ x * p)
    assert fid == pytest.approx(1.0, abs=1e-12)


def _random_hermitian(n, seed, complex_=True):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n)) + (1j * rng.normal(size=(n, n)) if complex_ else 0)
    b = rng.normal(size=n) + (1j * rng.normal(size=n) if complex_ else 0)
    return X + X.conj().T, b


CASES = [
    # (A, b, overrides): on-grid, leakage (arbitrary t), negative eigenvalues, padding,
    # non-Hermitian dilation, user constant
    (A2, B2, dict(clock_qubits=3, time=1.0)),
    (*random_spd_system(4, 10.0, seed=1), dict(clock_qubits=3)),
    (*_random_hermitian(2, 2), dict(clock_qubits=4)),
    (*_random_hermitian(3, 3, complex_=False), dict(clock_qubits=3, time=0.2)),
    (np.array([[2.0, 1.0], [0.0, 1.0]]), np.array([1.0, 2.0]), dict(clock_qubits=3)),
    (*random_spd_system(2, 4.0, seed=5), dict(clock_qubits=3, constant=0.05)),
]


@pytest.mark.parametrize("A, b, kw", CASES)
def test_emulator_matches_aer_statevector(A, b, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = hhl(A, b, **kw)
        emu = emulate_hhl(A, b, sizing=h.sizing)
    sv = h.statevector()
    np.testing.assert_allclose(sv, emu.statevector(), rtol=0, atol=1e-10)
    full = h.postselect(sv, unknowns=False)
    assert np.vdot(full, full).real == pytest.approx(
        emu.success_probability, abs=1e-10)


def test_sparse_input_gives_the_same_circuit_state():
    import scipy.sparse

    A, b = random_spd_system(4, 5.0, seed=7)
    dense = hhl(A, b, clock_qubits=3)
    sp = hhl(scipy.sparse.csr_matrix(A), b, clock_qubits=3)
    assert sp.sizing.time == pytest.approx(dense.sizing.time)
    np.testing.assert_allclose(sp.statevector(), dense.statevector(), atol=1e-12)


def test_leakage_case_really_leaks():
    h = hhl(A2, B2, clock_qubits=3, time=1.0)
    emu = emulate_hhl(A2, B2, sizing=h.sizing)
    assert emu.leakage > 0.1 and emu.fidelity < 0.999
    sv = h.statevector().reshape(2, 8, 2)
    assert np.abs(sv[:, 1:, :]).max() > 1e-2  # clock not returned to |0>


def test_qasm2_and_qasm3_round_trip_to_the_same_operator():
    h = hhl(A2, B2, clock_qubits=2, time=3 * np.pi / 4)
    tc = h.transpiled()
    assert set(tc.count_ops()) <= {"cx", "u"}
    ref = Operator(h.circuit)
    q2 = qasm2.loads(qasm2.dumps(tc), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    q3 = qasm3.loads(qasm3.dumps(tc))
    assert Operator(tc).equiv(ref)
    assert Operator(q2).equiv(ref)
    assert Operator(q3).equiv(ref)


def test_resources_reported():
    h = hhl(A2, B2, clock_qubits=2, time=3 * np.pi / 4)
    r = h.resources()
    assert r["qubits"] == 4 and r["clock_qubits"] == 2 and r["cx"] > 0 and r["depth"] > 0


def test_estimator_observables_match_emulator():
    from qiskit_aer.primitives import EstimatorV2

    A, b = random_spd_system(4, 5.0, seed=6)
    h = hhl(A, b, clock_qubits=4)
    emu = emulate_hhl(A, b, sizing=h.sizing)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 4))
    M = X + X.T
    x = np.linalg.solve(A, b)
    ops = [h.observable(None), h.observable(M), h.observable(tridiagonal_operator(4)),
           h.observable(state_projector(x))]
    tc = h.transpiled(optimization_level=0)
    evs = EstimatorV2().run([(tc, ops)]).result()[0].data.evs
    xo = emu.output
    assert evs[0] == pytest.approx(emu.success_probability, abs=1e-10)
    assert evs[1] == pytest.approx(xo @ M @ xo, abs=1e-10)
    assert evs[2] == pytest.approx(xo @ tridiagonal_operator(4) @ xo, abs=1e-10)
    assert evs[3] / evs[0] == pytest.approx(emu.fidelity, abs=1e-10)


def test_bad_observables_and_sizes():
    h = hhl(A2, B2, clock_qubits=2, time=3 * np.pi / 4)
    with pytest.raises(NotHermitianError, match="not Hermitian"):
        h.observable(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ShapeError):
        h.observable(np.eye(3))
    with pytest.raises(NonFiniteError):
        h.observable(np.array([[np.nan, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="32 clock qubits"):
        hhl(A2, B2, clock_qubits=32, time=1.0)
    h12 = hhl(A2, B2, clock_qubits=12, time=1.0)
    with pytest.raises(ValueError, match="14 qubits.*GiB"):
        h12.statevector(max_qubits=12)
    with pytest.raises(ValueError, match="b is zero"):
        hhl(A2, np.zeros(2))


def test_user_bounds_are_checked_and_set_the_sign():
    # bounds that miss the spectrum used to size a clock on which the eigenvalues alias:
    # a circuit was built and its answer was wrong, with nothing said
    A, b = np.diag([1.0, 2.0, 3.0, 4.0]), np.ones(4)
    with pytest.raises(ValueError, match=r"bounds=\(0.1, 0.2\) do not contain the spectrum"):
        hhl(A, b, bounds=(0.1, 0.2))
    # negative eigenvalues with a user pair: the clock is signed (it used to be unsigned, so
    # the -1 component aliased), and the circuit solves A x = b
    A = np.diag([-1.0, 2.0, 4.0, 4.0])
    h = hhl(A, b, bounds=(1.0, 4.0), clock_qubits=5)
    assert h.sizing.signed and h.sizing.bounds == "user"
    x_out = h.postselect(h.statevector())
    x = np.linalg.solve(A, b)
    fid = abs(np.vdot(x, x_out)) ** 2 / (np.vdot(x, x).real * np.vdot(x_out, x_out).real)
    assert fid == pytest.approx(1.0, abs=1e-9)
    # loose bounds that contain the spectrum are accepted as given
    assert hhl(np.diag([1.0, 2.0, 3.0, 4.0]), b, bounds=(0.5, 8.0)).sizing.lambda_min == 0.5
