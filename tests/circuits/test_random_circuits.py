"""Random circuits: exact Haar synthesis, brickwork connectivity and convergence, Cliffords."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Clifford, Operator, random_clifford
from qiskit.transpiler import CouplingMap

from circuits.random_circuits import (
    brickwork_layers,
    brickwork_unitaries,
    clifford_matrix,
    clifford_unitaries,
    haar_circuit,
    random_brickwork,
    random_clifford_circuit,
    stabilizer_states,
)
from circuits.statistics import frame_potential
from sketch.haar import haar_unitary


@pytest.mark.parametrize("n", [1, 2, 3])
def test_haar_circuit_operator_is_the_sampled_unitary(n):
    qc = haar_circuit(n, seed=11)
    U = haar_unitary(2**n, seed=11)
    # Exact synthesis: equal as matrices (global phase included), to rounding.
    assert np.allclose(Operator(qc).data, U, atol=1e-9)
    # CX and one-qubit gates only: a real circuit, not a wrapped matrix.
    for inst in qc.data:
        assert inst.operation.num_qubits == 1 or inst.operation.name == "cx"
    assert not np.allclose(Operator(haar_circuit(n, seed=12)).data, U, atol=1e-3)


def _two_qubit_pairs(qc):
    pairs = []
    for inst in qc.data:
        qs = tuple(sorted(qc.find_bit(q).index for q in inst.qubits))
        assert len(qs) == 2, "brickwork must consist of two-qubit gates only"
        pairs.append(qs)
    return pairs


def test_brickwork_on_a_line_uses_nearest_neighbours_in_alternating_layers():
    n, depth = 5, 4
    qc = random_brickwork(n, depth, seed=3)
    pairs = _two_qubit_pairs(qc)
    assert all(b == a + 1 for a, b in pairs)
    even, odd = [(0, 1), (2, 3)], [(1, 2), (3, 4)]
    assert pairs == even + odd + even + odd
    assert np.allclose(Operator(qc).data, brickwork_unitaries(n, depth, 2, seed=3)[0])


def test_brickwork_on_a_coupling_map_respects_it():
    cmap = CouplingMap.from_heavy_hex(3)  # 19 qubits, degree <= 3
    n = cmap.size()
    edges = {tuple(sorted(e)) for e in cmap.get_edges()}
    layers = brickwork_layers(n, cmap)
    assert sorted(e for layer in layers for e in layer) == sorted(edges)  # every bond, once
    for layer in layers:  # each layer is a matching: gates in it commute and run in parallel
        qubits = [q for e in layer for q in e]
        assert len(qubits) == len(set(qubits))
    assert len(layers) <= 2 * 3 - 1  # greedy colouring: at most 2Δ - 1 colours
    qc = random_brickwork(n, depth=2 * len(layers), seed=1, coupling_map=cmap)
    assert set(_two_qubit_pairs(qc)) == edges


def test_brickwork_on_an_edge_list_matches_dense_batch():
    ring = [(0, 1), (1, 2), (2, 3), (3, 0)]
    qc = random_brickwork(4, 3, seed=8, coupling_map=ring)
    assert set(_two_qubit_pairs(qc)) <= {tuple(sorted(e)) for e in ring}
    U = brickwork_unitaries(4, 3, batch=3, seed=8, coupling_map=ring)
    assert np.allclose(Operator(qc).data, U[0])
    assert np.allclose(U @ U.conj().transpose(0, 2, 1), np.eye(16), atol=1e-12)


def test_depth_zero_is_identity_and_same_seed_same_circuit():
    assert random_brickwork(3, 0, seed=1).size() == 0
    assert np.allclose(brickwork_unitaries(3, 0, 2, seed=1), np.eye(8))
    a = Operator(random_brickwork(3, 2, seed=5)).data
    assert np.allclose(a, Operator(random_brickwork(3, 2, seed=5)).data)
    assert not np.allclose(a, Operator(random_brickwork(3, 2, seed=6)).data)


def test_brickwork_approaches_a_2_design_with_depth():
    # F_2 >= 2 with equality iff a 2-design (Gross-Audenaert-Eisert 2007). Depth 1 on
    # 3 qubits is a product of a 2-qubit and an idle gate: far from it; depth 8 is close.
    shallow = frame_potential(brickwork_unitaries(3, 1, 300, seed=1), 2)
    deep = frame_potential(brickwork_unitaries(3, 8, 600, seed=2), 2)
    assert shallow.mean > 2 + 20 * shallow.stderr
    assert abs(deep.z) < 4


def test_clifford_matrix_matches_qiskit_up_to_phase():
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 4):
        for _ in range(5):
            c = random_clifford(n, seed=rng)
            U, V = clifford_matrix(c), c.to_matrix()
            overlap = np.vdot(U, V) / 2**n
            assert abs(abs(overlap) - 1) < 1e-10
            assert np.allclose(U * overlap, V, atol=1e-10)


def test_clifford_circuit_and_batch():
    qc = random_clifford_circuit(3, seed=4)
    assert Clifford(qc) == Clifford(random_clifford_circuit(3, seed=4))
    C = clifford_unitaries(2, 20, seed=1)
    assert C.shape == (20, 4, 4)
    assert np.allclose(C @ C.conj().transpose(0, 2, 1), np.eye(4), atol=1e-12)
    # Clifford matrices in the computational basis have entries 0 or of one modulus per column.
    mags = np.round(np.abs(C) ** 2, 10)
    assert set(np.unique(mags)) <= {0.0, 0.25, 0.5, 1.0}


def test_clifford_batch_is_the_per_sample_matrices():
    """The batched tableau-to-matrix pass gives each sample's clifford_matrix exactly."""
    from sketch.rng import as_key

    for n in (1, 2, 3):
        rng = as_key(5).child("clifford-batch").generator()
        want = [clifford_matrix(random_clifford(n, seed=rng)) for _ in range(7)]
        np.testing.assert_allclose(clifford_unitaries(n, 7, seed=5), want, atol=1e-15)


