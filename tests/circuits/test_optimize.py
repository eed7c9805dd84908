"""circuits.optimize, its partition and the BlockResynthesis pass: same operator, fewer CX."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import QFTGate
from qiskit.converters import circuit_to_dag
from qiskit.quantum_info import Operator

from circuits import BlockResynthesis, greedy_partition, optimize, partition, random_brickwork
from circuits.partition import Block, Fixed
from sketch.errors import ToleranceError
from tests.hostile_calls import call


def _adder(bits: int) -> QuantumCircuit:
    from benchmarks.optimize import cuccaro_adder

    return cuccaro_adder(bits)


def _qft(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    qc.append(QFTGate(n), range(n))
    return qc


def _toffoli_pair() -> QuantumCircuit:
    """Two Toffolis around a CX: 13 CX as written; 3-qubit blocks bring it lower."""
    qc = QuantumCircuit(4)
    qc.h(3)
    qc.ccx(0, 1, 2)
    qc.cx(2, 3)
    qc.ccx(0, 1, 2)
    return qc


def _assert_same_operator(a: QuantumCircuit, b: QuantumCircuit, res) -> None:
    """Both reported bounds hold (global phase included: optimize tracks it exactly)."""
    R = Operator(a).data - Operator(b).data
    assert np.linalg.norm(R) / np.sqrt(len(R)) <= res.hs_distance_bound + 1e-12
    if a.num_qubits <= 6:  # the SVD of a 2^n matrix gets slow beyond
        assert np.linalg.norm(R, 2) <= res.distance_bound + 1e-12


CASES = {"qft4": lambda: _qft(4), "adder": lambda: _adder(1),
         "brickwork5": lambda: random_brickwork(5, 3, seed=1)}
_RESULTS: dict[str, tuple] = {}


def _optimized(name: str) -> tuple:
    """Each case optimised once per session (serially, seed 0), shared by the tests below."""
    if name not in _RESULTS:
        qc = CASES[name]()
        _RESULTS[name] = qc, optimize(qc, seed=0, progress=False, workers=1)
    return _RESULTS[name]


@pytest.mark.parametrize("name", list(CASES))
def test_same_operator_and_never_more_cx(name):
    qc, res = _optimized(name)
    _assert_same_operator(res.circuit, qc, res)
    assert res.cx_after <= res.cx_before
    assert set(res.circuit.count_ops()) <= {"cx", "u"}
    assert res.hs_distance_bound <= res.replaced * 1e-10


def test_ten_qubit_trotter_step_full_operator():
    from benchmarks.optimize import heisenberg

    qc = heisenberg(10, steps=1)  # RXX·RYY·RZZ on each bond: 6 CX as written, 3 by KAK
    res = optimize(qc, block_size=2, seed=0, progress=False, workers=1)
    assert (res.cx_before, res.cx_after) == (54, 27)
    _assert_same_operator(res.circuit, qc, res)


def test_structured_block_loses_cnots_by_deletion():
    from benchmarks.optimize import tfim
    from circuits.resynthesis import scan_delete

    # two Trotter steps of a 3-qubit Ising chain: 8 CX; the generic layered template
    # finds nothing at 7, deleting CNOTs from the block's own layout reaches 6
    qc = tfim(3)
    res = optimize(qc, seed=0, progress=False, workers=1)
    assert (res.cx_before, res.cx_after) == (8, 6)
    _assert_same_operator(res.circuit, qc, res)
    # a layout that cannot reach U (no CNOT touches qubit 2) gives None, not a wrong circuit
    U = Operator(qc).data
    assert scan_delete(U, [(0, 1)] * 8, 1e-10, key=0) is None


def test_four_qubit_blocks_start_from_the_three_qubit_result():
    from benchmarks.optimize import tfim

    # block_size=4 runs the 3-qubit passes first, so it never ends above them (13 CX on
    # this 5-qubit Ising chain, from 16), and every replaced 4-qubit block is checked
    qc = tfim(5)
    res = optimize(qc, block_size=4, seed=0, progress=False, workers=1)
    assert (res.cx_before, res.cx_after) == (16, 13)
    _assert_same_operator(res.circuit, qc, res)


def test_scan_partition_pass_finds_what_greedy_blocks_hide():
    from benchmarks.optimize import hhl_circuit

    # HHL-5: the greedy partition's passes stop at 26 CX; one pass on the scan-order
    # partition's blocks finds more (24 with scan-order passes alone), then greedy resumes
    qc = transpile(hhl_circuit(5), basis_gates=["cx", "u"], optimization_level=0)
    res = optimize(qc, seed=0, progress=False, workers=1)
    assert res.cx_before == 28 and res.cx_after <= 24
    _assert_same_operator(res.circuit, qc, res)


def test_a_replacement_with_more_cx_is_never_taken(monkeypatch):
    import circuits.optimization as opt

    def worse(task):  # the block's own unitary, two CNOTs dearer
        U = task[0]
        n = int(np.log2(len(U)))
        qc = QuantumCircuit(n)
        qc.unitary(U, range(n))
        qc = transpile(qc, basis_gates=["cx", "u"], optimization_level=0)
        qc.cx(0, 1)
        qc.cx(0, 1)
        return qc

    monkeypatch.setattr(opt, "resynthesize", worse)
    qc = _toffoli_pair()
    res = optimize(qc, seed=0, progress=False, workers=1)
    assert res.replaced == 0 and res.cx_after == res.cx_before == 13
    assert res.distance_bound == 0.0


def test_template_angles_are_the_block_itself():
    from circuits.instantiate import template_angles, template_unitary

    qc = transpile(random_brickwork(3, 3, seed=2), basis_gates=["cx", "u"],
                   optimization_level=0)
    qc.h(2)
    qc.global_phase = 0.4
    st, x, phase = template_angles(qc)
    assert st == [(qc.find_bit(i.qubits[0]).index, qc.find_bit(i.qubits[1]).index)
                  for i in qc.data if i.operation.name == "cx"]
    np.testing.assert_allclose(template_unitary(3, st, x, phase), Operator(qc).data,
                               atol=1e-13)
    with pytest.raises(ValueError, match="cx and single-qubit gates"):
        template_angles(_toffoli_pair())


def test_reduces_a_reducible_circuit():
    # CX·CX cancels, and a Toffoli followed by its inverse is the identity
    qc = QuantumCircuit(3)
    qc.ccx(0, 1, 2)
    qc.cx(0, 1)
    qc.cx(0, 1)
    qc.ccx(0, 1, 2)
    qc.rz(0.3, 2)
    res = optimize(qc, seed=0, progress=False, workers=1)
    assert (res.cx_before, res.cx_after) == (14, 0)
    assert res.replaced >= 1
    _assert_same_operator(res.circuit, qc, res)


def _rebuilt(qc: QuantumCircuit, items: list) -> QuantumCircuit:
    out = qc.copy_empty_like()
    for i in items:
        for ins in (i.instructions if isinstance(i, Block) else [i.instruction]):
            out.append(ins)
    return out


@pytest.mark.parametrize("split", [partition, greedy_partition])
def test_partition_blocks_are_narrow_and_rebuild_the_circuit(split):
    qc = transpile(random_brickwork(6, 4, seed=2), basis_gates=["cx", "u"])
    for k in (2, 3, 4):
        for reverse in (False, True):
            items = split(qc, k, reverse=reverse)
            assert all(len(i.qubits) <= k for i in items if isinstance(i, Block))
            n_ins = sum(len(i.instructions) for i in items if isinstance(i, Block))
            assert n_ins == len(qc.data)
            assert circuit_to_dag(_rebuilt(qc, items)) == circuit_to_dag(qc)


def test_greedy_partition_keeps_the_big_block_the_scan_breaks():
    from benchmarks.optimize import tfim

    # a 16-qubit Ising chain, two Trotter steps, in 4-qubit blocks: the scan closes blocks
    # early (six of 2 CX), the greedy partition cuts fewer, larger ones (four of 8 CX)
    qc = transpile(tfim(16), basis_gates=["cx", "u"], optimization_level=0)
    sizes = {f.__name__: sorted(b.cx_count for b in f(qc, 4) if isinstance(b, Block))
             for f in (partition, greedy_partition)}
    assert sizes["partition"] == [2] * 6 + [4] + [6] * 6 + [8]
    assert sizes["greedy_partition"] == [4] + [6] * 4 + [8] * 4


def test_measurements_and_barriers_split_blocks_and_stay():
    qc = QuantumCircuit(3, 3)
    qc.cx(0, 1)
    qc.barrier()
    qc.cx(0, 1)  # would cancel with the first CX, but the barrier separates them
    qc.measure(0, 0)
    qc.cx(1, 2)
    qc.reset(1)
    qc.cx(1, 2)
    items = partition(qc, 3)
    assert [type(i).__name__ for i in items] == ["Block", "Fixed", "Block", "Fixed", "Block",
                                                 "Fixed", "Block"]
    out = optimize(qc, seed=0, progress=False).circuit
    # same instructions in the same order on every wire (the DAGs compare equal); a CX on
    # other qubits may move past the measurement, which does not change the circuit
    assert circuit_to_dag(out) == circuit_to_dag(qc)
    assert out.count_ops()["cx"] == 4


def test_coupling_map_respected_and_backend_accepted():
    from qiskit.providers.fake_provider import GenericBackendV2

    line = [(0, 1), (1, 2), (2, 3)]
    backend = GenericBackendV2(4, coupling_map=[list(e) for e in line], seed=1)
    qc = QuantumCircuit(4)
    qc.compose(random_brickwork(3, 6, seed=4), [1, 2, 3], inplace=True)  # 18 CX on a line
    qc.cx(0, 1)
    routed = transpile(qc, backend=backend, optimization_level=0, seed_transpiler=1)
    res = optimize(routed, coupling_map=backend, seed=0, progress=False, workers=1)
    for ins in res.circuit.data:
        if len(ins.qubits) == 2:
            assert tuple(sorted(res.circuit.find_bit(q).index for q in ins.qubits)) in line
    assert res.cx_after < res.cx_before
    _assert_same_operator(res.circuit, routed, res)


def test_unrouted_input_is_refused():
    qc = QuantumCircuit(3)
    qc.cx(0, 2)
    with pytest.raises(ValueError, match=r"not routed to coupling_map.*\(0, 2\)"):
        optimize(qc, coupling_map=[(0, 1), (1, 2)])


def test_pass_in_pass_managers():
    from qiskit.transpiler import PassManager
    from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager

    qc = _toffoli_pair()
    pm = PassManager([BlockResynthesis(seed=0, progress=False, workers=1)])
    out = pm.run(qc)
    assert out.count_ops()["cx"] < transpile(qc, basis_gates=["cx", "u"]).count_ops()["cx"]
    assert Operator(out).equiv(Operator(qc))
    assert pm.property_set["block_resynthesis_distance_bound"] < 1e-12

    preset = generate_preset_pass_manager(optimization_level=2, basis_gates=["cx", "u"],
                                          seed_transpiler=0)
    preset.optimization.append(BlockResynthesis(seed=0, progress=False, workers=1))
    out2 = preset.run(qc)
    assert Operator.from_circuit(out2).equiv(Operator(qc))
    assert out2.count_ops()["cx"] <= transpile(
        qc, basis_gates=["cx", "u"], optimization_level=2, seed_transpiler=0).count_ops()["cx"]


def test_processes_and_dask_match_serial():
    qc, serial = _optimized("brickwork5")
    procs = optimize(qc, seed=0, progress=False, workers=2)
    assert procs.circuit == serial.circuit
    distributed = pytest.importorskip("distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None) as client:
        dasked = optimize(qc, seed=0, progress=False, workers=client)
    assert dasked.circuit == serial.circuit


def test_bad_arguments_are_named():
    qc = _qft(3)
    with pytest.raises(TypeError, match="qc must be a qiskit QuantumCircuit"):
        optimize(np.eye(4))
    for k in (1, 5):
        with pytest.raises(ValueError, match="block_size"):
            optimize(qc, block_size=k)
    with pytest.raises(TypeError, match="block_size"):
        optimize(qc, block_size=2.5)
    for tol in (0.0, -1e-3, float("nan")):
        with pytest.raises(ToleranceError, match="tolerance"):
            optimize(qc, tolerance=tol)
    with pytest.raises(ToleranceError, match="tolerance=1e-17"):
        optimize(qc, tolerance=1e-17)
    with pytest.raises(TypeError, match="coupling_map"):
        optimize(qc, coupling_map="0-1")
    with pytest.raises(ValueError, match="coupling_map"):
        optimize(qc, coupling_map=[(0, 0)])
    with pytest.raises(ValueError, match="workers"):
        optimize(qc, workers=0)
    with pytest.raises(ValueError, match="workers"):
        BlockResynthesis(workers=-1)


def test_opaque_and_parameterised_gates():
    from qiskit.circuit import Gate, Parameter

    opaque = QuantumCircuit(2)
    opaque.append(Gate("mystery", 2, []), [0, 1])
    with pytest.raises(ValueError, match="qc holds gates that cannot be rewritten"):
        optimize(opaque)
    theta = Parameter("t")
    qc = QuantumCircuit(2)
    qc.cx(0, 1)
    qc.rz(theta, 1)  # unbound: kept as it is, and it splits blocks
    qc.cx(0, 1)
    out = optimize(qc, progress=False).circuit
    assert out.count_ops()["cx"] == 2 and theta in out.parameters
    assert [type(i) for i in partition(qc, 3)] == [Block, Fixed, Block]


_GATES = st.sampled_from(["cx", "cz", "h", "t", "rz", "swap", "barrier", "ccx"])


@st.composite
def _circuits(draw):
    n = draw(st.integers(2, 4))
    qc = QuantumCircuit(n)
    for _ in range(draw(st.integers(0, 14))):
        g = draw(_GATES)
        qs = draw(st.permutations(range(n)))
        if g == "rz":
            qc.rz(draw(st.sampled_from([0.0, 0.3, np.pi])), qs[0])
        elif g == "barrier":
            qc.barrier(qs[:2])
        elif g == "ccx":
            if n >= 3:
                qc.ccx(*qs[:3])
        elif g in ("h", "t"):
            getattr(qc, g)(qs[0])
        else:
            getattr(qc, g)(qs[0], qs[1])
    return qc


@pytest.mark.hostile
@given(_circuits(), st.integers(1, 4), st.booleans())
def test_property_partitions_rebuild_the_circuit(qc, k, reverse):
    qc.measure_all()  # fixed instructions at the end, and the barrier measure_all adds
    for split in (partition, greedy_partition):
        items = split(qc, k, reverse=reverse)
        assert all(len(i.qubits) <= k for i in items if isinstance(i, Block))
        assert circuit_to_dag(_rebuilt(qc, items)) == circuit_to_dag(qc)


@pytest.mark.hostile
@given(_circuits())
def test_property_same_operator_never_more_cx(qc):
    # two-qubit blocks: the exact path (qubit splitting and KAK), fast enough for many cases
    res = optimize(qc, block_size=2, seed=0, progress=False, workers=1)
    assert res.cx_after <= res.cx_before
    _assert_same_operator(res.circuit, qc, res)
    assert res.circuit.count_ops().get("barrier", 0) == qc.count_ops().get("barrier", 0)


@pytest.mark.hostile
@given(st.fixed_dictionaries({}, optional={
    "block_size": st.sampled_from([1, 2, 3, 5, 2.0, None]),
    "tolerance": st.sampled_from([1e-10, 0.0, -1.0, 1.0, 1e-20, np.nan, "1e-8"]),
    "coupling_map": st.sampled_from([None, [(0, 1)], [(0, 0)], [(1, 0)], [], "0-1", [(0,)]]),
    "workers": st.sampled_from([None, 1, 0, -2, 1.5]),
}))
def test_optimize_answers_or_refuses(kw):
    qc = QuantumCircuit(2)
    qc.cx(0, 1)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(0, 1)
    qc.cx(1, 0)
    ok, res = call(lambda: optimize(qc, progress=False, seed=0, **kw),
                   ["block_size", "tolerance", "coupling_map", "workers"])
    if ok:
        assert res.cx_after <= res.cx_before
        _assert_same_operator(res.circuit, qc, res)
