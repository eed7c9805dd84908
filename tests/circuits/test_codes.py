"""Haar random codes and the Knill-Laflamme violation.

For a Haar isometry V: C^K -> C^N and m Pauli errors, the stacked blocks
``E_a V`` behave like an N x mK matrix of nearly orthonormal random columns, so
the KL remainder has operator norm about ``2 sqrt(x) + x`` with ``x = mK/N``
(the Marchenko-Pastur edge of ``M - I``): small when ``mK << N``, of order 1 at
the quantum Hamming bound ``mK = N``.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Operator, Pauli

from circuits.codes import (
    HaarCode,
    apply_pauli,
    haar_code,
    knill_laflamme_violation,
    pauli_errors,
)
from sketch.errors import ShapeError
from sketch.haar import haar_unitary


def _five_qubit_code() -> np.ndarray:
    """The [[5,1,3]] code (Laflamme et al. 1996; stabilisers XZZXI and its shifts)."""
    gens = ["XZZXI", "IXZZX", "XIXZZ", "ZXIXZ"]
    P = np.eye(32, dtype=complex)
    for g in gens:
        P = P @ (np.eye(32) + Pauli(g).to_matrix()) / 2
    w, v = np.linalg.eigh(P)
    return v[:, w > 0.5]


def test_pauli_errors_counts_and_order():
    assert len(pauli_errors(5, 1)) == 1 + 3 * 5
    assert len(pauli_errors(5, 2)) == 1 + 15 + 9 * 10
    assert len(pauli_errors(3, 1, include_identity=False)) == 9
    assert pauli_errors(1, 0) == ["I"]
    assert "IIX" in pauli_errors(3, 1)  # qiskit order: X on qubit 0 is the rightmost letter


def test_apply_pauli_matches_qiskit():
    V = haar_unitary(8, seed=1)[:, :3]
    for label in ["XYZ", "IZI", "YYI", "III", "xzy"]:
        assert np.allclose(apply_pauli(label, V), Pauli(label.upper()).to_matrix() @ V)


def test_five_qubit_code_satisfies_kl_exactly():
    V = _five_qubit_code()
    assert V.shape == (32, 2)
    assert knill_laflamme_violation(V, pauli_errors(5, 1)) < 1e-12
    assert knill_laflamme_violation(V, pauli_errors(5, 1), norm="frobenius") < 1e-12
    # Distance 3: some weight-2 pairs are not correctable (E_a† E_b of weight 3 or 4 can act
    # as a logical operator).
    assert knill_laflamme_violation(V, pauli_errors(5, 2)) > 0.5


def test_kl_violation_is_invariant_under_logical_unitaries():
    code = haar_code(6, 2, seed=4)
    W = haar_unitary(4, seed=5)
    errs = pauli_errors(6, 1)
    a = knill_laflamme_violation(code.isometry, errs)
    assert a == pytest.approx(knill_laflamme_violation(code.isometry @ W, errs), rel=1e-10)


def test_haar_code_is_an_isometry_and_seeded():
    code = haar_code(5, 2, seed=3)
    assert isinstance(code, HaarCode) and (code.n, code.k) == (5, 2)
    V = code.isometry
    assert V.shape == (32, 4) and np.allclose(V.conj().T @ V, np.eye(4))
    assert np.array_equal(V, haar_code(5, 2, seed=3).isometry)
    assert not np.allclose(V, haar_code(5, 2, seed=4).isometry)
    V1 = haar_code(3, 0, seed=1).isometry
    assert V1.shape == (8, 1)
    # K = 1: every 1 x 1 block is a scalar, so the KL conditions hold trivially.
    assert knill_laflamme_violation(V1, pauli_errors(3, 3)) < 1e-12


def test_encoder_circuit_implements_the_isometry():
    code = haar_code(3, 1, seed=2)
    U = Operator(code.encoder()).data
    # Logical qubit = qubit 0, the others start in |0>: inputs are basis indices 0 and 1.
    assert np.allclose(U[:, :2], code.isometry, atol=1e-9)


def test_kl_violation_small_when_mk_much_less_than_n_and_grows_with_mk_over_n():
    x_small = None
    points = []
    for n, k in [(12, 1), (10, 1), (8, 1), (8, 2), (8, 3), (7, 3)]:
        errs = pauli_errors(n, 1)
        x = len(errs) * 2**k / 2**n
        v = np.mean([knill_laflamme_violation(haar_code(n, k, seed=s).isometry, errs)
                     for s in range(2)])
        points.append((x, v))
        # Below the Marchenko-Pastur edge 2 sqrt(x) + x (10% slack for finite N), and far
        # from 0, so the bound is not vacuous.
        assert 0.5 * np.sqrt(x) < v < 1.1 * (2 * np.sqrt(x) + x), (n, k, x, v)
        if (n, k) == (12, 1):
            x_small = (x, v)
    assert x_small[0] < 0.02 and x_small[1] < 0.25  # mK << N: nearly correctable
    points.sort()
    vs = [v for _, v in points]
    assert all(a < b for a, b in zip(vs, vs[1:])), points  # increasing in mK/N
    assert vs[-1] > 1.0  # at the Hamming bound mK/N >= 1: not correctable at all


@pytest.mark.parametrize("bad, err", [(2.5, TypeError), ("4", TypeError), (None, TypeError),
                                      (0, ValueError), (-3, ValueError)])
def test_bad_sizes(bad, err):
    with pytest.raises(err):
        haar_code(bad, 1)
    with pytest.raises(err):
        pauli_errors(bad)


def test_bad_input():
    with pytest.raises(ValueError, match="more logical"):
        haar_code(3, 4)
    with pytest.raises(ValueError):
        haar_code(3, -1)
    with pytest.raises(TypeError):
        haar_code(3, 1.0)
    with pytest.raises(ValueError, match="too large"):
        haar_code(15, 1)
    with pytest.raises(ValueError):
        pauli_errors(3, -1)
    V = haar_code(3, 1, seed=0).isometry
    with pytest.raises(ShapeError, match="acts on 2 qubits"):
        knill_laflamme_violation(V, ["IX"])
    with pytest.raises(ValueError, match="I, X, Y, Z"):
        knill_laflamme_violation(V, ["IXA"])
    with pytest.raises(ValueError, match="at least one"):
        knill_laflamme_violation(V, [])
    with pytest.raises(ValueError, match="norm"):
        knill_laflamme_violation(V, ["III"], norm="nuclear")
    with pytest.raises(ShapeError, match="isometry"):
        knill_laflamme_violation(V.T, ["III"])
    with pytest.raises(ShapeError, match="V must be a 2-D matrix"):
        knill_laflamme_violation(V[:, 0], ["III"])


def test_kl_violation_refuses_before_allocating_too_much():
    # 2^14 x 2^10 isometry view (no copy) and 1 + 3*14 errors: a 43000^2 Gram matrix.
    V = np.lib.stride_tricks.as_strided(np.zeros(1, complex), shape=(2**14, 2**10),
                                        strides=(0, 0))
    with pytest.raises(MemoryError, match="GiB"):
        knill_laflamme_violation(V, pauli_errors(14, 1))