def test_stabilizer_states_are_normalised_and_distinct():
    S = stabilizer_states(2)
    assert S.shape == (60, 4)
    assert np.allclose(np.linalg.norm(S, axis=1), 1)
    G = np.abs(S.conj() @ S.T) ** 2
    np.fill_diagonal(G, 0)
    assert G.max() < 1 - 1e-9  # no two equal up to phase
    assert set(np.round(np.unique(G), 10)) <= {0.0, 0.25, 0.5}


@pytest.mark.parametrize("bad, err", [(2.0, TypeError), ("3", TypeError), (True, TypeError),
                                      (0, ValueError), (-1, ValueError)])
def test_bad_sizes(bad, err):
    for call in (lambda: haar_circuit(bad), lambda: random_brickwork(bad, 1),
                 lambda: brickwork_unitaries(bad, 1, 1), lambda: brickwork_unitaries(2, 1, bad),
                 lambda: random_clifford_circuit(bad), lambda: clifford_unitaries(bad, 1),
                 lambda: clifford_unitaries(1, bad), lambda: stabilizer_states(bad),
                 lambda: brickwork_layers(bad)):
        with pytest.raises(err):
            call()


@pytest.mark.parametrize("depth, err", [(-1, ValueError), (1.5, TypeError), (None, TypeError),
                                        (False, TypeError)])
def test_bad_depth(depth, err):
    with pytest.raises(err, match="depth"):
        random_brickwork(3, depth)
    with pytest.raises(err, match="depth"):
        brickwork_unitaries(3, depth, 2)


def test_too_large_refused_before_allocating():
    with pytest.raises(ValueError, match="at most 7"):
        haar_circuit(8)
    with pytest.raises(ValueError, match="n <= 10"):
        brickwork_unitaries(11, 1, 1)
    with pytest.raises(ValueError, match="n <= 10"):
        clifford_unitaries(12, 1)
    with pytest.raises(MemoryError, match="GiB"):
        brickwork_unitaries(10, 1, 10**7)
    with pytest.raises(MemoryError, match="GiB"):
        clifford_unitaries(10, 10**7)
    with pytest.raises(ValueError, match="n <= 4"):
        stabilizer_states(5)


def test_bad_coupling_maps():
    with pytest.raises(ValueError, match="distinct qubits"):
        random_brickwork(3, 1, coupling_map=[(0, 0)])
    with pytest.raises(ValueError, match="distinct qubits"):
        random_brickwork(3, 1, coupling_map=[(0, 5)])
    with pytest.raises(ValueError, match="at least one bond"):
        random_brickwork(1, 1)
    with pytest.raises(ValueError, match="at least one bond"):
        random_brickwork(3, 2, coupling_map=[])
