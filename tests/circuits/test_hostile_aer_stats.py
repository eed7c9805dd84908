"""Property-based bad-input suite over :func:`circuits.statistics.aer_collision_probability`
(circuits, shots, seed; see :mod:`tests.sketch.hostile` for the property), with an answer
check: the estimate is a probability and its reference is the Haar value ``2/(d+1)``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from circuits.random_circuits import random_brickwork
from circuits.statistics import aer_collision_probability
from tests.sketch import hostile as h

pytestmark = pytest.mark.hostile

GOOD = [random_brickwork(2, 3, seed=s) for s in range(2)]


def _circuit(n: int, *, t: bool = False) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    qc.h(range(n))
    if t:
        qc.t(0)
    return qc


def _parametrized() -> QuantumCircuit:
    qc = QuantumCircuit(1)
    qc.rx(Parameter("a"), 0)
    return qc


def _measured() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.measure([0, 1], [0, 1])
    return qc


def _circuits() -> st.SearchStrategy:
    good = st.sampled_from([GOOD, GOOD[0], tuple(GOOD), [_circuit(1)], [_measured()],
                            [_circuit(40)],  # Clifford: the stabilizer method, no dense state
                            ]).map(lambda v: (v, False))
    bad = st.sampled_from([None, 3, "qc", [], [None], np.eye(2), [GOOD[0], _circuit(3)],
                           [QuantumCircuit(0)], [_parametrized()], [_circuit(80)],
                           [_circuit(40, t=True)],  # a 16 TiB statevector
                           ]).map(lambda v: (v, True))
    return st.one_of(good, bad)


def _estimate(circuits, shots, seed):
    est = aer_collision_probability(circuits, shots=shots, seed=seed)
    first = circuits if isinstance(circuits, QuantumCircuit) else list(circuits)[0]
    d = 2 ** first.num_qubits
    assert 0 <= est.mean <= 1 and est.reference == pytest.approx(2 / (d + 1))
    assert not np.isnan(est.stderr) or est.samples == 1  # NaN by design for one circuit
    return est.mean, est.reference, est.samples


ENTRIES = [h.Entry("aer_collision_probability", _estimate,
                   dict(circuits=GOOD, shots=50, seed=0),
                   dict(circuits=_circuits(), shots=h.sizes(minimum=2), seed=h.seeds()))]


test_valid_call_answers, test_bad_argument_is_refused_clearly = h.suite(ENTRIES, share=0.6)


@pytest.mark.parametrize("circuits, err, match", [
    (None, TypeError, "circuits must be"),  # 'NoneType' object is not iterable
    (GOOD[0], None, None),  # iterated the circuit's instructions: AttributeError
    ([QuantumCircuit(0)], ValueError, "has no qubits"),  # NumPy's reshape error
    ([_circuit(80)], ValueError, r"2\^n of circuits"),  # 'd must be at most ...'
    ([_circuit(40, t=True)], MemoryError, "16 TiB"),  # Aer's own failure, after trying
])
def test_found_failures(circuits, err, match):
    if err is None:
        assert _estimate(circuits, 50, 0)[2] == 1
        return
    with pytest.raises(err, match=match):
        aer_collision_probability(circuits, shots=50, seed=0)
