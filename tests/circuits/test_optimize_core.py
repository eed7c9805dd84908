"""Block cores (searched once, reused) and the entanglement bound on CNOT layouts."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import Operator
from scipy.stats import unitary_group

from circuits.instantiate import template_angles
from circuits.resynthesis import (
    BlockCore,
    _reaches,
    cut_ranks,
    fewest_cnots,
    resynthesize,
    scan_delete,
)
from sketch.rng import as_key


def _block(outer: float) -> QuantumCircuit:
    """Two CPs sharing qubit 1, with outer single-qubit gates that depend on ``outer``."""
    qc = QuantumCircuit(3)
    for q in range(3):
        qc.u(outer, 0.3 * q, -outer, q)
    qc.cp(0.7, 0, 1)
    qc.cp(1.1, 1, 2)
    qc.rx(outer, 0)
    qc.ry(2 * outer, 2)
    return transpile(qc, basis_gates=["cx", "u"], optimization_level=0)


def test_core_wraps_back_to_the_block_and_is_shared():
    cores = []
    for outer in (0.2, 1.3):
        qc = _block(outer)
        core = BlockCore(3, *template_angles(qc))
        wrapped = core.wrap(core.circuit())  # the block itself, with its global phase
        np.testing.assert_allclose(Operator(wrapped).data, Operator(qc).data, atol=1e-12)
        assert wrapped.count_ops()["cx"] == qc.count_ops()["cx"]
        cores.append(core)
    # other outer gates, same core: one search serves both blocks
    assert cores[0].key() == cores[1].key()
    assert not np.allclose(Operator(_block(0.2)).data, Operator(_block(1.3)).data)


def test_cut_ranks_bound_layouts():
    cx01 = QuantumCircuit(3)
    cx01.cx(0, 1)
    cx01.cx(1, 2)
    assert cut_ranks(Operator(cx01).data, 1e-10) == [2, 4, 2]
    assert fewest_cnots([2, 4, 2]) == 2
    U = unitary_group.rvs(8, random_state=3)
    ranks = cut_ranks(U, 1e-10)
    assert ranks == [4, 4, 4] and fewest_cnots(ranks) == 3
    # a qubit with one CNOT has rank <= 2 across its cut: such a layout cannot reach U
    assert not _reaches([(0, 1), (1, 2), (1, 2)], ranks)
    assert _reaches([(0, 1), (1, 2), (0, 2)], ranks)
    # within a loose tolerance a nearly-product unitary has lower ranks (Eckart-Young)
    near = np.kron(np.eye(4), np.eye(2)) + 1e-6 * Operator(cx01).data
    assert cut_ranks(near / np.linalg.norm(near, 2), 1e-3) == [1, 1, 1]


def test_a_block_below_its_entanglement_bound_is_not_searched(monkeypatch):
    import circuits.resynthesis as rs

    def no_search(*args, **kwargs):
        raise AssertionError("searched a block that provably cannot gain")

    monkeypatch.setattr(rs, "synthesize", no_search)
    monkeypatch.setattr(rs, "instantiate", no_search)
    # a 3-CX triangle of generic two-qubit rotations: ranks 4, 4, 4 need 3 CNOTs
    qc = QuantumCircuit(3)
    for a, b in [(0, 1), (1, 2), (0, 2)]:
        qc.h(a)
        qc.cx(a, b)
        qc.ry(0.4 + a, b)
        qc.rz(0.9 * b, a)
    U = Operator(qc).data
    assert cut_ranks(U, 1e-10) == [4, 4, 4]
    st, x, _ = template_angles(qc)
    assert resynthesize((U, 2, None, 1e-10, as_key(0), st, x)) is None
    # the deletion scan skips every layout that leaves a qubit one CNOT
    monkeypatch.undo()
    assert scan_delete(U, st, 1e-10, key=0) is None


def test_four_qubit_passes_only_after_three_qubit_gains():
    from circuits import optimize

    # a 4-qubit QFT: the 3-qubit passes gain nothing, so the default (block_size=4)
    # runs no 4-qubit search and returns what block_size=3 returns
    qc = QuantumCircuit(4)
    for j in range(4):
        qc.h(j)
        for k in range(j + 1, 4):
            qc.cp(np.pi / 2 ** (k - j), k, j)
    three = optimize(qc, block_size=3, seed=0, progress=False, workers=1)
    four = optimize(qc, seed=0, progress=False, workers=1)
    assert three.cx_after == three.cx_before == 12
    assert (four.circuit, four.synthesized) == (three.circuit, three.synthesized)
