"""PFC pseudorandom unitaries: circuit vs closed form, clean ancillas, key determinism."""

import numpy as np
import pytest
from qiskit.quantum_info import Operator

from circuits.pfc import MODES, PFC, pfc, pfc_matrix
from sketch.rng import as_key


def _data_block(qc, n):
    """Operator restricted to ancillas |0>: (block, leakage norm into ancilla != 0)."""
    U = Operator(qc).data
    N = 1 << n
    return U[:N, :N], np.linalg.norm(U[N:, :N])


@pytest.mark.parametrize(
    "n, mode, kw",
    [(1, "prp", {}), (2, "prp", {}), (3, "prp", {}), (4, "prp", {"rounds": 6}),
     (1, "t-design", {}), (3, "t-design", {"t": 2}), (1, "t-design", {"t": 3}),
     (3, "t-design", {"t": 1}), (2, "ideal", {}), (3, "ideal", {}),
     (3, "prp", {"strong": True})],
)
def test_circuit_equals_formula_and_ancillas_clean(n, mode, kw):
    key = 1234 + n
    qc = pfc(n, key, mode, **kw)
    block, leak = _data_block(qc, n)
    assert leak < 1e-9  # ancillas return to |0> for every data input
    U = pfc_matrix(n, key, mode, **kw)
    assert np.allclose(block, U, atol=1e-9)
    assert np.allclose(U.conj().T @ U, np.eye(1 << n))


def test_formula_is_P_F_C():
    n = 3
    p = PFC.from_key(n, 99, "prp")
    x = np.arange(8, dtype=np.uint64)
    f, pi = p.f(x), p.pi(x)
    assert sorted(pi.tolist()) == list(range(8))  # a permutation
    C = p.clifford.to_matrix()
    P = np.zeros((8, 8))
    P[pi.astype(int), np.arange(8)] = 1
    assert np.allclose(p.matrix(), P @ np.diag((-1.0) ** f) @ C)
    # the Feistel evaluation is invertible and its inverse undoes it
    y = p.permutation_network.evaluate(x)
    assert np.array_equal(p.permutation_network.evaluate(y, inverse=True), x)


def test_t_design_phase_is_polynomial_bit():
    from circuits.galois import GF2m

    p = PFC.from_key(4, 5, "t-design", t=2)
    x = np.arange(16, dtype=np.uint64)
    F = GF2m(4)
    expect = np.array([F.poly_eval(list(p.function_poly), np.uint64(v)) & 1 for v in range(16)])
    assert np.array_equal(p.f(x), expect.astype(np.uint8))
    assert len(p.function_poly) == 4  # degree < 2t


def _same_circuit(a, b):
    """Instruction-by-instruction equality (qiskit's DiagonalGate lacks a usable ==)."""
    if len(a.data) != len(b.data) or a.num_qubits != b.num_qubits:
        return False
    for x, y in zip(a.data, b.data):
        if x.operation.name != y.operation.name:
            return False
        if [a.find_bit(q).index for q in x.qubits] != [b.find_bit(q).index for q in y.qubits]:
            return False
        px, py = x.operation.params, y.operation.params
        if len(px) != len(py) or not all(np.allclose(u, v) for u, v in zip(px, py)):
            return False
    return True


@pytest.mark.parametrize("mode", MODES)
def test_same_key_same_circuit_different_key_different_unitary(mode):
    a, b = pfc(3, 17, mode), pfc(3, 17, mode)
    assert _same_circuit(a, b)
    assert not _same_circuit(a, pfc(3, 18, mode))
    assert np.allclose(pfc_matrix(3, 17, mode), pfc_matrix(3, 17, mode))
    raw = bytes(range(32))
    assert _same_circuit(pfc(3, raw, mode), pfc(3, bytearray(raw), mode))
    mats = [pfc_matrix(3, k, mode) for k in (1, 2, 3, raw, raw[:16])]
    for i in range(len(mats)):
        for j in range(i):
            # not equal even up to a global phase
            assert abs(abs(np.vdot(mats[i], mats[j])) - 8) > 1e-6


def test_key_object_and_int_agree():
    assert np.allclose(pfc_matrix(2, 7), pfc_matrix(2, as_key(7)))


def test_prp_circuit_is_polynomial_size():
    # gate count grows polynomially with n (Feistel rounds x round cost), no ancillas
    small, big = pfc(8, 1).size(), pfc(16, 1).size()
    assert pfc(16, 1).num_qubits == 16
    assert big < 16 * small


@pytest.mark.parametrize("key, err, msg", [
    (None, TypeError, "explicit key"),
    (1.5, TypeError, "int"),
    ("secret", TypeError, "int"),
    (True, TypeError, "bool"),
    (b"short", ValueError, "16 or 32 bytes"),
    (bytes(20), ValueError, "16 or 32 bytes"),
])
def test_bad_keys(key, err, msg):
    with pytest.raises(err, match=msg):
        pfc(3, key)


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        pfc(3, 1, mode="random")
    with pytest.raises(ValueError, match="at most"):
        pfc(11, 1, mode="ideal")
    with pytest.raises(TypeError):
        pfc(2.0, 1)
    with pytest.raises(ValueError):
        pfc(0, 1)
    with pytest.raises(ValueError):
        pfc(3, 1, mode="t-design", t=0)
    with pytest.raises(ValueError, match="too large"):
        pfc_matrix(13, 1)
